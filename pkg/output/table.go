package output

import (
	"bytes"
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

var tableFormat = Spec{
	Name:    Table,
	Help:    "columns for people: boxed and fitted on a terminal, plain space-aligned columns when piped",
	Tabular: true,
	Render:  writeTable,
}

// Cell width limits on a terminal of unknown width: list cells are cut with
// an ellipsis, the VALUE column of a single object is wrapped. A terminal
// whose width is known gets rows fitted to it instead (see fitCells). Piped
// tables are never cut or wrapped.
const (
	ttyListCellWidth  = 60
	ttyValueCellWidth = 80
)

const (
	ansiBold  = "\x1b[1m"
	ansiReset = "\x1b[0m"
)

// writeTable renders a list of objects as one row per object, a single
// object as FIELD/VALUE rows, and a scalar as its text on one line.
func writeTable(w io.Writer, v any, o Options) error {
	switch t := v.(type) {
	case []any:
		if len(t) == 0 && (len(o.Columns) == 0 || o.NoHeaders) {
			return nil
		}
		cols := o.Columns
		if len(cols) == 0 {
			cols = defaultColumns(t)
		}
		rows := make([][]string, len(t))
		for i, e := range t {
			r := asRow(e)
			cells := make([]string, len(cols))
			for j, c := range cols {
				cells[j] = cellText(r[c])
			}
			rows[i] = cells
		}
		return renderTable(w, headerNames(cols), rows, o, false)
	case map[string]any:
		if len(t) == 0 {
			return nil
		}
		fields := objectFields(t, o.Columns)
		rows := make([][]string, len(fields))
		for i, k := range fields {
			rows[i] = []string{cellText(k), cellText(t[k])}
		}
		return renderTable(w, []string{"FIELD", "VALUE"}, rows, o, true)
	case nil:
		return nil
	default:
		_, err := io.WriteString(w, cellText(v)+"\n")
		return err
	}
}

func headerNames(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = strings.ToUpper(cellText(c))
	}
	return out
}

func renderTable(w io.Writer, header []string, rows [][]string, o Options, object bool) error {
	if !o.TTY {
		return renderPlain(w, header, rows, o)
	}
	cell := tw.CellConfig{
		Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapTruncate},
		Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
		Padding:    tw.CellPadding{Global: tw.PaddingDefault},
	}
	switch {
	case object:
		cell.Formatting.AutoWrap = tw.WrapNormal
		cell.ColMaxWidths = tw.CellWidth{PerColumn: tw.NewMapper[int, int]().Set(1, valueWidth(rows, o.Width))}
	case o.Wide:
		cell.Formatting.AutoWrap = tw.WrapNone
	case o.Width > 0:
		// Fitted to the terminal: the widest columns are shortened so that no row wraps.
		cell.Formatting.AutoWrap = tw.WrapNone
		if o.NoHeaders {
			_, rows = fitCells(nil, rows, o.Width)
		} else {
			header, rows = fitCells(header, rows, o.Width)
		}
	default:
		cell.ColMaxWidths = tw.CellWidth{Global: ttyListCellWidth}
	}
	head := cell
	head.Formatting.AutoWrap = tw.WrapNone
	head.ColMaxWidths = tw.CellWidth{}
	// tablewriter does not report write errors, so draw into memory first.
	var buf bytes.Buffer
	t := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithConfig(tablewriter.Config{
			Header:   head,
			Row:      cell,
			Behavior: tw.Behavior{TrimSpace: tw.Off},
		}))
	if !o.NoHeaders {
		if o.color() {
			bold := make([]string, len(header))
			for i, h := range header {
				bold[i] = ansiBold + h + ansiReset
			}
			header = bold
		}
		t.Header(header)
	}
	if err := t.Bulk(rows); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// valueWidth is where the VALUE column of a single object wraps: ttyValueCellWidth, or what a terminal of the given
// width leaves beside the FIELD column (never less than 20).
func valueWidth(rows [][]string, width int) int {
	if width <= 0 {
		return ttyValueCellWidth
	}
	field := 0
	for _, r := range rows {
		field = max(field, runewidth.StringWidth(r[0]))
	}
	return max(20, width-boxOverhead(2)-max(field, len("FIELD")))
}

// renderPlain writes a borderless table with columns separated by three
// spaces, full-length cells and no trailing blanks, for scripts and pipes.
func renderPlain(w io.Writer, header []string, rows [][]string, o Options) error {
	var buf bytes.Buffer
	cell := tw.CellConfig{
		Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
		Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
		Padding:    tw.CellPadding{Global: tw.Padding{Left: "", Right: "   ", Overwrite: true}},
	}
	t := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders:  tw.BorderNone,
			Symbols:  tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{Lines: tw.LinesNone, Separators: tw.SeparatorsNone},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header:   cell,
			Row:      cell,
			Behavior: tw.Behavior{TrimSpace: tw.Off},
		}))
	if !o.NoHeaders {
		t.Header(header)
	}
	if err := t.Bulk(rows); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	out := make([]byte, 0, buf.Len())
	for line := range bytes.Lines(buf.Bytes()) {
		out = append(out, bytes.TrimRight(line, " \n")...)
		out = append(out, '\n')
	}
	_, err := w.Write(out)
	return err
}
