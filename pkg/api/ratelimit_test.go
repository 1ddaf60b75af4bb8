package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A 429 carrying X-RateLimit-Remaining: 0 and no reset says nothing about the hour: the request backs off from one
// second (exponentially, with jitter) and the client then goes on at the documented rate instead of concluding the
// hour's budget is spent.
func TestBare429RecoversAtTheDocumentedRate(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		w.Header().Set("X-RateLimit-Limit", "15000")
		if n == 3 || n == 4 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("X-RateLimit-Remaining", "14000")
		okHandler(w, r)
	}))
	defer srv.Close()
	c, fc := newTestClient(t, srv.URL, Options{RatePerSec: 20, RatePerHour: 15000})
	start := fc.Now()
	const n = 200
	for i := 0; i < n; i++ {
		req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
		if _, err := c.DoJSON(req, nil); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	var backoffs []time.Duration
	for _, d := range fc.Sleeps() {
		if d > 50*time.Millisecond {
			backoffs = append(backoffs, d)
		}
	}
	// Jitter is at its ceiling in tests: 1s + 0.5s, then 2s + 1s.
	if len(backoffs) != 2 || backoffs[0] != 1500*time.Millisecond || backoffs[1] != 3*time.Second {
		t.Errorf("long waits = %v, want [1.5s 3s]", backoffs)
	}
	// 200 requests at 20/s take 10s; the two backoffs add 4.5s. Anything more is the client pacing below the rate.
	if got := fc.Now().Sub(start); got > 10*time.Second+4500*time.Millisecond {
		t.Errorf("%d requests took %s of (fake) time, want at most 14.5s", n, got)
	}
}

// Retry-After as seconds and as an HTTP date: the 429 waits exactly that long, then the pace is the documented one.
func Test429WaitsForRetryAfterThenFullRate(t *testing.T) {
	var hits atomic.Int32
	var fc *fakeClock
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch hits.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		case 3:
			w.Header().Set("Retry-After", fc.Now().Add(12*time.Second).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		okHandler(w, r)
	}))
	defer srv.Close()
	c, clock := newTestClient(t, srv.URL, Options{RatePerSec: 20})
	fc = clock
	for i := 0; i < 22; i++ {
		req, _ := c.NewRequest(context.Background(), http.MethodPost, "/x", "{}")
		if _, err := c.DoJSON(req, nil); err != nil {
			t.Fatal(err)
		}
	}
	var long []time.Duration
	for _, d := range fc.Sleeps() {
		if d > 50*time.Millisecond {
			long = append(long, d)
		}
	}
	if len(long) != 2 || long[0] != 7*time.Second || long[1] < 11*time.Second || long[1] > 12*time.Second {
		t.Errorf("long waits = %v, want [7s ~12s]", long)
	}
}

// The backoff without a server-named wait grows from one second and stays under the cap.
func TestThrottleBackoffGrowsFromOneSecondToTheCap(t *testing.T) {
	c, _ := newTestClient(t, "http://127.0.0.1:1", Options{})
	c.jitter = func(time.Duration) time.Duration { return 0 }
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, ThrottleBackoffCap, ThrottleBackoffCap}
	for i, w := range want {
		if got := c.throttleBackoff(i + 1); got != w {
			t.Errorf("retry %d: %s, want %s", i+1, got, w)
		}
	}
	c.jitter = func(max time.Duration) time.Duration { return max }
	if got := c.throttleBackoff(10); got != ThrottleBackoffCap {
		t.Errorf("jittered retry 10: %s, want the cap %s", got, ThrottleBackoffCap)
	}
}

// A slowdown the server asks for (few requests left before a named reset) ends with that window.
func TestSlowdownNeverOutlastsTheServerWindow(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("X-RateLimit-Limit", "100")
			w.Header().Set("X-RateLimit-Remaining", "2")
			w.Header().Set("X-RateLimit-Reset", "60")
		}
		okHandler(w, r)
	}))
	defer srv.Close()
	c, fc := newTestClient(t, srv.URL, Options{})
	for i := 0; i < 10; i++ {
		req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
		if _, err := c.DoJSON(req, nil); err != nil {
			t.Fatal(err)
		}
	}
	// 2 requests over 60s: request 3 and 4 wait 30s each; the window is then over and the rest go at once.
	if s := fc.Sleeps(); len(s) != 2 || s[0] != 30*time.Second || s[1] != 30*time.Second {
		t.Errorf("waits = %v, want [30s 30s]", s)
	}
}

// PRA answers 401 for unrecognized parameters: such a 401 is a usage error shown as the site wrote it, and no new
// token is minted for it.
func TestRequestFault401IsUsageErrorWithoutRemint(t *testing.T) {
	ts := newTokenServer(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"Unrecognized query string parameter(s): colour."}`))
	}))
	defer srv.Close()
	cc := ts.credentials(t.TempDir())
	c, _ := newTestClient(t, srv.URL, Options{Auth: cc, RequestFault401: func(b []byte) bool {
		return strings.Contains(string(b), "Unrecognized")
	}})
	cc.HTTPClient = c.HTTPClient()
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/jump-group?colour=red", nil)
	_, err := c.DoJSON(req, nil)
	var he *HTTPError
	if KindOf(err) != KindUsage || !errors.As(err, &he) || !strings.Contains(err.Error(), "Unrecognized query string parameter(s): colour.") {
		t.Fatalf("err = %v (kind %d), want a usage error with the site's message", err, KindOf(err))
	}
	if n := ts.mints.Load(); n != 1 {
		t.Errorf("%d tokens minted, want 1 (the first; none for the refused request)", n)
	}
}

// Concurrent workers that see a 401 for the same token share one new token.
func TestConcurrent401sShareOneRemint(t *testing.T) {
	ts := newTokenServer(t)
	dir := t.TempDir()
	if _, err := ts.credentials(dir).Token(context.Background()); err != nil { // tok-1, revoked at the site
		t.Fatal(err)
	}
	var gate sync.WaitGroup
	gate.Add(8)
	srv, _ := apiServer(t, func(tok string) bool {
		if tok == "tok-1" {
			gate.Done()
			gate.Wait() // every worker holds a 401 for tok-1 before any of them re-mints
			return true
		}
		return false
	})
	cc := ts.credentials(dir)
	c, _ := newTestClient(t, srv.URL, Options{Auth: cc, Now: time.Now})
	cc.HTTPClient = c.HTTPClient()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
			var out map[string]string
			if _, err := c.DoJSON(req, &out); err != nil || out["token_seen"] != "tok-2" {
				errs <- errors.New("worker did not succeed with tok-2: " + out["token_seen"])
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := ts.mints.Load(); n != 2 {
		t.Errorf("%d tokens minted, want 2 (tok-1 and one shared re-mint)", n)
	}
}

// A refused connection is "cannot reach HOST", exit 1, not an authentication failure.
func TestUnreachableSiteExitsOne(t *testing.T) {
	c, _ := newTestClient(t, "http://127.0.0.1:1", Options{MaxRetries: -1})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	_, err := c.DoJSON(req, nil)
	var ue *UnreachableError
	if !errors.As(err, &ue) || KindOf(err) != KindOther || !strings.HasPrefix(err.Error(), "cannot reach 127.0.0.1:1: ") {
		t.Fatalf("err = %v (kind %d)", err, KindOf(err))
	}
}

// A site that accepts the connection but never completes the TLS handshake is unreachable too (exit 1), for API
// requests and for the token endpoint alike.
func TestTLSHandshakeTimeoutIsUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; conn.Close() }() // silent: no ServerHello ever comes
		}
	}()
	base := "https://" + ln.Addr().String()
	c, _ := newTestClient(t, base, Options{MaxRetries: -1, Timeout: 100 * time.Millisecond})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	_, err = c.DoJSON(req, nil)
	if KindOf(err) != KindOther || !strings.Contains(err.Error(), "cannot reach "+ln.Addr().String()+": ") {
		t.Errorf("API request: %v (kind %d)", err, KindOf(err))
	}
	cc := &ClientCredentials{TokenURL: base + "/oauth2/token", ClientID: "id", ClientSecret: testClientSecret, HTTPClient: c.HTTPClient()}
	_, err = cc.Token(context.Background())
	if KindOf(err) != KindOther || !strings.Contains(err.Error(), "cannot reach ") || strings.Contains(err.Error(), testClientSecret) {
		t.Errorf("token request: %v (kind %d)", err, KindOf(err))
	}
}
