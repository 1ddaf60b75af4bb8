package kv

import (
	"bytes"
	"io"
	"strconv"
)

// Parse reads every pair of r as a single record. Blank lines and comments
// are skipped. A key given twice is an error that names both lines.
//
// Error messages never quote values or whole lines, as those may hold
// secrets.
func Parse(r io.Reader) ([]Pair, error) {
	recs, err := parse(r, false)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, nil
	}
	return recs[0], nil
}

// ParseRecords reads several records separated by one or more blank lines.
// A blank line inside a quoted value does not separate records. Records
// holding only comments are dropped. Keys must be unique within a record.
func ParseRecords(r io.Reader) ([][]Pair, error) {
	return parse(r, true)
}

func parse(r io.Reader, split bool) ([][]Pair, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	p := parser{data: data, line: 1}
	var recs [][]Pair
	var cur []Pair
	seen := map[string]int{}
	flush := func() {
		if len(cur) > 0 {
			recs = append(recs, cur)
			cur = nil
			clear(seen)
		}
	}
	for !p.eof() {
		p.skipSpace()
		if p.eof() {
			break
		}
		switch p.data[p.pos] {
		case '\n':
			p.newline()
			if split {
				flush()
			}
			continue
		case '#':
			p.skipLine()
			continue
		}
		pair, err := p.pair()
		if err != nil {
			return nil, err
		}
		if first, dup := seen[pair.Key]; dup {
			return nil, errorf(pair.Line, "duplicate key %q (first given on line %d)", pair.Key, first)
		}
		seen[pair.Key] = pair.Line
		cur = append(cur, pair)
	}
	flush()
	return recs, nil
}

type parser struct {
	data []byte
	pos  int
	line int
}

func (p *parser) eof() bool { return p.pos >= len(p.data) }

func (p *parser) skipSpace() {
	for p.pos < len(p.data) && isSpace(p.data[p.pos]) {
		p.pos++
	}
}

// newline consumes the '\n' under the cursor.
func (p *parser) newline() {
	p.pos++
	p.line++
}

// skipLine moves past the end of the current line.
func (p *parser) skipLine() {
	if i := bytes.IndexByte(p.data[p.pos:], '\n'); i >= 0 {
		p.pos += i
		p.newline()
		return
	}
	p.pos = len(p.data)
}

// endLine consumes the rest of the line, which must be blank.
func (p *parser) endLine(what string) error {
	p.skipSpace()
	if p.eof() {
		return nil
	}
	if p.data[p.pos] != '\n' {
		return errorf(p.line, "unexpected text after %s", what)
	}
	p.newline()
	return nil
}

// pair reads one key=value entry starting at a non-blank character.
func (p *parser) pair() (Pair, error) {
	line := p.line
	rest := p.data[p.pos:]
	eq := bytes.IndexByte(rest, '=')
	nl := bytes.IndexByte(rest, '\n')
	if eq < 0 || (nl >= 0 && nl < eq) {
		return Pair{}, errorf(line, "expected key=value")
	}
	key := rest[:eq]
	for len(key) > 0 && isSpace(key[len(key)-1]) {
		key = key[:len(key)-1]
	}
	if len(key) == 0 {
		return Pair{}, errorf(line, "missing key before '='")
	}
	for i, c := range key {
		if !isKeyByte(c) {
			return Pair{}, errorf(line, "invalid character %s in key at column %d (keys may hold letters, digits, '_', '-' and '.')",
				describeByte(key, i), p.pos+i-p.lineStart()+1)
		}
	}
	pr := Pair{Key: string(key), Line: line}
	p.pos += eq + 1
	for p.pos < len(p.data) && isSpace(p.data[p.pos]) {
		p.pos++
	}
	if !p.eof() && p.data[p.pos] == '"' {
		v, err := p.quoted(pr.Key)
		if err != nil {
			return Pair{}, err
		}
		pr.Value, pr.Quoted = v, true
		return pr, p.endLine("the closing quote of " + strconv.Quote(pr.Key))
	}
	end := len(p.data)
	if i := bytes.IndexByte(p.data[p.pos:], '\n'); i >= 0 {
		end = p.pos + i
	}
	v := p.data[p.pos:end]
	for len(v) > 0 && isSpace(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	pr.Value = string(v)
	p.pos = end
	if !p.eof() {
		p.newline()
	}
	return pr, nil
}

// quoted reads a double-quoted value; the cursor is on the opening quote.
func (p *parser) quoted(key string) (string, error) {
	start := p.line
	p.pos++
	var b []byte
	for i := p.pos; i < len(p.data); i++ {
		c := p.data[i]
		switch c {
		case '"':
			p.pos = i + 1
			return string(b), nil
		case '\\':
			if i+1 < len(p.data) && (p.data[i+1] == '"' || p.data[i+1] == '\\') {
				i++
				c = p.data[i]
			}
		case '\n':
			p.line++
		}
		b = append(b, c)
	}
	p.pos = len(p.data)
	return "", errorf(start, "unterminated quoted value for key %q", key)
}

func (p *parser) lineStart() int {
	return bytes.LastIndexByte(p.data[:p.pos], '\n') + 1
}

func describeByte(s []byte, i int) string {
	r := []rune(string(s[i:]))
	if len(r) == 0 {
		return strconv.QuoteRune(0xFFFD)
	}
	return strconv.QuoteRune(r[0])
}
