// Package kv reads and writes the flat key=value text used by BeyondTrust's
// btapi tool, so that scripts written for btapi can pipe the same text into
// infra and read infra's output the same way.
//
// The grammar, one pair per line:
//
//	# a comment
//	name="My host"
//	hostname=10.0.0.5
//	private_key="-----BEGIN OPENSSH PRIVATE KEY-----
//	...
//	-----END OPENSSH PRIVATE KEY-----"
//
// Whitespace around a line is ignored, as are blank lines and lines whose
// first non-blank character is '#'. A key is made of ASCII letters, digits,
// '_', '-' and '.'. An unquoted value runs to the end of its line and has the
// surrounding whitespace removed; it may contain '=' and '"'. A value that
// starts with a double quote ends at the next unescaped double quote and may
// span lines; inside it `\"` stands for a quote and `\\` for a backslash,
// while any other backslash is kept as it is. Only whitespace may follow the
// closing quote.
//
// Nested data is flattened by joining keys with "__", and list elements are
// keyed by their index: `0__id=5`, `0__tags__1=web`.
//
// An unquoted empty value (`key=`) stands for null, a quoted one (`key=""`)
// for the empty string. Apart from that, whether a value was quoted carries no
// meaning: two pairs are equivalent when their keys and values are equal and
// both or neither are null (see [Pair.Equal]).
package kv

import (
	"fmt"
	"strconv"
)

// Sep joins the parts of a flattened key.
const Sep = "__"

// Pair is one key=value entry.
type Pair struct {
	Key   string
	Value string
	// Quoted reports that the value was written in double quotes. For an
	// empty value it tells the empty string (quoted) from null (unquoted).
	Quoted bool
	// Line is the 1-based line on which the key starts; 0 when the pair was
	// not read from text.
	Line int
}

// IsNull reports whether the pair stands for a null value: empty and not quoted.
func (p Pair) IsNull() bool { return !p.Quoted && p.Value == "" }

// Equal reports whether p and q carry the same data: same key, same value,
// and both or neither null. Line and the quoting of non-empty values are
// presentation only and are not compared.
func (p Pair) Equal(q Pair) bool {
	return p.Key == q.Key && p.Value == q.Value && p.IsNull() == q.IsNull()
}

// EqualPairs reports whether a and b hold equal pairs (see [Pair.Equal]) in
// the same order.
func EqualPairs(a, b []Pair) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

// ParseError is a syntax error in key=value input.
type ParseError struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return "line " + strconv.Itoa(e.Line) + ": " + e.Msg }

func errorf(line int, format string, a ...any) *ParseError {
	return &ParseError{Line: line, Msg: fmt.Sprintf(format, a...)}
}

// ValidKey reports whether s is a non-empty key made only of ASCII letters,
// digits, '_', '-' and '.'.
func ValidKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isKeyByte(s[i]) {
			return false
		}
	}
	return true
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// isSpace is the whitespace that is trimmed around lines and unquoted values.
// It is deliberately ASCII only so that Encode and Parse agree on it.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}
