package output

import (
	"encoding/json"
	"io"
	"slices"
	"strconv"

	"github.com/infractl/infra/pkg/jsonq"
)

var jsonFormat = Spec{
	Name: JSON,
	Help: "the vendor's wire field names, keys sorted; indented on a terminal, one compact line when piped",
	Render: func(w io.Writer, v any, o Options) error {
		return writeJSON(w, v, o.TTY, o.color())
	},
	// A stream of items is JSON Lines, one compact value per line, even on a terminal.
	Stream: func(w io.Writer, _ Options) (Stream, error) { return &jsonStream{streamBase: newStreamBase(w)}, nil },
	List: func(w io.Writer, o Options) ListStream {
		return &jsonArrayStream{streamBase: newStreamBase(w), style: jsonStyle{indent: o.TTY, color: o.color()}}
	},
}

// ANSI colours used for JSON on a terminal, close to jq's defaults.
const (
	colorReset  = "\x1b[0m"
	colorKey    = "\x1b[1;34m"
	colorString = "\x1b[32m"
	colorNumber = "\x1b[36m"
	colorBool   = "\x1b[33m"
	colorNull   = "\x1b[90m"
	colorPunct  = "\x1b[1m"
)

type jsonStyle struct {
	indent bool
	color  bool
}

// writeJSON writes v followed by a newline: indented by two spaces when the
// output is a terminal, on one line otherwise. HTML characters are not
// escaped.
func writeJSON(w io.Writer, v any, tty, color bool) error {
	b := appendJSON(nil, v, jsonStyle{indent: tty, color: color && tty})
	b = append(b, '\n')
	_, err := w.Write(b)
	return err
}

// appendJSON encodes the JSON form of a value with sorted keys. Without
// colour or indentation the result is what encoding/json produces with
// SetEscapeHTML(false).
func appendJSON(dst []byte, v any, s jsonStyle) []byte {
	return s.append(dst, v, 0)
}

// on starts a coloured span; off ends it.
func (s jsonStyle) on(dst []byte, color string) []byte {
	if s.color {
		dst = append(dst, color...)
	}
	return dst
}

func (s jsonStyle) off(dst []byte) []byte {
	if s.color {
		dst = append(dst, colorReset...)
	}
	return dst
}

func (s jsonStyle) punct(dst []byte, c byte) []byte {
	return s.off(append(s.on(dst, colorPunct), c))
}

func (s jsonStyle) newline(dst []byte, depth int) []byte {
	if !s.indent {
		return dst
	}
	dst = append(dst, '\n')
	for range depth {
		dst = append(dst, "  "...)
	}
	return dst
}

func (s jsonStyle) append(dst []byte, v any, depth int) []byte {
	switch t := v.(type) {
	case nil:
		return s.off(append(s.on(dst, colorNull), "null"...))
	case bool:
		return s.off(strconv.AppendBool(s.on(dst, colorBool), t))
	case json.Number:
		if !isJSONNumber(string(t)) {
			// Only a hand-made json.Number can be malformed; keep the
			// output valid JSON by writing it as a string.
			return s.off(jsonq.AppendString(s.on(dst, colorString), string(t)))
		}
		return s.off(append(s.on(dst, colorNumber), t...))
	case string:
		return s.off(jsonq.AppendString(s.on(dst, colorString), t))
	case []any:
		dst = s.punct(dst, '[')
		if len(t) == 0 {
			return s.punct(dst, ']')
		}
		for i, e := range t {
			if i > 0 {
				dst = s.punct(dst, ',')
			}
			dst = s.newline(dst, depth+1)
			dst = s.append(dst, e, depth+1)
		}
		dst = s.newline(dst, depth)
		return s.punct(dst, ']')
	case map[string]any:
		dst = s.punct(dst, '{')
		if len(t) == 0 {
			return s.punct(dst, '}')
		}
		var arr [32]string // on the stack for the usual object
		keys := arr[:0]
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				dst = s.punct(dst, ',')
			}
			dst = s.newline(dst, depth+1)
			dst = s.off(jsonq.AppendString(s.on(dst, colorKey), k))
			dst = s.punct(dst, ':')
			if s.indent {
				dst = append(dst, ' ')
			}
			dst = s.append(dst, t[k], depth+1)
		}
		dst = s.newline(dst, depth)
		return s.punct(dst, '}')
	}
	// Not reachable for normalised values; fall back to encoding/json.
	b, err := json.Marshal(v)
	if err != nil {
		return append(dst, "null"...)
	}
	return append(dst, b...)
}

// isJSONNumber reports whether s is a number in JSON syntax.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// jsonArrayStream writes one JSON array, an element at a time.
type jsonArrayStream struct {
	streamBase
	style jsonStyle
	buf   []byte
}

func (s *jsonArrayStream) Write(item any) error {
	v, err := s.begin(item)
	if err != nil {
		return err
	}
	b := s.buf[:0]
	if s.n == 0 {
		b = s.style.punct(b, '[')
	} else {
		b = s.style.punct(b, ',')
	}
	b = s.style.newline(b, 1)
	b = s.style.append(b, v, 1)
	s.buf = b
	s.n++
	_, err = s.w.Write(b)
	return err
}

func (s *jsonArrayStream) Close() error {
	return s.finish(func() error {
		b := s.buf[:0]
		if s.n == 0 {
			b = s.style.punct(b, '[')
		} else {
			b = s.style.newline(b, 0)
		}
		b = append(s.style.punct(b, ']'), '\n')
		_, err := s.w.Write(b)
		return err
	})
}

type jsonStream struct {
	streamBase
	buf []byte
}

func (s *jsonStream) Write(item any) error {
	v, err := s.begin(item)
	if err != nil {
		return err
	}
	s.buf = appendJSON(s.buf[:0], v, jsonStyle{})
	s.buf = append(s.buf, '\n')
	s.n++
	_, err = s.w.Write(s.buf)
	return err
}

func (s *jsonStream) Close() error { return s.finish(nil) }
