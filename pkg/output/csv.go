package output

import (
	"encoding/csv"
	"errors"
	"io"
)

var csvFormat = Spec{
	Name:    CSV,
	Help:    "a header row of field names (unless --no-headers), then one row per item; cells are exact data",
	Tabular: true,
	Render:  writeCSV,
	Stream:  func(w io.Writer, o Options) (Stream, error) { return newCSVStream(w, o) },
	// Without columns given, the header is every row's fields: the whole list must be seen first.
	List: func(w io.Writer, o Options) ListStream {
		if len(o.Columns) == 0 {
			return nil
		}
		s, err := newCSVStream(w, o)
		if err != nil {
			return nil
		}
		return s
	},
}

func newCSVStream(w io.Writer, o Options) (*csvStream, error) {
	if len(o.Columns) == 0 {
		return nil, errors.New("output: streaming CSV needs the columns to be given")
	}
	base := newStreamBase(w)
	s := &csvStream{streamBase: base, cw: csv.NewWriter(base.w), cols: o.Columns, rec: make([]string, len(o.Columns))}
	if !o.NoHeaders {
		if err := s.cw.Write(o.Columns); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// writeCSV writes a header row (unless NoHeaders) and one row per list
// element; a single object or a scalar is one row. Nested values are
// compact JSON, null is an empty field.
func writeCSV(w io.Writer, v any, o Options) error {
	var items []any
	cols := o.Columns
	switch t := v.(type) {
	case []any:
		items = t
		if len(cols) == 0 {
			if len(t) == 0 {
				return nil
			}
			cols = defaultColumns(t)
		}
	case map[string]any:
		items = []any{t}
		if len(cols) == 0 {
			if len(t) == 0 {
				return nil
			}
			cols = objectFields(t, nil)
		}
	default:
		items = []any{v}
		if len(cols) == 0 {
			cols = []string{valueColumn}
		}
	}
	cw := csv.NewWriter(w)
	if !o.NoHeaders {
		if err := cw.Write(cols); err != nil {
			return err
		}
	}
	rec := make([]string, len(cols))
	for _, e := range items {
		if err := cw.Write(csvRecord(rec, cols, e)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvRecord(rec []string, cols []string, e any) []string {
	r := asRow(e)
	for i, c := range cols {
		rec[i] = scalarText(r[c])
	}
	return rec
}

type csvStream struct {
	streamBase
	cw   *csv.Writer
	cols []string
	rec  []string
}

func (s *csvStream) Write(item any) error {
	v, err := s.begin(item)
	if err != nil {
		return err
	}
	s.n++
	return s.cw.Write(csvRecord(s.rec, s.cols, v))
}

func (s *csvStream) Close() error {
	return s.finish(func() error {
		s.cw.Flush()
		return s.cw.Error()
	})
}

// Abort flushes the csv writer's own buffer before the stream's.
func (s *csvStream) Abort() error {
	if s.n > 0 && !s.closed {
		s.cw.Flush()
	}
	return s.streamBase.Abort()
}
