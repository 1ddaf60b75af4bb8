package output

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
)

func TestFitWidths(t *testing.T) {
	for _, c := range []struct {
		natural []int
		width   int
		want    []int
	}{
		// Fits: unchanged.
		{[]int{2, 10, 20}, 80, []int{2, 10, 20}},
		// Exactly the width: 32 + 3*3+1 = 42.
		{[]int{2, 10, 20}, 42, []int{2, 10, 20}},
		// One too narrow: only the widest column gives.
		{[]int{2, 10, 20}, 41, []int{2, 10, 19}},
		// The two widest are narrowed to a common limit; the narrow one is kept.
		{[]int{2, 50, 60}, 50, []int{2, 19, 19}},
		{[]int{2, 50, 60}, 51, []int{2, 20, 19}},
		// Never below minFitWidth, even when the row then cannot fit.
		{[]int{10, 10, 10}, 12, []int{3, 3, 3}},
		{[]int{1, 10}, 8, []int{1, 3}},
		{nil, 80, nil},
	} {
		got := fitWidths(c.natural, c.width)
		if !slices.Equal(got, c.want) {
			t.Errorf("fitWidths(%v, %d) = %v, want %v", c.natural, c.width, got, c.want)
		}
		total := 0
		for i, w := range got {
			total += w
			if w > c.natural[i] {
				t.Errorf("fitWidths(%v, %d) widened column %d", c.natural, c.width, i)
			}
		}
		if fits := total+boxOverhead(len(got)) <= c.width; !fits && !slices.Contains(got, minFitWidth) && len(got) > 0 {
			t.Errorf("fitWidths(%v, %d) = %v does not fit", c.natural, c.width, got)
		}
	}
}

func TestTruncateCell(t *testing.T) {
	for _, c := range []struct {
		in    string
		width int
		want  string
	}{
		{"hello", 5, "hello"},
		{"hello", 4, "hel…"},
		{"日本語テキスト", 6, "日本…"},
		{"abc", 1, "…"},
	} {
		if got := truncateCell(c.in, c.width); got != c.want || runewidth.StringWidth(got) > max(c.width, 1) {
			t.Errorf("truncateCell(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
	}
}

// TestTableFitsTerminalWidth: on a terminal of known width every line of a list table fits it, the widest cells end
// with an ellipsis, and the narrow ones are whole; --wide (or -o wide) and piped output keep every cell whole.
func TestTableFitsTerminalWidth(t *testing.T) {
	long := strings.Repeat("x", 150)
	v := []any{
		map[string]any{"id": json.Number("4"), "name": "web01", "hostname": "web01." + long, "comments": "note " + long},
		map[string]any{"id": json.Number("12"), "name": "db", "hostname": "db.example", "comments": ""},
	}
	cols := []string{"id", "name", "hostname", "comments"}
	for _, width := range []int{80, 100} {
		got := render(t, v, Options{Format: Table, TTY: true, Width: width, Columns: cols})
		for _, line := range strings.Split(strings.TrimRight(got, "\n"), "\n") {
			if w := runewidth.StringWidth(line); w > width {
				t.Errorf("width %d: line of %d columns: %q", width, w, line)
			}
		}
		if !strings.Contains(got, "web01.xx") || !strings.Contains(got, "…") || !strings.Contains(got, "│ 12 ") || !strings.Contains(got, "HOSTNAME") {
			t.Errorf("width %d: cells not fitted as expected:\n%s", width, got)
		}
	}
	for _, o := range []Options{
		{Format: Table, TTY: true, Width: 80, Wide: true, Columns: cols},
		{Format: Wide, TTY: true, Width: 80, Columns: cols},
	} {
		if got := render(t, v, o); !strings.Contains(got, "note "+long) || strings.Contains(got, "…") {
			t.Errorf("%+v: cells shortened:\n%s", o, got)
		}
	}
	piped := render(t, v, Options{Format: Table, Columns: cols})
	for _, o := range []Options{{Format: Table, Width: 80, Columns: cols}, {Format: Wide, Width: 80, Columns: cols}} {
		if got := render(t, v, o); got != piped {
			t.Errorf("%+v: piped output changed:\n%s\nwant\n%s", o, got, piped)
		}
	}
	// A single object wraps its values within the width rather than dropping text.
	obj := render(t, map[string]any{"description": strings.Repeat("word ", 40)}, Options{Format: Table, TTY: true, Width: 60})
	for _, line := range strings.Split(strings.TrimRight(obj, "\n"), "\n") {
		if runewidth.StringWidth(line) > 60 {
			t.Errorf("object line wider than 60: %q", line)
		}
	}
	if strings.Count(obj, "word") != 40 {
		t.Errorf("object value lost text:\n%s", obj)
	}
}
