package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/infractl/infra/pkg/api"
)

// The one prompt helper of the CLI: confirmations, secret entry and reading stdin all go through these functions, and
// all of them return at once with the context's error when the context ends (Ctrl-C or SIGTERM, which Main turns into
// a cancelled context), instead of waiting for Enter. Exit code 130 follows from context.Canceled.

// ErrNoAnswer is returned by Confirm when stdin ends before an answer.
var ErrNoAnswer = errors.New("no answer read")

// Confirm writes question (followed by " [y/N] ") to stderr and reads one line from stdin: true for y or yes, in any
// case; false for anything else.
func (s *IOStreams) Confirm(ctx context.Context, question string) (bool, error) {
	fmt.Fprint(s.ErrOut, strings.TrimRight(question, " ")+" [y/N] ")
	line, err := ReadLine(ctx, s.In)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(s.ErrOut)
			return false, ctx.Err()
		}
		if line == "" {
			return false, ErrNoAnswer
		}
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// ReadSecret writes prompt to stderr and reads one line from stdin without echo when stdin is a terminal. The line end
// is removed; the terminal's echo is restored even when the context ends first.
func (s *IOStreams) ReadSecret(ctx context.Context, prompt string) (string, error) {
	fmt.Fprint(s.ErrOut, prompt)
	fh, ok := s.In.(*os.File)
	if !ok || !term.IsTerminal(int(fh.Fd())) {
		line, err := ReadLine(ctx, s.In)
		if err == io.EOF && line != "" {
			err = nil
		}
		return strings.TrimRight(line, "\r\n"), err
	}
	fd := int(fh.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	secret, err := readCtx(ctx, func() (string, error) {
		b, err := term.ReadPassword(fd)
		return string(b), err
	})
	if ctx.Err() != nil {
		_ = term.Restore(fd, state) // the abandoned read would restore it only after a key press
	}
	fmt.Fprintln(s.ErrOut)
	return secret, err
}

// maxSecret bounds a secret read from stdin.
const maxSecret = 1 << 20

// SecretFromStdin reads a secret piped on stdin (--secret-stdin, --password-stdin): everything up to 1 MiB, without
// its final line end. flag names the option in the usage error returned when nothing was read. The read ends as soon
// as ctx ends.
func (s *IOStreams) SecretFromStdin(ctx context.Context, flag string) (string, error) {
	b, err := ReadAll(ctx, io.LimitReader(s.In, maxSecret))
	if err != nil {
		return "", err
	}
	secret := strings.TrimRight(string(b), "\r\n")
	if secret == "" {
		return "", &api.UsageError{Err: fmt.Errorf("%s: nothing was read from stdin", flag)}
	}
	return secret, nil
}

// ReadLine reads one line from r, byte by byte so that nothing after the line is consumed (a later reader of the same
// stdin sees the rest). It returns the line with its end, or what was read before EOF with io.EOF, or the context's
// error as soon as the context ends.
func ReadLine(ctx context.Context, r io.Reader) (string, error) {
	cr := &ctxReader{ctx: ctx, r: r}
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := cr.Read(buf)
		if n > 0 {
			b.WriteByte(buf[0])
			if buf[0] == '\n' {
				return b.String(), nil
			}
		}
		if err != nil {
			return b.String(), err
		}
	}
}

// Stdin returns standard input for a command that reads it whole (-k, --json -, --from-file -): a read ends as soon as
// ctx ends, and on a terminal a one-line hint on stderr says what is expected and how to end it.
func (s *IOStreams) Stdin(ctx context.Context, what string) io.Reader {
	if s.InTTY {
		fmt.Fprintf(s.ErrOut, "reading %s from the terminal: end with Ctrl-D, or Ctrl-C to cancel\n", what)
	}
	return &ctxReader{ctx: ctx, r: s.In}
}

// ctxReader is a reader whose reads return the context's error as soon as the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	buf := make([]byte, len(p)) // the abandoned read must not write into p after Read returned
	type result struct {
		n   int
		err error
	}
	res, err := readCtx(c.ctx, func() (result, error) {
		n, err := c.r.Read(buf)
		return result{n, err}, nil
	})
	if err != nil {
		return 0, err
	}
	return copy(p, buf[:res.n]), res.err
}

// readCtx runs a blocking read in a goroutine and gives up on it when ctx ends. The abandoned read finishes or dies
// with the process, which is about to exit.
func readCtx[T any](ctx context.Context, read func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := read()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// ReadAll reads r to its end, or returns the context's error as soon as the context ends.
func ReadAll(ctx context.Context, r io.Reader) ([]byte, error) {
	return io.ReadAll(&ctxReader{ctx: ctx, r: r})
}
