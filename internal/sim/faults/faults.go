// Package faults wraps a simulator's http.Handler with injected failures, so that clients can be tested against the
// ways real networks and appliances fail: rate limiting with Retry-After, 500/502/503 answers, connections reset
// before or after the server acted, answers slower than the client's timeout, tokens revoked mid-run and malformed
// bodies. Each fault has a probability; a seeded random source makes runs repeatable.
package faults

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kind names a fault.
type Kind string

// The faults. "before" faults answer without calling the simulator; "after" faults let it act and then spoil the
// answer, which is what makes blind retries of creates dangerous.
const (
	RateLimit   Kind = "429"         // 429 Too Many Requests with Retry-After, nothing done
	Unavailable Kind = "503"         // 503 before processing, nothing done
	ServerError Kind = "500"         // the request is carried out, then 500 is answered
	BadGateway  Kind = "502"         // the request is carried out, then 502 is answered (a proxy lost the answer)
	ResetBefore Kind = "reset"       // the connection is closed before the request reaches the simulator
	ResetAfter  Kind = "reset-after" // the simulator acts, then the connection is closed without an answer
	Slow        Kind = "slow"        // the simulator acts, then answers after a delay longer than the client's timeout
	Revoke      Kind = "revoke"      // every token is revoked before the request is handled (PRA's 30-token rule)
	Malformed   Kind = "malformed"   // the simulator acts, then half of the answer body is sent
)

// Kinds lists every fault in a stable order.
var Kinds = []Kind{RateLimit, Unavailable, ServerError, BadGateway, ResetBefore, ResetAfter, Slow, Revoke, Malformed}

// Config says how often each fault happens.
type Config struct {
	Rates      map[Kind]float64 // probability per request, 0..1; their sum must not exceed 1
	Seed       uint64           // random seed (0: fixed default, runs repeat)
	SlowDelay  time.Duration    // delay of Slow (default 3s)
	RetryAfter int              // seconds in Retry-After of RateLimit and Unavailable (default 1)
	// Only limits faults to requests for which it returns true (nil: every request except OAuth token requests).
	Only func(r *http.Request) bool
	// RevokeTokens is called for the Revoke fault (nil: Revoke does nothing).
	RevokeTokens func()
}

// Parse reads a fault specification such as "10%" (10% spread evenly over every kind), "all=20%" or
// "429=5%,reset-after=2%,slow=1%". Kinds not named get no faults.
func Parse(spec string) (map[Kind]float64, error) {
	rates := map[Kind]float64{}
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "none" {
		return rates, nil
	}
	for _, part := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			k, v = "all", k
		}
		p, err := parsePercent(v)
		if err != nil {
			return nil, fmt.Errorf("fault %q: %v", part, err)
		}
		if k == "all" {
			for _, kind := range Kinds {
				rates[kind] += p / float64(len(Kinds))
			}
			continue
		}
		if !known(Kind(k)) {
			return nil, fmt.Errorf("unknown fault %q (known: all, %s)", k, kindList())
		}
		rates[Kind(k)] += p
	}
	sum := 0.0
	for _, p := range rates {
		sum += p
	}
	if sum > 1 {
		return nil, fmt.Errorf("fault rates add up to %.0f%%, more than 100%%", sum*100)
	}
	return rates, nil
}

func parsePercent(v string) (float64, error) {
	v = strings.TrimSpace(v)
	pct := strings.HasSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a rate (use 5%% or 0.05)", v)
	}
	if pct || f > 1 {
		f /= 100
	}
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("%q is outside 0..100%%", v)
	}
	return f, nil
}

func known(k Kind) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Injector is the wrapping handler. It is safe for concurrent use.
type Injector struct {
	next http.Handler
	cfg  Config

	mu      sync.Mutex
	rnd     *rand.Rand
	enabled atomic.Bool
	counts  sync.Map // Kind → *atomic.Int64
}

// Wrap returns next with faults injected as cfg says.
func Wrap(next http.Handler, cfg Config) *Injector {
	if cfg.SlowDelay <= 0 {
		cfg.SlowDelay = 3 * time.Second
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 1
	}
	if cfg.Only == nil {
		cfg.Only = func(r *http.Request) bool {
			p := r.URL.Path
			return !strings.Contains(p, "oauth2/token") && p != "/token"
		}
	}
	in := &Injector{next: next, cfg: cfg, rnd: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
	in.enabled.Store(true)
	return in
}

// SetRates replaces the fault probabilities.
func (in *Injector) SetRates(r map[Kind]float64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.cfg.Rates = r
}

// SetEnabled switches injection on or off (for example to check the final state without faults).
func (in *Injector) SetEnabled(on bool) { in.enabled.Store(on) }

// Count returns how many times a fault was injected.
func (in *Injector) Count(k Kind) int64 {
	if v, ok := in.counts.Load(k); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

// Counts returns every injected fault's count, for reports.
func (in *Injector) Counts() string {
	var parts []string
	for _, k := range Kinds {
		if n := in.Count(k); n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, n))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func (in *Injector) pick() Kind {
	in.mu.Lock()
	defer in.mu.Unlock()
	x := in.rnd.Float64()
	for _, k := range Kinds {
		p := in.cfg.Rates[k]
		if x < p {
			return k
		}
		x -= p
	}
	return ""
}

func (in *Injector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !in.enabled.Load() || !in.cfg.Only(r) {
		in.next.ServeHTTP(w, r)
		return
	}
	k := in.pick()
	if k == "" {
		in.next.ServeHTTP(w, r)
		return
	}
	v, _ := in.counts.LoadOrStore(k, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	switch k {
	case RateLimit, Unavailable:
		code := http.StatusTooManyRequests
		msg := "Too Many Attempts."
		if k == Unavailable {
			code, msg = http.StatusServiceUnavailable, "Service Unavailable"
		}
		w.Header().Set("Retry-After", strconv.Itoa(in.cfg.RetryAfter))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"message":%q}`, msg)
	case ResetBefore:
		drop(w)
	case Revoke:
		if in.cfg.RevokeTokens != nil {
			in.cfg.RevokeTokens()
		}
		in.next.ServeHTTP(w, r)
	case Slow:
		// The simulator acts at once but answers only after the delay, by which time the client has given up.
		rec := newRecorder()
		in.next.ServeHTTP(rec, r)
		t := time.NewTimer(in.cfg.SlowDelay)
		select {
		case <-t.C:
			rec.flush(w)
		case <-r.Context().Done():
			t.Stop()
		}
	default: // the simulator acts, then the answer is spoiled
		rec := newRecorder()
		in.next.ServeHTTP(rec, r)
		switch k {
		case ServerError, BadGateway:
			code := http.StatusInternalServerError
			if k == BadGateway {
				code = http.StatusBadGateway
			}
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(code)
			fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>", code, http.StatusText(code))
		case ResetAfter:
			drop(w)
		case Malformed:
			for key, vals := range rec.header {
				if key != "Content-Length" {
					w.Header()[key] = vals
				}
			}
			w.WriteHeader(rec.code)
			b := rec.body.Bytes()
			_, _ = w.Write(b[:len(b)/2])
			drop(w)
		}
	}
}

// drop closes the client connection without an answer.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, buf, err := hj.Hijack(); err == nil {
			if buf != nil {
				_ = buf.Flush()
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST rather than FIN
			}
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// recorder buffers a response so a fault can decide what the client gets.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, code: http.StatusOK} }

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

func (r *recorder) flush(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.code)
	_, _ = w.Write(r.body.Bytes())
}
