package kv

import (
	"bufio"
	"fmt"
	"io"
)

// Encode writes one `key=value` line per pair.
//
// A null pair (empty and not quoted) is written as `key=`. A value is put in
// double quotes when the pair says it was quoted or when it needs them: it is
// empty, starts with '#', or holds whitespace, a newline, '"' or '\'. Quoting
// values with inner spaces is not required by Parse; it matches btapi's own
// output (name="My host") and keeps the text readable.
// Everything Encode writes reads back through [Parse] as equal pairs (see
// [Pair.Equal]); to keep that promise it refuses invalid and repeated keys.
func Encode(w io.Writer, pairs []Pair) error {
	seen := make(map[string]struct{}, len(pairs))
	for _, p := range pairs {
		if !ValidKey(p.Key) {
			return fmt.Errorf("kv: cannot write key %q: keys may only hold letters, digits, '_', '-' and '.'", p.Key)
		}
		if _, dup := seen[p.Key]; dup {
			return fmt.Errorf("kv: cannot write key %q twice", p.Key)
		}
		seen[p.Key] = struct{}{}
	}
	bw := bufio.NewWriter(w)
	var buf []byte
	for _, p := range pairs {
		buf = AppendPair(buf[:0], p)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// AppendPair appends p as one `key=value` line, newline included, without
// checking the key.
func AppendPair(dst []byte, p Pair) []byte {
	dst = append(dst, p.Key...)
	dst = append(dst, '=')
	if p.IsNull() || !p.Quoted && !NeedsQuotes(p.Value) {
		dst = append(dst, p.Value...)
		return append(dst, '\n')
	}
	dst = append(dst, '"')
	for i := 0; i < len(p.Value); i++ {
		c := p.Value[i]
		if c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"', '\n')
}

// NeedsQuotes reports whether a non-null value must be written in quotes:
// it is empty, starts with '#', or holds whitespace, a newline, '"' or '\'.
func NeedsQuotes(v string) bool {
	if v == "" || v[0] == '#' {
		return true
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\n', c == '"', c == '\\', isSpace(c):
			return true
		}
	}
	return false
}
