package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Backoff after a 429 that names no wait (no Retry-After, no reset): from one second, doubling per retry, with up to
// half as much again of random jitter, capped.
const (
	ThrottleBackoffBase = time.Second
	ThrottleBackoffCap  = 30 * time.Second
)

// throttleBackoff returns the delay before retry n (1-based) of a request answered 429 without a wait.
func (c *Client) throttleBackoff(n int) time.Duration {
	d := ThrottleBackoffBase
	for i := 1; i < n && d < ThrottleBackoffCap; i++ {
		d *= 2
	}
	d = min(d, ThrottleBackoffCap)
	return min(d+c.jitter(d/2), ThrottleBackoffCap)
}

// pause makes every request of this client wait d from now (a 429 applies to all of them).
func (c *Client) pause(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := c.now().Add(d); until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
}

// observe adapts to the server's X-RateLimit headers. The client counts its own requests against the documented
// budgets (Options.RatePerSec, RatePerHour); the headers only add what the server states for certain:
//
//   - the budget is exhausted and the reset time is given: every request pauses until then;
//   - few requests are left (under a tenth) and the reset time is given: the rest are spread over that window, and
//     the pace returns to the documented rate when the window ends.
//
// X-RateLimit-Remaining without a reset says nothing about how long the shortage lasts, so it changes nothing: a 429
// that comes with it is retried with backoff, and the client's own counters keep the pace.
func (c *Client) observe(h http.Header) {
	remRaw := strings.TrimSpace(h.Get("X-RateLimit-Remaining"))
	if remRaw == "" {
		return
	}
	remaining, err := parseInt(remRaw)
	if err != nil {
		return
	}
	limit, limErr := parseInt(strings.TrimSpace(h.Get("X-RateLimit-Limit")))
	now := c.now()
	reset, hasReset := parseReset(h.Get("X-RateLimit-Reset"), now)

	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !hasReset || reset <= 0:
		c.endSlowdownLocked(now)
	case remaining <= 0:
		if reset <= c.maxWait {
			if until := now.Add(reset); until.After(c.pausedUntil) {
				c.pausedUntil = until
			}
		}
	case limErr == nil && limit > 0 && remaining*10 < limit:
		r := rate.Limit(float64(remaining) / reset.Seconds())
		if c.adaptive.Limit() != r {
			c.tracef("* server reports %d of %d requests left for %s: slowing to %.2f/s until then\n", remaining, limit, reset.Round(time.Second), float64(r))
		}
		c.adaptive.SetLimitAt(now, r)
		c.adaptiveUntil = now.Add(reset)
	default:
		c.adaptive.SetLimitAt(now, rate.Inf)
		c.adaptiveUntil = time.Time{}
	}
}

// endSlowdownLocked lifts a server-imposed slowdown whose window has ended. c.mu must be held.
func (c *Client) endSlowdownLocked(now time.Time) {
	if c.adaptive.Limit() != rate.Inf && !now.Before(c.adaptiveUntil) {
		c.adaptive.SetLimitAt(now, rate.Inf)
		c.adaptiveUntil = time.Time{}
	}
}

// waitTurn waits for any server-imposed pause and for every limiter, honouring ctx.
func (c *Client) waitTurn(ctx context.Context) error {
	c.mu.Lock()
	until := c.pausedUntil
	c.endSlowdownLocked(c.now())
	c.mu.Unlock()
	if d := until.Sub(c.now()); d > 0 {
		c.tracef("* rate limited by the server: waiting %s\n", d.Round(time.Millisecond))
		if err := c.sleep(ctx, d); err != nil {
			return err
		}
	}
	for _, l := range []*rate.Limiter{c.perSec, c.perHour, c.adaptive} {
		if err := c.waitLimiter(ctx, l); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) waitLimiter(ctx context.Context, l *rate.Limiter) error {
	if l == nil {
		return nil
	}
	now := c.now()
	res := l.ReserveN(now, 1)
	if !res.OK() {
		return errors.New("rate limiter cannot grant a request")
	}
	d := res.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	// A slowdown never outlasts the window the server named.
	if l == c.adaptive {
		c.mu.Lock()
		if end := c.adaptiveUntil.Sub(now); !c.adaptiveUntil.IsZero() && end < d {
			d = max(end, 0)
		}
		c.mu.Unlock()
	}
	c.tracef("* client-side rate limit: waiting %s\n", d.Round(time.Millisecond))
	if err := c.sleep(ctx, d); err != nil {
		res.CancelAt(c.now())
		return err
	}
	return nil
}
