package output

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"text/template"

	"gopkg.in/yaml.v3"

	"github.com/infractl/infra/pkg/kv"
)

// Stream writes the elements of a long list one at a time, so that memory
// use does not grow with the list. Close must be called once all items are
// written; it flushes buffered output.
type Stream interface {
	Write(item any) error
	Close() error
}

// NewStream starts a stream in the format o asks for:
//
//   - json: JSON Lines, one compact value per line, even on a terminal;
//   - csv: a header from o.Columns (required) unless NoHeaders, then a row
//     per item;
//   - kv: each item flattened under its running index (0__id=..., 1__id=...),
//     exactly as Render prints the whole list;
//   - yaml: one YAML sequence, written an item at a time ("[]" when empty);
//   - table: the items are kept and the table is drawn on Close, since
//     column widths depend on every row.
//
// With o.JQ the expression runs on each item in turn, and with o.Template
// the template is executed for each item; their output replaces the format.
func NewStream(w io.Writer, o Options) (Stream, error) {
	bw := bufio.NewWriter(w)
	base := streamBase{w: bw}
	switch {
	case o.JQ != "":
		q, err := compileJQ(o.JQ)
		if err != nil {
			return nil, err
		}
		return &jqStream{streamBase: base, q: q}, nil
	case o.Template != "":
		t, err := parseTemplate(o.Template)
		if err != nil {
			return nil, err
		}
		return &templateStream{streamBase: base, t: t}, nil
	}
	switch o.Format {
	case JSON:
		return &jsonStream{streamBase: base}, nil
	case CSV:
		if len(o.Columns) == 0 {
			return nil, errors.New("output: streaming CSV needs the columns to be given")
		}
		s := &csvStream{streamBase: base, cw: csv.NewWriter(bw), cols: o.Columns, rec: make([]string, len(o.Columns))}
		if !o.NoHeaders {
			if err := s.cw.Write(o.Columns); err != nil {
				return nil, err
			}
		}
		return s, nil
	case KV:
		return &kvStream{streamBase: base}, nil
	case YAML:
		return &yamlStream{streamBase: base}, nil
	case Table, "":
		return &tableStream{streamBase: base, o: o}, nil
	}
	_, err := ParseFormat(string(o.Format))
	return nil, err
}

// ListStream writes a list an item at a time, exactly as [Render] writes the whole list.
type ListStream interface {
	Stream
	// Count is the number of items written.
	Count() int
	// Abort ends a list cut short by an error: the items already written are flushed (nothing when there is none,
	// not even a CSV header), and a JSON array is left unterminated, so that a reader cannot take the part for the
	// whole list.
	Abort() error
}

// NewListStream starts a stream whose output is byte for byte what Render writes for the list of all items, in
// formats that need no more than the current item: json (an array, compact or indented as Render writes it), yaml,
// csv with columns given, and kv. Memory does not grow with the list. It returns nil when the output depends on every
// item: table (column widths), jq and templates (they run on the whole list) and csv without columns (taken from
// every row); the caller then collects the items and calls Render.
func NewListStream(w io.Writer, o Options) ListStream {
	switch {
	case o.JQ != "" || o.Template != "":
		return nil
	case o.Format == JSON:
		return &jsonArrayStream{streamBase: streamBase{w: bufio.NewWriter(w)}, style: jsonStyle{indent: o.TTY, color: o.color()}}
	case o.Format == YAML, o.Format == KV, o.Format == CSV && len(o.Columns) > 0:
		s, err := NewStream(w, o)
		if err != nil {
			return nil
		}
		return s.(ListStream)
	}
	return nil
}

var errStreamClosed = errors.New("output: write to a closed stream")

// streamBase holds what every stream shares: the buffered writer, the
// closed state and the number of items written so far.
type streamBase struct {
	w      *bufio.Writer
	n      int
	closed bool
}

// begin normalises an item and checks the stream is open.
func (s *streamBase) begin(item any) (any, error) {
	if s.closed {
		return nil, errStreamClosed
	}
	return Normalize(item)
}

// finish marks the stream closed and flushes it; a second call is a no-op.
func (s *streamBase) finish(pre func() error) error {
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if pre != nil {
		err = pre()
	}
	if ferr := s.w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// Count is the number of items written.
func (s *streamBase) Count() int { return s.n }

// Abort flushes the items written, if any, without what Close would add.
func (s *streamBase) Abort() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.n == 0 {
		s.w.Reset(io.Discard)
		return nil
	}
	return s.w.Flush()
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

type csvStream struct {
	streamBase
	cw   *csv.Writer
	cols []string
	rec  []string
}

func (s *csvStream) Write(item any) error {
	v, err := s.begin(item)
	if err != nil {
		return err
	}
	s.n++
	return s.cw.Write(csvRecord(s.rec, s.cols, v))
}

func (s *csvStream) Close() error {
	return s.finish(func() error {
		s.cw.Flush()
		return s.cw.Error()
	})
}

// Abort flushes the csv writer's own buffer before the stream's.
func (s *csvStream) Abort() error {
	if s.n > 0 && !s.closed {
		s.cw.Flush()
	}
	return s.streamBase.Abort()
}

type kvStream struct {
	streamBase
	buf []byte
}

func (s *kvStream) Write(item any) error {
	v, err := s.begin(item)
	if err != nil {
		return err
	}
	pairs := kv.FlattenItem(s.n, v)
	s.n++
	seen := make(map[string]struct{}, len(pairs))
	s.buf = s.buf[:0]
	for _, p := range pairs {
		if _, dup := seen[p.Key]; dup || !kv.ValidKey(p.Key) {
			// Let Encode word the error.
			return kv.Encode(io.Discard, pairs)
		}
		seen[p.Key] = struct{}{}
		s.buf = kv.AppendPair(s.buf, p)
	}
	_, err = s.w.Write(s.buf)
	return err
}

func (s *kvStream) Close() error { return s.finish(nil) }

type yamlStream struct {
	streamBase
}

func (s *yamlStream) Write(item any) error {
	v, err := s.begin(item)
	if err != nil {
		return err
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{yamlNode(v)}}
	b, err := marshalYAML(seq)
	if err != nil {
		return err
	}
	s.n++
	_, err = s.w.Write(b)
	return err
}

func (s *yamlStream) Close() error {
	return s.finish(func() error {
		if s.n == 0 {
			_, err := s.w.WriteString("[]\n")
			return err
		}
		return nil
	})
}

type tableStream struct {
	streamBase
	o     Options
	items []any
}

func (s *tableStream) Write(item any) error {
	v, err := s.begin(item)
	if err != nil {
		return err
	}
	s.items = append(s.items, v)
	s.n++
	return nil
}

func (s *tableStream) Close() error {
	return s.finish(func() error {
		if s.items == nil {
			return nil
		}
		err := writeTable(s.w, s.items, s.o)
		s.items = nil
		return err
	})
}

type jqStream struct {
	streamBase
	q *jqQuery
}

func (s *jqStream) Write(item any) error {
	v, err := s.begin(item)
	if err != nil {
		return err
	}
	s.n++
	return s.q.emit(s.w, v)
}

func (s *jqStream) Close() error { return s.finish(nil) }

type templateStream struct {
	streamBase
	t *template.Template
}

func (s *templateStream) Write(item any) error {
	v, err := s.begin(item)
	if err != nil {
		return err
	}
	s.n++
	if err := execTemplate(s.w, s.t, v); err != nil {
		return fmt.Errorf("item %d: %w", s.n-1, err)
	}
	return nil
}

func (s *templateStream) Close() error { return s.finish(nil) }
