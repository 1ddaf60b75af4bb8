package simutil

import (
	"math"
	"sync"
	"time"
)

// Limit allows Count requests per window Per. A Count below 1 disables it.
type Limit struct {
	Count int
	Per   time.Duration
}

// Decision is the outcome of one Limiter.Take call.
type Decision struct {
	Allowed bool
	// Limit and Remaining describe the reported limit (the one with the
	// longest window), for X-RateLimit-* style headers. Limit is 0 when no
	// limit is active.
	Limit     int
	Remaining int
	// RetryAfter is how long to wait before a retry can succeed; set only
	// when Allowed is false.
	RetryAfter time.Duration
}

// RetryAfterSeconds rounds RetryAfter up to whole seconds, at least 1, as a
// Retry-After header wants it.
func (d Decision) RetryAfterSeconds() int {
	s := int(math.Ceil(d.RetryAfter.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}

// bucket is the state of one limit for one key, kept as the theoretical
// arrival time of the next request (the generic cell rate algorithm). It is
// equivalent to a token bucket of Count tokens refilled at Count per Per,
// but uses exact integer arithmetic.
type bucket struct {
	tat time.Time
}

// Limiter applies several rate limits per key (for example per API account).
// Each limit allows a burst of Count requests and then Count per Per; a
// request must fit every limit and spends nothing when it is refused. Time
// comes from an injectable clock, so tests can move it forward instead of
// sleeping. A Limiter is safe for concurrent use.
type Limiter struct {
	mu     sync.Mutex
	now    func() time.Time
	limits []Limit
	report int // index into limits of the reported limit, -1 if none
	state  map[string][]bucket
}

// NewLimiter returns a limiter enforcing every limit with Count >= 1. now may
// be nil to use time.Now.
func NewLimiter(now func() time.Time, limits ...Limit) *Limiter {
	if now == nil {
		now = time.Now
	}
	l := &Limiter{now: now, report: -1, state: map[string][]bucket{}}
	for _, lim := range limits {
		if lim.Count < 1 || lim.Per <= 0 {
			continue
		}
		l.limits = append(l.limits, lim)
		if l.report < 0 || lim.Per > l.limits[l.report].Per {
			l.report = len(l.limits) - 1
		}
	}
	return l
}

// Enabled reports whether any limit is active.
func (l *Limiter) Enabled() bool { return len(l.limits) > 0 }

// interval is the time one request occupies under lim.
func interval(lim Limit) time.Duration {
	return max(lim.Per/time.Duration(lim.Count), 1)
}

// Take tries to spend one request for key.
func (l *Limiter) Take(key string) Decision {
	if len(l.limits) == 0 {
		return Decision{Allowed: true}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	bs, ok := l.state[key]
	if !ok {
		bs = make([]bucket, len(l.limits))
		for i := range bs {
			bs[i].tat = now
		}
		l.state[key] = bs
	}
	next := make([]time.Time, len(bs))
	var wait time.Duration
	for i, lim := range l.limits {
		t := interval(lim)
		tat := bs[i].tat
		if tat.Before(now) {
			tat = now
		}
		tolerance := time.Duration(lim.Count-1) * t
		if over := tat.Sub(now) - tolerance; over > 0 {
			wait = max(wait, over)
		}
		next[i] = tat.Add(t)
	}
	d := Decision{Allowed: wait == 0, Limit: l.limits[l.report].Count}
	if d.Allowed {
		for i := range bs {
			bs[i].tat = next[i]
		}
	} else {
		d.RetryAfter = wait
	}
	rep := l.limits[l.report]
	used := bs[l.report].tat.Sub(now)
	if used < 0 {
		used = 0
	}
	d.Remaining = max(rep.Count-int((used+interval(rep)-1)/interval(rep)), 0)
	return d
}

// Reset forgets all state, giving every key full buckets again.
func (l *Limiter) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state = map[string][]bucket{}
}
