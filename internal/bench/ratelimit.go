package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/infractl/infra/internal/sim/prasim"
)

// bare429 answers every nth API request 429 with X-RateLimit-Remaining: 0 and neither Retry-After nor a reset time,
// as a site does when a burst of another client on the same API account crosses the per-second limit. Token requests
// pass.
func bare429(every int64, seen *atomic.Int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		var n atomic.Int64
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/") && n.Add(1)%every == 0 {
				seen.Add(1)
				w.Header().Set("X-RateLimit-Limit", "15000")
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte(`{"message":"Too Many Attempts."}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// bulk429 runs a bulk create against a site that answers some requests 429 with X-RateLimit-Remaining: 0 and no
// reset: the run must still go at the documented 20 requests per second (plus the retried requests), not slow to a
// trickle for the rest of the hour.
func (b *bench) bulk429(tmp string) error {
	n := 400
	if b.quick {
		n = 100
	}
	var refused atomic.Int64
	o := prasim.DefaultOptions()
	_, env, stop, err := pra(context.Background(), tmp, o, bare429(10, &refused))
	if err != nil {
		return err
	}
	defer stop()
	b.logf("bulk: %d creates at 20 req/s, every 10th request answered 429 with X-RateLimit-Remaining: 0 and no reset", n)
	d, err := b.bulkCreate(tmp, env, "Throttled", n)
	if err != nil {
		return err
	}
	// The goal: every request sent (the records and the retries of the refused ones) at the documented rate.
	floor := float64(int64(n)+refused.Load()) / float64(o.RatePerSec)
	b.add(Row{Measure: fmt.Sprintf("bulk: %d creates, %d answered 429 (Remaining: 0, no reset)", n, refused.Load()),
		Value: d.Seconds(), Unit: "s", Floor: floor, Against: "requests ÷ 20 req/s (goal)"})
	return nil
}
