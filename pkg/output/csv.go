package output

import (
	"encoding/csv"
	"io"
)

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
