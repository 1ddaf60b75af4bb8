package textdist

import "testing"

func TestLevenshtein(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"", "abc", 3}, {"abc", "abc", 0}, {"nmae", "name", 2}, {"colour", "color", 1}, {"lst", "list", 1}, {"héllo", "hello", 1}} {
		if got := Levenshtein(c.a, c.b); got != c.d {
			t.Errorf("Levenshtein(%q,%q)=%d want %d", c.a, c.b, got, c.d)
		}
	}
}
