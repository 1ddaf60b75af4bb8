package output

import (
	"strings"

	"github.com/mattn/go-runewidth"
)

// minFitWidth is the narrowest a column is shortened to: two characters and the ellipsis.
const minFitWidth = 3

// boxOverhead is what a boxed row of n columns adds to its cells: a border before each cell, one after the last, and
// a space of padding on each side of every cell.
func boxOverhead(n int) int { return 3*n + 1 }

// fitWidths returns the width of each column so that a boxed row fits in width terminal columns: when the natural
// widths do not fit, the widest columns are narrowed first, to a common limit, none below minFitWidth (or its
// natural width when that is less). Columns that fit are left as they are.
func fitWidths(natural []int, width int) []int {
	out := append([]int(nil), natural...)
	budget := width - boxOverhead(len(natural))
	total := 0
	for _, w := range natural {
		total += w
	}
	if total <= budget || len(natural) == 0 {
		return out
	}
	// The largest limit c with sum(min(w, max(c, floor))) <= budget, where floor keeps columns readable.
	used := func(c int) int {
		s := 0
		for _, w := range natural {
			s += min(w, max(c, minFitWidth))
		}
		return s
	}
	lo, hi := minFitWidth, 0
	for _, w := range natural {
		hi = max(hi, w)
	}
	if used(lo) > budget {
		for i, w := range natural {
			out[i] = min(w, minFitWidth)
		}
		return out
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if used(mid) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	left := budget - used(lo)
	for i, w := range natural {
		out[i] = min(w, lo)
		if w > lo && left > 0 {
			out[i]++
			left--
		}
	}
	return out
}

// fitCells shortens the header and cells of a list table so that its boxed rows fit in width columns.
func fitCells(header []string, rows [][]string, width int) ([]string, [][]string) {
	n := len(header)
	if n == 0 && len(rows) > 0 {
		n = len(rows[0])
	}
	natural := make([]int, n)
	measure := func(cells []string) {
		for i, c := range cells {
			if i < n {
				natural[i] = max(natural[i], runewidth.StringWidth(c))
			}
		}
	}
	measure(header)
	for _, r := range rows {
		measure(r)
	}
	limits := fitWidths(natural, width)
	cut := func(cells []string) []string {
		out := make([]string, len(cells))
		for i, c := range cells {
			out[i] = c
			if i < n {
				out[i] = truncateCell(c, limits[i])
			}
		}
		return out
	}
	var h []string
	if header != nil {
		h = cut(header)
	}
	fitted := make([][]string, len(rows))
	for i, r := range rows {
		fitted[i] = cut(r)
	}
	return h, fitted
}

// truncateCell shortens s to at most width terminal columns, ending it with an ellipsis when anything is cut.
func truncateCell(s string, width int) string {
	if runewidth.StringWidth(s) <= width {
		return s
	}
	if width <= 1 {
		return "…"
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := runewidth.RuneWidth(r)
		if w+rw > width-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	return b.String() + "…"
}
