package output

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/itchyny/gojq"
)

// ValidateJQ compiles a jq expression without running it, so that a bad
// --jq can be rejected before any request is sent.
func ValidateJQ(expr string) error {
	_, err := compileJQ(expr)
	return err
}

type jqQuery struct {
	expr string
	code *gojq.Code
}

func compileJQ(expr string) (*jqQuery, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid jq expression %q: %w", expr, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("invalid jq expression %q: %w", expr, err)
	}
	return &jqQuery{expr: expr, code: code}, nil
}

// run writes every result of the query on its own line: strings as they
// are (like jq -r), anything else as compact JSON.
func (q *jqQuery) run(w io.Writer, v any) error {
	bw := bufio.NewWriter(w)
	err := q.emit(bw, v)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func (q *jqQuery) emit(w *bufio.Writer, v any) error {
	iter := q.code.Run(v)
	for {
		r, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, isErr := r.(error); isErr {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				return nil
			}
			return fmt.Errorf("jq %q: %w", q.expr, err)
		}
		if s, isStr := r.(string); isStr {
			w.WriteString(s)
		} else {
			b, err := gojq.Marshal(r)
			if err != nil {
				return fmt.Errorf("jq %q: %w", q.expr, err)
			}
			w.Write(b)
		}
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
}
