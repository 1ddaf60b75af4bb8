// Package termsafe makes text that came from a server safe to show on a terminal: control characters (C0, DEL, C1,
// ESC and so every escape sequence), invalid UTF-8 and the invisible characters that reorder or hide text
// (bidirectional overrides and isolates, directional marks) are shown as visible escapes instead of being sent to the
// terminal. Machine formats (JSON, YAML, CSV, kv) keep data exact and do not use it.
package termsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Line escapes s for a single terminal line: a newline becomes \n, a tab \t, ESC \x1b, U+202E \u202e.
func Line(s string) string { return escape(s, false) }

// Text escapes s like Line but keeps newlines and tabs, for multi-line messages and traces.
func Text(s string) string { return escape(s, true) }

// Unsafe reports whether r would be escaped (newline and tab aside).
func Unsafe(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

func clean(s string, keepLines bool) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || Unsafe(r) && !(keepLines && (r == '\n' || r == '\t')) {
			return false
		}
		i += n
	}
	return true
}

func escape(s string, keepLines bool) string {
	if clean(s, keepLines) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			hex(&b, `\x`, rune(s[i]), 2)
		case keepLines && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case Unsafe(r) && r < 0x100:
			hex(&b, `\x`, r, 2)
		case Unsafe(r):
			hex(&b, `\u`, r, 4)
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

func hex(b *strings.Builder, prefix string, r rune, width int) {
	h := strconv.FormatInt(int64(r), 16)
	b.WriteString(prefix)
	b.WriteString(strings.Repeat("0", max(width-len(h), 0)))
	b.WriteString(h)
}
