package output

import (
	"slices"
	"strings"

	"github.com/infractl/infra/pkg/termsafe"
)

// valueColumn is the column that holds list elements which are not objects.
const valueColumn = "value"

// asRow gives the fields of one list element: an object's own fields, or
// any other value under the "value" column.
func asRow(e any) map[string]any {
	if m, ok := e.(map[string]any); ok {
		return m
	}
	return map[string]any{valueColumn: e}
}

// defaultColumns is the union of the keys of all rows, sorted, with "id"
// first when present.
func defaultColumns(rows []any) []string {
	seen := map[string]struct{}{}
	for _, r := range rows {
		for k := range asRow(r) {
			seen[k] = struct{}{}
		}
	}
	cols := make([]string, 0, len(seen))
	for k := range seen {
		cols = append(cols, k)
	}
	return idFirst(cols)
}

func idFirst(keys []string) []string {
	slices.SortFunc(keys, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "id":
			return -1
		case b == "id":
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys
}

// objectFields orders the fields of a single object: the given columns that
// it has first, in their order, then the rest sorted with "id" first.
func objectFields(m map[string]any, cols []string) []string {
	out := make([]string, 0, len(m))
	used := make(map[string]bool, len(cols))
	for _, c := range cols {
		if _, ok := m[c]; ok && !used[c] {
			used[c] = true
			out = append(out, c)
		}
	}
	rest := make([]string, 0, len(m)-len(out))
	for k := range m {
		if !used[k] {
			rest = append(rest, k)
		}
	}
	return append(out, idFirst(rest)...)
}

// cellText makes a value safe for a table cell that must stay on one line
// and must not drive the terminal: control characters, bidirectional
// overrides and invalid bytes are shown as escapes (a newline as \n, ESC as
// \x1b, U+202E as \u202e).
func cellText(v any) string { return termsafe.Line(scalarText(v)) }
