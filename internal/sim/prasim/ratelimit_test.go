package prasim

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestRateLimitPerSecond(t *testing.T) {
	e := newEnv(t, Options{RatePerSec: 20, RatePerHour: 15000})
	for i := range 20 {
		r := e.call("GET", "/jump-group", "")
		e.mustStatus(r, http.StatusOK)
		if r.header.Get("X-RateLimit-Limit") != "15000" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(14999-i) {
			t.Fatalf("request %d: limit headers %q %q", i, r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"))
		}
	}
	r := e.call("GET", "/jump-group", "")
	e.mustStatus(r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "1" || r.header.Get("X-RateLimit-Limit") != "15000" {
		t.Fatalf("429 headers %v", r.header)
	}
	r.message(t)

	e.clock.Advance(time.Second)
	e.mustStatus(e.call("GET", "/jump-group", ""), http.StatusOK)
}

func TestRateLimitPerHour(t *testing.T) {
	e := newEnv(t, Options{RatePerHour: 4})
	for range 4 {
		e.mustStatus(e.call("GET", "/jump-group", ""), http.StatusOK)
	}
	r := e.call("GET", "/jump-group", "")
	e.mustStatus(r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "900" || r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("429 headers %v", r.header)
	}
	e.clock.Advance(899 * time.Second)
	e.mustStatus(e.call("GET", "/jump-group", ""), http.StatusTooManyRequests)
	e.clock.Advance(time.Second)
	r = e.call("GET", "/jump-group", "")
	e.mustStatus(r, http.StatusOK)
	if r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("remaining %q", r.header.Get("X-RateLimit-Remaining"))
	}
}

func TestRateLimitIsPerClientAndOptional(t *testing.T) {
	e := newEnv(t, Options{})
	for range 50 {
		r := e.call("GET", "/jump-group", "")
		e.mustStatus(r, http.StatusOK)
		if r.header.Get("X-RateLimit-Limit") != "" {
			t.Fatal("rate limit headers with limiting disabled")
		}
	}
	// Unauthenticated requests do not spend the account's budget.
	e2 := newEnv(t, Options{RatePerSec: 1})
	e2.mustStatus(e2.raw("GET", "/jump-group", "", "", map[string]string{"Accept": "application/json"}), http.StatusUnauthorized)
	e2.mustStatus(e2.call("GET", "/jump-group", ""), http.StatusOK)
	e2.mustStatus(e2.call("GET", "/jump-group", ""), http.StatusTooManyRequests)
}
