package bulk

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/infractl/infra/pkg/api"
)

// Class says what a failed request means for retrying it.
type Class int

const (
	// Permanent: the server answered and refused, or the input is wrong; retrying cannot help.
	Permanent Class = iota
	// NotProcessed: the server certainly did not act (429, 503, 401, connection refused); retrying is safe.
	NotProcessed
	// Ambiguous: the request may or may not have been carried out (connection reset or timeout after sending, 500,
	// 502, 504); resolve what happened before retrying a create.
	Ambiguous
)

// Classify sorts an error from the HTTP core into a Class.
func Classify(err error) Class {
	if err == nil || errors.Is(err, context.Canceled) {
		return Permanent
	}
	var he *api.HTTPError
	if errors.As(err, &he) {
		switch he.StatusCode {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			return NotProcessed
		case http.StatusUnauthorized:
			// The HTTP core already minted a fresh token once; another refusal means the new token was revoked too
			// (PRA keeps 30 per client, and parallel runs mint their own). The request was not processed.
			return NotProcessed
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
			return Ambiguous
		}
		return Permanent
	}
	var ue *api.UsageError
	var ae *api.AuthError
	var pe *api.PinError
	if errors.As(err, &ue) || errors.As(err, &ae) || errors.As(err, &pe) {
		return Permanent
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return NotProcessed
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return NotProcessed
	}
	// Resets, EOFs and timeouts after the request was written: the server may have acted.
	return Ambiguous
}

// Once performs one mutating request so that its effect happens exactly once, even when answers are lost.
type Once struct {
	// Do sends the request and returns the id of the affected item.
	Do func(ctx context.Context) (string, error)
	// Resolve looks for the effect of an earlier attempt (for a create: the item by its natural key). It returns the
	// id and true when the effect is there. Nil means the request is idempotent and may simply be repeated.
	Resolve func(ctx context.Context) (string, bool, error)
	// Attempts bounds the number of sends (default 6).
	Attempts int
	// Backoff is the base delay between attempts (default 250ms, doubled each time, with jitter, capped at 10s);
	// a server's Retry-After is honoured when longer.
	Backoff time.Duration
}

// Run carries the request out. With resumed set (an earlier run may have sent it) the effect is resolved first.
// It returns the id, the number of sends and the final error.
func (o Once) Run(ctx context.Context, resumed bool) (string, int, error) {
	attempts := o.Attempts
	if attempts <= 0 {
		attempts = 6
	}
	base := o.Backoff
	if base <= 0 {
		base = 250 * time.Millisecond
	}
	if resumed && o.Resolve != nil {
		if id, found, err := o.resolveRetrying(ctx, base); err != nil {
			return "", 0, err
		} else if found {
			return id, 0, nil
		}
	}
	var last error
	for n := 1; n <= attempts; n++ {
		if err := Stopped(ctx); err != nil {
			return "", n - 1, err
		}
		id, err := o.Do(ctx)
		if err == nil {
			return id, n, nil
		}
		last = err
		if serr := Stopped(ctx); serr != nil {
			return "", n, serr
		}
		switch Classify(err) {
		case Permanent:
			// A create refused (as a duplicate, say) after an earlier send that may have landed late, in this run or
			// in an interrupted one: that send's effect is the one wanted.
			if (resumed || n > 1) && o.Resolve != nil {
				if id, found, rerr := o.resolveRetrying(ctx, base); rerr == nil && found {
					return id, n, nil
				}
			}
			return "", n, err
		case Ambiguous:
			if o.Resolve != nil {
				id, found, rerr := o.resolveRetrying(ctx, base)
				if rerr != nil {
					return "", n, errors.Join(err, rerr)
				}
				if found {
					return id, n, nil
				}
			}
		}
		if n == attempts {
			break
		}
		if err := sleep(ctx, delay(base, n, err)); err != nil {
			return "", n, err
		}
	}
	return "", attempts, last
}

// resolveRetrying runs Resolve, retrying lookups that fail transiently (a lookup is a safe GET).
func (o Once) resolveRetrying(ctx context.Context, base time.Duration) (string, bool, error) {
	var last error
	for n := 1; n <= 5; n++ {
		id, found, err := o.Resolve(ctx)
		if err == nil {
			return id, found, nil
		}
		last = err
		if Classify(err) == Permanent || Stopped(ctx) != nil {
			return "", false, err
		}
		if err := sleep(ctx, delay(base, n, err)); err != nil {
			return "", false, err
		}
	}
	return "", false, last
}

func delay(base time.Duration, n int, err error) time.Duration {
	d := base << (n - 1)
	if d > 10*time.Second || d <= 0 {
		d = 10 * time.Second
	}
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	var he *api.HTTPError
	if errors.As(err, &he) && he.RetryAfter > d {
		d = he.RetryAfter
	}
	return d
}

// sleep waits d, or less when the run is interrupted.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-runContext(ctx).Done():
		return Stopped(ctx)
	case <-t.C:
		return nil
	}
}

// IsNotFound reports a 404 answer (a delete repeated after a lost answer finds nothing: that is success).
func IsNotFound(err error) bool {
	var he *api.HTTPError
	return errors.As(err, &he) && he.StatusCode == http.StatusNotFound
}
