package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func streamAll(t *testing.T, items []any, o Options) string {
	t.Helper()
	var b bytes.Buffer
	s, err := NewStream(&b, o)
	if err != nil {
		t.Fatalf("NewStream: %v", err)
	}
	for _, it := range items {
		if err := s.Write(it); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return b.String()
}

var streamItems = `[{"id":1,"name":"My host","tags":["a"],"key":"l1\nl2"},{"id":2,"name":null,"extra":{"x":true}},{"id":3,"name":"ünï"}]`

func TestStreamMatchesRender(t *testing.T) {
	items := decodeJSON(t, streamItems).([]any)
	cols := []string{"id", "name", "tags"}
	for _, o := range []Options{
		{Format: KV},
		{Format: YAML},
		{Format: CSV, Columns: cols},
		{Format: CSV, Columns: cols, NoHeaders: true},
		{Format: Table},
		{Format: Table, TTY: true},
		{Format: Table, Columns: cols},
	} {
		got := streamAll(t, items, o)
		want := render(t, items, o)
		if got != want {
			t.Errorf("%+v: stream wrote\n%s\nRender wrote\n%s", o, got, want)
		}
	}
}

func TestStreamJSONLines(t *testing.T) {
	items := decodeJSON(t, streamItems).([]any)
	for _, tty := range []bool{false, true} {
		got := streamAll(t, items, Options{Format: JSON, TTY: tty, Color: true})
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if len(lines) != len(items) {
			t.Fatalf("tty=%v: got %d lines, want %d:\n%s", tty, len(lines), len(items), got)
		}
		for i, l := range lines {
			if want := render(t, items[i], Options{Format: JSON}); l+"\n" != want {
				t.Errorf("line %d = %q, want %q", i, l, want)
			}
		}
	}
}

func TestStreamEmpty(t *testing.T) {
	tests := []struct {
		o    Options
		want string
	}{
		{Options{Format: JSON}, ""},
		{Options{Format: KV}, ""},
		{Options{Format: Table}, ""},
		{Options{Format: YAML}, "[]\n"},
		{Options{Format: CSV, Columns: []string{"id", "name"}}, "id,name\n"},
		{Options{Format: CSV, Columns: []string{"id"}, NoHeaders: true}, ""},
	}
	for _, tt := range tests {
		if got := streamAll(t, nil, tt.o); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.o, got, tt.want)
		}
	}
}

func TestStreamJQAndTemplatePerItem(t *testing.T) {
	items := decodeJSON(t, streamItems).([]any)
	if got := streamAll(t, items, Options{Format: CSV, JQ: ".id"}); got != "1\n2\n3\n" {
		t.Errorf("jq: got %q", got)
	}
	if got := streamAll(t, items, Options{Format: JSON, Template: "{{.id}}:{{upper .name}},"}); got != "1:MY HOST,2:,3:ÜNÏ," {
		t.Errorf("template: got %q", got)
	}
	var b bytes.Buffer
	s, err := NewStream(&b, Options{JQ: ".name | ascii_downcase"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(items[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(items[1]); err == nil || !strings.Contains(err.Error(), "ascii_downcase") {
		t.Errorf("jq runtime error: got %v", err)
	}
}

func TestNewStreamErrors(t *testing.T) {
	for _, o := range []Options{
		{Format: CSV},
		{Format: "xml"},
		{JQ: ".["},
		{Template: "{{"},
	} {
		if _, err := NewStream(&bytes.Buffer{}, o); err == nil {
			t.Errorf("%+v: NewStream succeeded", o)
		}
	}
}

func TestStreamClose(t *testing.T) {
	var b bytes.Buffer
	s, err := NewStream(&b, Options{Format: JSON})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(map[string]any{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Write(map[string]any{"a": "c"}); err == nil {
		t.Error("Write after Close succeeded")
	}
	if b.String() != `{"a":"b"}`+"\n" {
		t.Errorf("got %q", b.String())
	}
}

func TestStreamRejectsUnencodable(t *testing.T) {
	s, err := NewStream(&bytes.Buffer{}, Options{Format: KV})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(map[string]any{"bad key": 1}); err == nil {
		t.Error("kv stream accepted a key it cannot write")
	}
	if err := s.Write(make(chan int)); err == nil {
		t.Error("stream accepted a channel")
	}
}

// countingWriter records how many bytes reached it.
type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}

func TestStreamWritesAsItGoes(t *testing.T) {
	item := map[string]any{"id": json.Number("1"), "name": strings.Repeat("n", 100)}
	for _, o := range []Options{{Format: JSON}, {Format: KV}, {Format: YAML}, {Format: CSV, Columns: []string{"id", "name"}}, {JQ: ".name"}} {
		var w countingWriter
		s, err := NewStream(&w, o)
		if err != nil {
			t.Fatal(err)
		}
		for range 1000 {
			if err := s.Write(item); err != nil {
				t.Fatal(err)
			}
		}
		// 1000 items of over 100 bytes each: most must be out already.
		if w.n < 90000 {
			t.Errorf("%+v: only %d bytes written before Close; output is being held back", o, w.n)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStreamWriteErrors(t *testing.T) {
	boom := errors.New("pipe closed")
	big := map[string]any{"name": strings.Repeat("z", 10000)}
	for _, o := range []Options{{Format: JSON}, {Format: KV}, {Format: YAML}, {Format: CSV, Columns: []string{"name"}}, {Format: Table}} {
		s, err := NewStream(failWriter{boom}, o)
		if err != nil {
			t.Fatal(err)
		}
		werr := s.Write(big)
		cerr := s.Close()
		if !errors.Is(werr, boom) && !errors.Is(cerr, boom) {
			t.Errorf("%+v: write error lost (Write: %v, Close: %v)", o, werr, cerr)
		}
	}
}

// TestListStreamMatchesRender checks that a list written an item at a time is byte for byte what Render writes for
// the whole list, for every format that streams, with none, one and several items.
func TestListStreamMatchesRender(t *testing.T) {
	all := decodeJSON(t, streamItems).([]any)
	cols := []string{"id", "name", "tags"}
	for _, items := range [][]any{{}, all[:1], all} {
		for _, o := range []Options{
			{Format: JSON},
			{Format: JSON, TTY: true},
			{Format: JSON, TTY: true, Color: true},
			{Format: YAML},
			{Format: KV},
			{Format: CSV, Columns: cols},
			{Format: CSV, Columns: cols, NoHeaders: true},
		} {
			var b bytes.Buffer
			s := NewListStream(&b, o)
			if s == nil {
				t.Fatalf("%+v: not streamed", o)
			}
			for _, it := range items {
				if err := s.Write(it); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if s.Count() != len(items) {
				t.Errorf("%+v: Count %d, want %d", o, s.Count(), len(items))
			}
			if want := render(t, items, o); b.String() != want {
				t.Errorf("%+v, %d items: stream wrote\n%q\nRender wrote\n%q", o, len(items), b.String(), want)
			}
		}
	}
}

func TestListStreamNeedsEveryItem(t *testing.T) {
	for _, o := range []Options{{Format: Table}, {}, {Format: CSV}, {Format: JSON, JQ: "length"}, {Format: JSON, Template: "{{len .}}"}} {
		if NewListStream(io.Discard, o) != nil {
			t.Errorf("%+v: streamed, but its output depends on every item", o)
		}
	}
}

// TestListStreamAbort: a list cut by an error keeps the items written, without the JSON array's end, and writes
// nothing at all (not even a CSV header) when no item came.
func TestListStreamAbort(t *testing.T) {
	items := decodeJSON(t, streamItems).([]any)
	cols := []string{"id", "name"}
	for _, o := range []Options{{Format: JSON}, {Format: CSV, Columns: cols}, {Format: KV}, {Format: YAML}} {
		var b bytes.Buffer
		s := NewListStream(&b, o)
		if err := s.Abort(); err != nil || b.Len() != 0 {
			t.Errorf("%+v: abort before any item wrote %q (%v)", o, b.String(), err)
		}
		b.Reset()
		s = NewListStream(&b, o)
		for _, it := range items[:2] {
			if err := s.Write(it); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Abort(); err != nil {
			t.Fatal(err)
		}
		whole := render(t, items, o)
		two := render(t, items[:2], o)
		if o.Format == JSON {
			two = strings.TrimSuffix(two, "]\n")
		}
		if b.String() != two || !strings.HasPrefix(whole, b.String()) {
			t.Errorf("%+v: after abort got %q, want %q", o, b.String(), two)
		}
		if err := s.Write(items[2]); err == nil {
			t.Errorf("%+v: write after abort accepted", o)
		}
	}
}
