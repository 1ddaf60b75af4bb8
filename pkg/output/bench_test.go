package output

import (
	"encoding/json"
	"io"
	"strconv"
	"testing"
)

// benchRows builds n rows shaped like a PRA report: a few scalars, a null
// and a small nested list.
func benchRows(n int) []any {
	rows := make([]any, n)
	for i := range rows {
		rows[i] = map[string]any{
			"id":         json.Number(strconv.Itoa(i + 1)),
			"name":       "host-" + strconv.Itoa(i) + " in rack 7",
			"hostname":   "10.0." + strconv.Itoa(i/256%256) + "." + strconv.Itoa(i%256),
			"port":       json.Number("22"),
			"enabled":    i%2 == 0,
			"comments":   nil,
			"tags":       []any{"linux", "prod"},
			"start_time": "2024-05-01T10:00:00Z",
		}
	}
	return rows
}

const benchSize = 10000

func benchRender(b *testing.B, o Options) {
	rows := benchRows(benchSize)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := Render(io.Discard, rows, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderJSON(b *testing.B)  { benchRender(b, Options{Format: JSON}) }
func BenchmarkRenderTable(b *testing.B) { benchRender(b, Options{Format: Table}) }
func BenchmarkRenderKV(b *testing.B)    { benchRender(b, Options{Format: KV}) }

func BenchmarkStreamCSV(b *testing.B) {
	rows := benchRows(benchSize)
	o := Options{Format: CSV, Columns: []string{"id", "name", "hostname", "port", "enabled", "comments", "tags", "start_time"}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, err := NewStream(io.Discard, o)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rows {
			if err := s.Write(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
