package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseBaseURL(t *testing.T) {
	cases := map[string]string{
		"access.example.com":             "https://access.example.com",
		"access.example.com:8443/api/":   "https://access.example.com:8443/api",
		"http://127.0.0.1:9000":          "http://127.0.0.1:9000",
		" https://h.example/rest/v1?x=1": "https://h.example/rest/v1",
	}
	for in, want := range cases {
		u, err := ParseBaseURL(in)
		if err != nil {
			t.Errorf("ParseBaseURL(%q): %v", in, err)
			continue
		}
		if u.String() != want {
			t.Errorf("ParseBaseURL(%q) = %s, want %s", in, u, want)
		}
	}
	for _, bad := range []string{"", "ftp://h", "https://"} {
		_, err := ParseBaseURL(bad)
		if KindOf(err) != KindUsage {
			t.Errorf("ParseBaseURL(%q): err %v, want a usage error", bad, err)
		}
	}
}

func TestNewRequestResolvesAndEncodes(t *testing.T) {
	c, _ := newTestClient(t, "https://h.example/prefix/", Options{UserAgent: "infra/test"})
	ctx := context.Background()

	req, err := c.NewRequest(ctx, http.MethodGet, "/api/config/v1/user?per_page=10&current_page=2", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.URL.String(); got != "https://h.example/prefix/api/config/v1/user?per_page=10&current_page=2" {
		t.Errorf("URL = %s", got)
	}
	if req.Body != nil || req.Header.Get("User-Agent") != "infra/test" {
		t.Errorf("body %v, user agent %q", req.Body, req.Header.Get("User-Agent"))
	}

	abs, err := c.NewRequest(ctx, http.MethodGet, "https://other.example/x", nil)
	if err != nil || abs.URL.Host != "other.example" {
		t.Fatalf("absolute URL: %v %v", abs, err)
	}

	bodies := []struct {
		body any
		ct   string
		want string
	}{
		{url.Values{"grant_type": {"client_credentials"}}, "application/x-www-form-urlencoded", "grant_type=client_credentials"},
		{map[string]any{"name": "x", "n": 1}, "application/json", `{"n":1,"name":"x"}`},
		{json.RawMessage(`{"raw":true}`), "application/json", `{"raw":true}`},
		{[]byte("bytes"), "", "bytes"},
		{"text", "", "text"},
		{io.MultiReader(strings.NewReader("stre"), strings.NewReader("am")), "", "stream"},
	}
	for _, b := range bodies {
		req, err := c.NewRequest(ctx, http.MethodPost, "things", b.body)
		if err != nil {
			t.Fatalf("%T: %v", b.body, err)
		}
		if req.Header.Get("Content-Type") != b.ct {
			t.Errorf("%T: content type %q, want %q", b.body, req.Header.Get("Content-Type"), b.ct)
		}
		if req.ContentLength != int64(len(b.want)) {
			t.Errorf("%T: content length %d, want %d", b.body, req.ContentLength, len(b.want))
		}
		// The body can be read twice: once from Body, once more from GetBody.
		first, _ := io.ReadAll(req.Body)
		rc, err := req.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		second, _ := io.ReadAll(rc)
		if string(first) != b.want || string(second) != b.want {
			t.Errorf("%T: bodies %q / %q, want %q", b.body, first, second, b.want)
		}
	}
}

func TestNewRequestFileBodyReplaysFromOffset(t *testing.T) {
	c, _ := newTestClient(t, "https://h.example", Options{})
	p := filepath.Join(t.TempDir(), "upload.bin")
	if err := os.WriteFile(p, []byte("HEADERpayload"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(6, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	req, err := c.NewRequest(context.Background(), http.MethodPut, "iso", f)
	if err != nil {
		t.Fatal(err)
	}
	if req.ContentLength != 7 {
		t.Errorf("content length %d, want 7", req.ContentLength)
	}
	for i := 0; i < 2; i++ {
		rc, _ := req.GetBody()
		b, _ := io.ReadAll(rc)
		if string(b) != "payload" {
			t.Errorf("replay %d: %q", i, b)
		}
	}
}

func TestDoJSONDecodesWithNumbersAndKeepsOutOn204(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "application/json" {
			t.Errorf("Accept = %q", r.Header.Get("Accept"))
		}
		switch r.URL.Path {
		case "/big":
			_, _ = w.Write([]byte(`{"id": 9007199254740993}`))
		case "/none":
			w.WriteHeader(http.StatusNoContent)
		case "/empty":
		case "/bad":
			_, _ = w.Write([]byte(`{"id":`))
		}
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, Options{})
	ctx := context.Background()

	var out map[string]any
	req, _ := c.NewRequest(ctx, http.MethodGet, "/big", nil)
	if _, err := c.DoJSON(req, &out); err != nil {
		t.Fatal(err)
	}
	if n, ok := out["id"].(json.Number); !ok || n.String() != "9007199254740993" {
		t.Errorf("id = %#v, want the exact json.Number", out["id"])
	}
	for _, p := range []string{"/none", "/empty"} {
		keep := map[string]any{"untouched": true}
		req, _ := c.NewRequest(ctx, http.MethodGet, p, nil)
		resp, err := c.DoJSON(req, &keep)
		if err != nil || resp == nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(keep) != 1 || keep["untouched"] != true {
			t.Errorf("%s changed out: %v", p, keep)
		}
	}
	req, _ = c.NewRequest(ctx, http.MethodGet, "/bad", nil)
	if _, err := c.DoJSON(req, &out); err == nil || !strings.Contains(err.Error(), "GET /bad") {
		t.Errorf("bad JSON: err = %v", err)
	}
}

func TestRetry429HonoursRetryAfterForPOST(t *testing.T) {
	var hits atomic.Int32
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	trace := &lockedBuffer{}
	c, fc := newTestClient(t, srv.URL, Options{Debug: trace})
	req, _ := c.NewRequest(context.Background(), http.MethodPost, "/items", map[string]string{"name": "a"})
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || hits.Load() != 2 {
		t.Fatalf("status %d after %d hits", resp.StatusCode, hits.Load())
	}
	if s := fc.Sleeps(); len(s) != 1 || s[0] != 3*time.Second {
		t.Errorf("sleeps = %v, want [3s]", s)
	}
	if bodies[0] != `{"name":"a"}` || bodies[1] != bodies[0] {
		t.Errorf("the retried body differs: %q", bodies)
	}
	if !strings.Contains(trace.String(), "429 Too Many Requests; retry 1/4 in 3s") {
		t.Errorf("the trace does not show the retry decision:\n%s", trace.String())
	}
}

func TestRetryAfterHTTPDateAndRateLimitReset(t *testing.T) {
	fc := newFakeClock()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch hits.Add(1) {
		case 1:
			w.Header().Set("Retry-After", fc.Now().Add(5*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(fc.Now().Add(7*time.Second).Unix(), 10))
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			okHandler(w, r)
		}
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, Options{Now: fc.Now, Sleep: fc.Sleep})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	if _, err := c.DoJSON(req, nil); err != nil {
		t.Fatal(err)
	}
	s := fc.Sleeps()
	if len(s) != 2 || s[0] != 5*time.Second || s[1] != 7*time.Second {
		t.Errorf("sleeps = %v, want [5s 7s]", s)
	}
}

func Test429ExhaustedMapsToExit5(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message":"Too Many Attempts."}`))
	}))
	defer srv.Close()
	c, fc := newTestClient(t, srv.URL, Options{MaxRetries: 3})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	_, err := c.Do(req)
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("err = %v", err)
	}
	if KindOf(err) != KindRateLimited {
		t.Errorf("kind %d, want %d", KindOf(err), KindRateLimited)
	}
	if hits.Load() != 4 || len(fc.Sleeps()) != 3 {
		t.Errorf("hits %d sleeps %v, want 4 hits and 3 sleeps", hits.Load(), fc.Sleeps())
	}
	if he.RetryAfter != time.Second || he.Message != "Too Many Attempts." {
		t.Errorf("RetryAfter %s message %q", he.RetryAfter, he.Message)
	}
}

func TestRetryAfterLongerThanMaxWaitFailsAtOnce(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c, fc := newTestClient(t, srv.URL, Options{MaxRetryWait: time.Minute})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	_, err := c.Do(req)
	if KindOf(err) != KindRateLimited || hits.Load() != 1 || len(fc.Sleeps()) != 0 {
		t.Fatalf("err %v hits %d sleeps %v", err, hits.Load(), fc.Sleeps())
	}
	if !strings.Contains(err.Error(), "retry after 1h0m0s") {
		t.Errorf("message does not say when to retry: %v", err)
	}
}

func TestRetryGatewayErrorsOnlyWhenIdempotent(t *testing.T) {
	for _, tc := range []struct {
		method, key string
		hits        int32
		ok          bool
	}{
		{http.MethodGet, "", 3, true},
		{http.MethodPut, "", 3, true},
		{http.MethodDelete, "", 3, true},
		{http.MethodPost, "", 1, false},
		{http.MethodPatch, "", 1, false},
		{http.MethodPost, "8c1f0d", 3, true},
	} {
		t.Run(tc.method+tc.key, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch hits.Add(1) {
				case 1:
					w.WriteHeader(http.StatusBadGateway)
				case 2:
					w.WriteHeader(http.StatusServiceUnavailable)
				default:
					w.WriteHeader(http.StatusOK)
				}
			}))
			defer srv.Close()
			c, fc := newTestClient(t, srv.URL, Options{RetryBase: 100 * time.Millisecond})
			req, _ := c.NewRequest(context.Background(), tc.method, "/x", map[string]int{"a": 1})
			if tc.key != "" {
				req.Header.Set("Idempotency-Key", tc.key)
			}
			resp, err := c.Do(req)
			if hits.Load() != tc.hits {
				t.Errorf("hits = %d, want %d", hits.Load(), tc.hits)
			}
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if s := fc.Sleeps(); len(s) != 2 || s[0] != 100*time.Millisecond || s[1] != 200*time.Millisecond {
					t.Errorf("backoff = %v, want [100ms 200ms]", s)
				}
				return
			}
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != http.StatusBadGateway || KindOf(err) != KindOther {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestBackoffIsCapped(t *testing.T) {
	c, _ := newTestClient(t, "https://h.example", Options{})
	if got := c.backoff(1); got != DefaultRetryBase {
		t.Errorf("backoff(1) = %s", got)
	}
	if got := c.backoff(3); got != 4*DefaultRetryBase {
		t.Errorf("backoff(3) = %s", got)
	}
	if got := c.backoff(40); got != 30*time.Second {
		t.Errorf("backoff(40) = %s, want the 30s cap", got)
	}
	c.jitter = func(max time.Duration) time.Duration { return time.Duration(0) }
	if got := c.backoff(5); got != 0 {
		t.Errorf("full jitter may pick 0, got %s", got)
	}
}

// resetOnce closes the connection without answering the first request, then behaves normally.
func resetOnce(hits *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // send a reset
				}
				conn.Close()
			}
			return
		}
		okHandler(w, r)
	}
}

func TestConnectionResetRetriedForGETNotPOST(t *testing.T) {
	var getHits, postHits atomic.Int32
	getSrv := httptest.NewServer(resetOnce(&getHits))
	defer getSrv.Close()
	postSrv := httptest.NewServer(resetOnce(&postHits))
	defer postSrv.Close()

	c, fc := newTestClient(t, getSrv.URL, Options{})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	if _, err := c.DoJSON(req, nil); err != nil {
		t.Fatalf("GET after reset: %v", err)
	}
	if getHits.Load() != 2 || len(fc.Sleeps()) != 1 {
		t.Errorf("GET: hits %d sleeps %v", getHits.Load(), fc.Sleeps())
	}

	c2, fc2 := newTestClient(t, postSrv.URL, Options{})
	req, _ = c2.NewRequest(context.Background(), http.MethodPost, "/x", map[string]int{"a": 1})
	if _, err := c2.Do(req); err == nil {
		t.Fatal("POST after a reset should fail")
	}
	if postHits.Load() != 1 || len(fc2.Sleeps()) != 0 {
		t.Errorf("POST: hits %d sleeps %v, want no retry", postHits.Load(), fc2.Sleeps())
	}
}

func TestPerAttemptTimeoutIsRetriedForGET(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-r.Context().Done() // never answers; the client gives up and closes the connection
	}))
	defer srv.Close()
	c, fc := newTestClient(t, srv.URL, Options{Timeout: 50 * time.Millisecond, MaxRetries: 2, RequestBudget: time.Minute})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/slow", nil)
	_, err := c.Do(req)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if hits.Load() != 3 || len(fc.Sleeps()) != 2 {
		t.Errorf("hits %d sleeps %v, want 3 attempts", hits.Load(), fc.Sleeps())
	}
}

func TestContextCancelledDuringRequestExits130(t *testing.T) {
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	req, _ := c.NewRequest(ctx, http.MethodGet, "/x?token=s3cr3tvalue", nil)
	_, err := c.Do(req)
	if KindOf(err) != KindInterrupted {
		t.Fatalf("err = %v, kind %d", err, KindOf(err))
	}
	if strings.Contains(err.Error(), "s3cr3tvalue") {
		t.Errorf("error leaks the query secret: %v", err)
	}
}

func TestContextCancelledDuringBackoffExits130(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	// Real sleeping with an hour-long backoff; cancelling must end it.
	c, _ := newTestClient(t, srv.URL, Options{RetryBase: time.Hour, Sleep: sleepCtx, Now: time.Now})
	c.jitter = func(max time.Duration) time.Duration {
		cancel() // the retry decision has been made: interrupt now
		return max
	}
	req, _ := c.NewRequest(ctx, http.MethodGet, "/x", nil)
	_, err := c.Do(req)
	if KindOf(err) != KindInterrupted || hits.Load() != 1 {
		t.Fatalf("err %v hits %d", err, hits.Load())
	}
}

func TestRateLimiterSpacesRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	c, fc := newTestClient(t, srv.URL, Options{RatePerSec: 2})
	for i := 0; i < 3; i++ {
		req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
		if _, err := c.DoJSON(req, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The fake clock does not move between requests, so requests 2 and 3 each wait half a second.
	s := fc.Sleeps()
	if len(s) != 2 || s[0] != 500*time.Millisecond || s[1] != 500*time.Millisecond {
		t.Errorf("limiter waits = %v, want [500ms 500ms]", s)
	}
}

func TestHourlyLimiterWaitHonoursContext(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		okHandler(w, r)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	sleep := func(ctx context.Context, d time.Duration) error {
		cancel() // a wait was requested: the user presses Ctrl-C
		return sleepCtx(ctx, d)
	}
	c, _ := newTestClient(t, srv.URL, Options{RatePerHour: 1, Sleep: sleep, Now: time.Now})
	for i := 0; i < 2; i++ {
		req, _ := c.NewRequest(ctx, http.MethodGet, "/x", nil)
		_, err := c.DoJSON(req, nil)
		if i == 0 && err != nil {
			t.Fatal(err)
		}
		if i == 1 && KindOf(err) != KindInterrupted {
			t.Fatalf("second request: %v", err)
		}
	}
	if hits.Load() != 1 {
		t.Errorf("hits = %d, want 1", hits.Load())
	}
}

// TestHourlyBudgetIsNotATrickle: 15,000 requests per hour means a run of 1,000 requests is held only by the
// per-second limit, not slowed to the hourly average (4.2/s); past the hour's budget the average applies.
func TestHourlyBudgetIsNotATrickle(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	var waits atomic.Int32
	sleep := func(ctx context.Context, d time.Duration) error {
		waits.Add(1)
		return nil
	}
	c, _ := newTestClient(t, srv.URL, Options{RatePerHour: 1000, Sleep: sleep, Now: time.Now})
	for i := 0; i < 1000; i++ {
		req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
		if _, err := c.DoJSON(req, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := waits.Load(); n != 0 {
		t.Fatalf("%d waits within the hour's budget, want 0", n)
	}
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	if _, err := c.DoJSON(req, nil); err != nil {
		t.Fatal(err)
	}
	if waits.Load() == 0 {
		t.Fatal("request 1,001 of a 1,000/h budget must wait")
	}
}

func TestAdaptiveSlowdownAndPause(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Limit", "100")
		switch hits.Add(1) {
		case 1:
			w.Header().Set("X-RateLimit-Remaining", "5") // low: spread the rest over the 10s left
			w.Header().Set("X-RateLimit-Reset", "10")
		case 2:
			w.Header().Set("X-RateLimit-Remaining", "4") // 0.4 requests per second
			w.Header().Set("X-RateLimit-Reset", "10")
		case 3:
			w.Header().Set("X-RateLimit-Remaining", "0") // exhausted: everything pauses until the reset
			w.Header().Set("X-RateLimit-Reset", "20")
		default:
			w.Header().Set("X-RateLimit-Remaining", "99")
		}
		okHandler(w, r)
	}))
	defer srv.Close()
	c, fc := newTestClient(t, srv.URL, Options{})
	for i := 0; i < 5; i++ {
		req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
		if _, err := c.DoJSON(req, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Request 2 uses the limiter's single burst token; request 3 waits 1/0.4s; request 4 waits for the reset;
	// request 5 does not wait because the budget recovered.
	s := fc.Sleeps()
	if len(s) != 2 || s[0] != 2500*time.Millisecond || s[1] != 20*time.Second {
		t.Errorf("waits = %v, want [2.5s 20s]", s)
	}
}

func TestHTTPErrorsMapToKinds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.Header().Set("Content-Type", "application/json")
		switch code {
		case 422:
			w.WriteHeader(code)
			_, _ = w.Write([]byte(`{"message":"The given data was invalid.","errors":{"username":["The username has already been taken."],"email_address":["The email address must be a valid email address."]}}`))
		case 405:
			w.Header().Set("Allow", "GET,HEAD")
			w.WriteHeader(code)
			_, _ = w.Write([]byte(`{"message":"Method not allowed"}`))
		default:
			w.WriteHeader(code)
			_, _ = w.Write([]byte(`{"error":"access_denied","message":"The resource owner or authorization server denied the request."}`))
		}
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, Options{})
	want := map[int]ErrorKind{401: KindAuth, 403: KindAuth, 404: KindNotFound, 422: KindUsage, 400: KindOther, 405: KindOther, 500: KindOther}
	for code, exit := range want {
		req, _ := c.NewRequest(context.Background(), http.MethodGet, "/"+strconv.Itoa(code), nil)
		_, err := c.Do(req)
		var he *HTTPError
		if !errors.As(err, &he) || he.StatusCode != code {
			t.Errorf("%d: err = %v", code, err)
			continue
		}
		if got := KindOf(err); got != exit {
			t.Errorf("%d: kind %d, want %d", code, got, exit)
		}
		if he.Method != http.MethodGet || !strings.HasSuffix(he.URL, "/"+strconv.Itoa(code)) {
			t.Errorf("%d: method %q URL %q", code, he.Method, he.URL)
		}
	}

	req, _ := c.NewRequest(context.Background(), http.MethodPost, "/422", map[string]string{"username": "x"})
	_, err := c.Do(req)
	var he *HTTPError
	if !errors.As(err, &he) {
		t.Fatal(err)
	}
	if he.Message != "The given data was invalid." || len(he.Fields) != 2 ||
		he.Fields["username"][0] != "The username has already been taken." {
		t.Errorf("422 parsed as %q %v", he.Message, he.Fields)
	}
	wantText := "POST /422: 422 Unprocessable Entity: The given data was invalid.\n" +
		"  email_address: The email address must be a valid email address.\n" +
		"  username: The username has already been taken."
	if err.Error() != wantText {
		t.Errorf("Error() =\n%s\nwant\n%s", err.Error(), wantText)
	}

	req, _ = c.NewRequest(context.Background(), http.MethodDelete, "/405", nil)
	_, err = c.Do(req)
	if !errors.As(err, &he) || he.Allow != "GET,HEAD" || !strings.Contains(err.Error(), "allowed methods: GET,HEAD") {
		t.Errorf("405: %v (Allow %q)", err, he.Allow)
	}
	he.Hint = "grant the Configuration API permission"
	if !strings.Contains(he.Error(), "hint: grant the Configuration API permission") {
		t.Errorf("hint missing: %s", he.Error())
	}
}

func TestHTTPErrorRedactsQuerySecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, Options{})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x?api_key=abcd1234&page=2", nil)
	_, err := c.Do(req)
	var he *HTTPError
	if !errors.As(err, &he) {
		t.Fatal(err)
	}
	if strings.Contains(he.URL, "abcd1234") || strings.Contains(err.Error(), "abcd1234") {
		t.Errorf("secret leaked: %q / %v", he.URL, err)
	}
	if !strings.Contains(err.Error(), "/x?api_key=[REDACTED]&page=2") {
		t.Errorf("Error() = %v", err)
	}
}

func TestInsecureWarnsOnce(t *testing.T) {
	var warn strings.Builder
	if _, err := New(Options{BaseURL: "h.example", Insecure: true, Warn: &warn}); err != nil {
		t.Fatal(err)
	}
	if warn.String() != "warning: TLS certificate verification disabled (--insecure)\n" {
		t.Errorf("warning = %q", warn.String())
	}
}
