package termsafe

import "testing"

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, line, text string }{
		{"plain ünïcode", "plain ünïcode", "plain ünïcode"},
		{"a\x1b[2Jb", `a\x1b[2Jb`, `a\x1b[2Jb`},
		{"t\x1b]0;title\x07", `t\x1b]0;title\x07`, `t\x1b]0;title\x07`},
		{"x\u0085y\u009bz", `x\x85y\x9bz`, `x\x85y\x9bz`},
		{"evil\u202etxt.exe", `evil\u202etxt.exe`, `evil\u202etxt.exe`},
		{"\u2066a\u2069\u200e\u200f\u061c", `\u2066a\u2069\u200e\u200f\u061c`, `\u2066a\u2069\u200e\u200f\u061c`},
		{"l1\nl2\tc\r", `l1\nl2\tc\r`, "l1\nl2\tc\\r"},
		{"bad\xffbyte\x7f", `bad\xffbyte\x7f`, `bad\xffbyte\x7f`},
	} {
		if got := Line(c.in); got != c.line {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.line)
		}
		if got := Text(c.in); got != c.text {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.text)
		}
	}
}
