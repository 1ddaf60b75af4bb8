package output

import (
	"io"

	"github.com/infractl/infra/pkg/kv"
)

var kvFormat = Spec{
	Name:   KV,
	Help:   "btapi's flattened key=value form (0__id=5); parses back as -k input",
	Render: func(w io.Writer, v any, _ Options) error { return kv.Encode(w, kv.Flatten(v)) },
	Stream: func(w io.Writer, _ Options) (Stream, error) { return newKVStream(w), nil },
	List:   func(w io.Writer, _ Options) ListStream { return newKVStream(w) },
}

func newKVStream(w io.Writer) *kvStream { return &kvStream{streamBase: newStreamBase(w)} }

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
