// Package output renders command results as a table, JSON, YAML, CSV or the
// btapi key=value form, or through a jq expression or a Go template.
//
// Every renderer works on the JSON form of the result: the values that
// encoding/json produces with UseNumber (map[string]any, []any, string,
// json.Number, bool and nil). Other Go values are first converted with
// [Normalize]. Object keys always come out sorted, so output is stable.
//
// What a terminal changes is cosmetic only: JSON is indented and may be
// coloured, tables get borders and long cells are shortened. Piped output is
// never coloured or shortened.
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/infractl/infra/pkg/kv"
)

// Format names an output format.
type Format string

// The supported formats.
const (
	Table Format = "table"
	JSON  Format = "json"
	YAML  Format = "yaml"
	CSV   Format = "csv"
	KV    Format = "kv"
)

// Options controls rendering.
type Options struct {
	// Format picks the renderer; the empty value means Table.
	Format Format
	// JQ is a jq expression applied to the JSON form. When set it replaces
	// Format; it also wins over Template if both are set.
	JQ string
	// Template is a text/template applied to the JSON form. When set (and JQ
	// is not) it replaces Format.
	Template string
	// Columns are the top-level keys shown by the table and CSV formats, in
	// order. By default: every key found in any row, sorted, with "id" first.
	// For a single object shown as a table (FIELD/VALUE), every field is
	// shown and Columns only put the listed fields first.
	Columns []string
	// NoHeaders drops the header row of tables and CSV.
	NoHeaders bool
	// TTY reports that the output is a terminal.
	TTY bool
	// Color allows ANSI colours; it has no effect unless TTY is set.
	Color bool
	// Width is the terminal's width in columns (0 when unknown). On a terminal, tables are fitted to it: the widest
	// columns are shortened with an ellipsis. Piped output (TTY unset) ignores it.
	Width int
	// Wide shows every cell whole on a terminal (--wide, -o wide): no shortening.
	Wide bool
}

func (o Options) color() bool { return o.TTY && o.Color }

// Render writes v to w as o asks.
//
// An empty list gives only the header in the table and CSV formats when
// Columns are given (callers tell the user on stderr), else no output.
func Render(w io.Writer, v any, o Options) error {
	n, err := Normalize(v)
	if err != nil {
		return err
	}
	switch {
	case o.JQ != "":
		q, err := compileJQ(o.JQ)
		if err != nil {
			return err
		}
		return q.run(w, n)
	case o.Template != "":
		t, err := parseTemplate(o.Template)
		if err != nil {
			return err
		}
		return execTemplate(w, t, n)
	}
	spec, err := o.spec()
	if err != nil {
		return err
	}
	return spec.Render(w, n, o)
}

// Normalize converts v to the JSON form: map[string]any, []any, string,
// json.Number, bool and nil. Values already in that form are returned as
// they are; anything else goes through encoding/json.
func Normalize(v any) (any, error) {
	if kv.IsPlain(v) {
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("output: cannot convert %T to JSON: %w", v, err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return nil, fmt.Errorf("output: cannot convert %T to JSON: %w", v, err)
	}
	return out, nil
}

// scalarText is the text of a value in a table or CSV cell: strings as they
// are, nil as nothing, numbers and booleans as in JSON, and objects and
// lists as compact JSON.
func scalarText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "true"
		}
		return "false"
	}
	return string(appendJSON(nil, v, jsonStyle{}))
}
