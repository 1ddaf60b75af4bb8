package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// DefaultMaxResponseBytes caps a JSON answer: far above any real page (a PRA page of 100 items is well under 1 MiB),
// low enough that a hostile or broken server cannot exhaust memory. The max_response_bytes setting
// (INFRA_MAX_RESPONSE_BYTES) changes it.
const DefaultMaxResponseBytes = 64 << 20

// LimitError reports an answer larger than the configured cap.
type LimitError struct {
	Method, Path string
	Limit        int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s %s: the answer is larger than the %s limit for a JSON answer (max_response_bytes); "+
		"raise it with INFRA_MAX_RESPONSE_BYTES=N or `infra config set max_response_bytes N` if the answer is genuine",
		e.Method, e.Path, sizeText(e.Limit))
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// cappedBody fails with a *LimitError once more than limit bytes were read.
type cappedBody struct {
	r    io.Reader
	left int64
	err  *LimitError
}

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more than allowed tells an answer of exactly the limit from a bigger one.
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			return 0, c.err
		}
		return c.r.Read(p)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// TimeoutError reports that an attempt (or, for streamed transfers, the gap between two reads) took longer than the
// timeout. It is a net.Error whose Timeout() is true.
type TimeoutError struct {
	Method, Path string
	After        time.Duration
	Idle         bool // no byte moved for After during a streamed transfer
}

func (e *TimeoutError) Error() string {
	if e.Idle {
		return fmt.Sprintf("%s %s: no data for %s (--timeout)", e.Method, e.Path, e.After)
	}
	return fmt.Sprintf("%s %s: no complete answer within %s (--timeout)", e.Method, e.Path, e.After)
}

// Timeout reports true.
func (e *TimeoutError) Timeout() bool { return true }

// Temporary reports true: a later attempt may succeed.
func (e *TimeoutError) Temporary() bool { return true }

// Streaming marks a request whose body or answer is streamed (downloads, reports, uploads): --timeout then bounds the
// wait for the answer and every gap in the transfer, not the whole transfer.
func Streaming(ctx context.Context) context.Context { return withFlag(ctx, flagStreaming) }

func isStreaming(ctx context.Context) bool { return hasFlag(ctx, flagStreaming) }

var errAttemptTimeout = errors.New("attempt timed out")

// attempt is one try of a request: its context is cancelled when the timeout (or, when streaming, the idle time)
// passes, or when the answer's body is closed.
type attempt struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	idle    time.Duration // reset on every byte moved; 0 = the whole attempt is bounded
	limit   time.Duration
	method  string
	path    string
	stopped sync.Once
}

// startAttempt bounds one attempt by the timeout, cut to what remains of the request's overall budget.
func (c *Client) startAttempt(parent context.Context, req *http.Request, budgetEnd time.Time) *attempt {
	ctx, cancel := context.WithCancelCause(parent)
	a := &attempt{ctx: ctx, cancel: cancel, method: req.Method, path: req.URL.Path, limit: c.opts.Timeout}
	if isStreaming(parent) {
		a.idle = c.opts.Timeout
	}
	first := min(c.opts.Timeout, time.Until(budgetEnd))
	a.timer = time.AfterFunc(max(first, 0), func() { cancel(errAttemptTimeout) })
	return a
}

// stop releases the attempt's timer and context.
func (a *attempt) stop() {
	a.stopped.Do(func() {
		a.timer.Stop()
		a.cancel(context.Canceled)
	})
}

// check turns an error caused by the attempt's own timeout into a *TimeoutError.
func (a *attempt) check(err error) error {
	if err == nil || err == io.EOF || context.Cause(a.ctx) != errAttemptTimeout {
		return err
	}
	return &TimeoutError{Method: a.method, Path: a.path, After: a.limit, Idle: a.idle > 0}
}

// fail ends an attempt that got no answer.
func (a *attempt) fail(err error) error {
	err = a.check(err)
	a.stop()
	return err
}

// moved notes progress of a streamed transfer.
func (a *attempt) moved(n int) {
	if n > 0 && a.idle > 0 {
		a.timer.Reset(a.idle)
	}
}

// wrap makes the answer's body report the timeout and end the attempt when closed; a streamed upload's body counts
// as progress too.
func (a *attempt) wrap(resp *http.Response) {
	resp.Body = &attemptBody{rc: resp.Body, a: a}
}

func (a *attempt) wrapUpload(r *http.Request) {
	if a.idle > 0 && r.Body != nil && r.Body != http.NoBody {
		r.Body = &attemptBody{rc: r.Body, a: a, upload: true}
	}
}

type attemptBody struct {
	rc     io.ReadCloser
	a      *attempt
	upload bool
}

func (b *attemptBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.a.moved(n)
	if b.upload {
		return n, err
	}
	return n, b.a.check(err)
}

func (b *attemptBody) Close() error {
	err := b.rc.Close()
	if !b.upload {
		b.a.stop()
	}
	return err
}

// budget is how long all attempts of one request, with the waits between them, may take: twice the timeout. Waits
// the server asks for (Retry-After) and client-side rate limiting are not counted.
func (c *Client) budget() time.Duration {
	if c.opts.RequestBudget > 0 {
		return c.opts.RequestBudget
	}
	return 2 * c.opts.Timeout
}

// ResponseLimit is the most bytes of one answer the client reads (max_response_bytes, else the default).
func (c *Client) ResponseLimit() int64 {
	if c.opts.MaxResponseBytes > 0 {
		return c.opts.MaxResponseBytes
	}
	return DefaultMaxResponseBytes
}
