package output

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"text/template"
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
//   - table, and any format whose [Spec] has no Stream: the items are kept
//     and rendered on Close, since column widths depend on every row.
//
// With o.JQ the expression runs on each item in turn, and with o.Template
// the template is executed for each item; their output replaces the format.
func NewStream(w io.Writer, o Options) (Stream, error) {
	base := newStreamBase(w)
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
	spec, err := o.spec()
	if err != nil {
		return nil, err
	}
	if spec.Stream == nil {
		return &collectStream{streamBase: base, o: o, render: spec.Render}, nil
	}
	return spec.Stream(w, o)
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
	if o.JQ != "" || o.Template != "" {
		return nil
	}
	spec, err := o.spec()
	if err != nil || spec.List == nil {
		return nil
	}
	return spec.List(w, o)
}

var errStreamClosed = errors.New("output: write to a closed stream")

// streamBase holds what every stream shares: the buffered writer, the
// closed state and the number of items written so far.
type streamBase struct {
	w      *bufio.Writer
	n      int
	closed bool
}

func newStreamBase(w io.Writer) streamBase { return streamBase{w: bufio.NewWriter(w)} }

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

// collectStream keeps the items of a format without a stream of its own (a table's column widths depend on every row)
// and renders them as one list on Close; nothing is written when no item was.
type collectStream struct {
	streamBase
	o      Options
	render func(io.Writer, any, Options) error
	items  []any
}

func (s *collectStream) Write(item any) error {
	v, err := s.begin(item)
	if err != nil {
		return err
	}
	s.items = append(s.items, v)
	s.n++
	return nil
}

func (s *collectStream) Close() error {
	return s.finish(func() error {
		if s.items == nil {
			return nil
		}
		err := s.render(s.w, s.items, s.o)
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
