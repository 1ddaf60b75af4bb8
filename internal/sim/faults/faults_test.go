package faults

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	r, err := Parse("429=5%,reset-after=0.02")
	if err != nil || r[RateLimit] != 0.05 || r[ResetAfter] != 0.02 || len(r) != 2 {
		t.Fatalf("%v %v", r, err)
	}
	r, err = Parse("18%")
	if err != nil || len(r) != len(Kinds) || r[Slow] < 0.0199 || r[Slow] > 0.0201 {
		t.Fatalf("%v %v", r, err)
	}
	for _, bad := range []string{"teapot=5%", "429=150%", "all=80%,429=30%", "429=x"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// counter counts how many requests the "simulator" acted on.
type counter struct {
	acted atomic.Int64
	ch    chan struct{} // receives one value per request acted on
}

func newCounter() *counter { return &counter{ch: make(chan struct{}, 16)} }

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.acted.Add(1)
	c.ch <- struct{}{}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"id":1,"name":"a long enough body to cut in half"}`)
}

func TestEveryKindBehaves(t *testing.T) {
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			c := newCounter()
			revoked := false
			in := Wrap(c, Config{Rates: map[Kind]float64{k: 1}, SlowDelay: 50 * time.Millisecond, RevokeTokens: func() { revoked = true }})
			srv := httptest.NewServer(in)
			defer srv.Close()
			cl := &http.Client{Timeout: 20 * time.Millisecond}
			if k != Slow {
				cl.Timeout = 5 * time.Second
			}
			resp, err := cl.Post(srv.URL+"/api/x", "application/json", strings.NewReader(`{}`))
			var body []byte
			if err == nil {
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			acted := c.acted.Load()
			switch k {
			case RateLimit, Unavailable:
				if err != nil || resp.Header.Get("Retry-After") == "" || acted != 0 {
					t.Fatalf("err %v acted %d", err, acted)
				}
			case ServerError, BadGateway:
				if err != nil || resp.StatusCode < 500 || acted != 1 {
					t.Fatalf("err %v acted %d", err, acted)
				}
			case ResetBefore:
				if err == nil || acted != 0 {
					t.Fatalf("want a connection error before acting: err %v acted %d", err, acted)
				}
			case ResetAfter, Malformed:
				if err == nil && k == ResetAfter || acted != 1 {
					t.Fatalf("err %v acted %d", err, acted)
				}
				if k == Malformed && err == nil && strings.HasSuffix(string(body), "}") {
					t.Fatalf("body not cut: %q", body)
				}
			case Slow:
				if err == nil {
					t.Fatal("the client should time out")
				}
				select {
				case <-c.ch:
				case <-time.After(5 * time.Second):
					t.Fatal("the slow server must still act")
				}
			case Revoke:
				if !revoked || acted != 1 || err != nil {
					t.Fatalf("revoked %v acted %d err %v", revoked, acted, err)
				}
			}
			if in.Count(k) != 1 {
				t.Fatalf("count %d", in.Count(k))
			}
		})
	}
}

func TestTokenRequestsAndDisabledPassThrough(t *testing.T) {
	c := newCounter()
	in := Wrap(c, Config{Rates: map[Kind]float64{ResetBefore: 1}})
	srv := httptest.NewServer(in)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/oauth2/token", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	in.SetEnabled(false)
	resp, err = http.Get(srv.URL + "/api/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c.acted.Load() != 2 {
		t.Fatalf("acted %d", c.acted.Load())
	}
}
