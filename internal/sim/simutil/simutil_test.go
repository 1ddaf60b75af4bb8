package simutil

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPageMath(t *testing.T) {
	cases := []struct {
		total, per, cur  int
		last, start, end int
		hasPrev, hasNext bool
	}{
		{250, 100, 1, 3, 0, 100, false, true},
		{250, 100, 3, 3, 200, 250, true, false},
		{0, 100, 1, 1, 0, 0, false, false},
		{10, 5, 2, 2, 5, 10, true, false},
		{10, 5, 7, 2, 10, 10, false, false},
		{10, 5, 3, 2, 10, 10, true, false},
	}
	for _, c := range cases {
		p := NewPage(c.total, c.per, c.cur)
		s, e := p.Bounds()
		if p.Last != c.last || s != c.start || e != c.end || p.HasPrevious() != c.hasPrev || p.HasNext() != c.hasNext {
			t.Errorf("%+v: got last=%d [%d,%d) prev=%v next=%v", c, p.Last, s, e, p.HasPrevious(), p.HasNext())
		}
	}
}

func TestLinkHeader(t *testing.T) {
	base, _ := url.Parse("https://h.example/api/x?b=2&current_page=2&a=one%20two&per_page=10")
	got := LinkHeader(base, NewPage(45, 10, 2), LinkNames{"per_page", "current_page", "first", "previous", "next", "last"})
	want := `<https://h.example/api/x?b=2&a=one+two&per_page=10&current_page=1>; rel="first", ` +
		`<https://h.example/api/x?b=2&a=one+two&per_page=10&current_page=1>; rel="previous", ` +
		`<https://h.example/api/x?b=2&a=one+two&per_page=10&current_page=3>; rel="next", ` +
		`<https://h.example/api/x?b=2&a=one+two&per_page=10&current_page=5>; rel="last"`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestLimiterBuckets(t *testing.T) {
	clock := NewClock(time.Unix(0, 0))
	l := NewLimiter(clock.Now, Limit{Count: 2, Per: time.Second}, Limit{Count: 3, Per: time.Hour}, Limit{Count: 0, Per: time.Minute})
	d := l.Take("a")
	if !d.Allowed || d.Limit != 3 || d.Remaining != 2 {
		t.Fatalf("first: %+v", d)
	}
	if d := l.Take("a"); !d.Allowed || d.Remaining != 1 {
		t.Fatalf("second: %+v", d)
	}
	d = l.Take("a")
	if d.Allowed || d.RetryAfter != 500*time.Millisecond || d.RetryAfterSeconds() != 1 {
		t.Fatalf("third within a second: %+v", d)
	}
	if d := l.Take("b"); !d.Allowed {
		t.Fatal("keys must not share buckets")
	}
	clock.Advance(time.Second)
	if d := l.Take("a"); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("after a second: %+v", d)
	}
	clock.Advance(time.Second)
	d = l.Take("a")
	if d.Allowed || d.RetryAfterSeconds() != 1200-2 {
		t.Fatalf("hourly exhausted: %+v (retry %ds)", d, d.RetryAfterSeconds())
	}
	l.Reset()
	if d := l.Take("a"); !d.Allowed {
		t.Fatal("reset did not refill")
	}
	if off := NewLimiter(nil); off.Enabled() || !off.Take("x").Allowed {
		t.Fatal("limiter without limits must allow")
	}
}

func TestTokenStore(t *testing.T) {
	clock := NewClock(time.Unix(1000, 0))
	s := NewTokenStore(time.Minute, 3, clock.Now)
	a := s.Mint("a")
	if a.ClientID != "a" || !a.Expires.Equal(clock.Now().Add(time.Minute)) || len(a.Value) != 40 {
		t.Fatalf("token %+v", a)
	}
	b, c := s.Mint("a"), s.Mint("a")
	other := s.Mint("z")
	d := s.Mint("a") // fourth for "a": drops a
	if _, ok := s.Lookup(a.Value); ok {
		t.Fatal("oldest token still valid")
	}
	for _, tok := range []Token{b, c, d, other} {
		if id, ok := s.Lookup(tok.Value); !ok || id != tok.ClientID {
			t.Fatalf("token %v invalid", tok)
		}
	}
	if s.Minted() != 5 || s.Live() != 4 {
		t.Fatalf("minted %d live %d", s.Minted(), s.Live())
	}
	clock.Advance(time.Minute)
	if _, ok := s.Lookup(b.Value); ok || s.Live() != 0 {
		t.Fatal("expired token still valid")
	}
	e := s.Mint("a")
	if n := s.Revoke("a"); n != 1 {
		t.Fatalf("revoked %d", n)
	}
	if _, ok := s.Lookup(e.Value); ok {
		t.Fatal("revoked token valid")
	}
	f := s.Mint("z")
	s.RevokeAll()
	if _, ok := s.Lookup(f.Value); ok || s.Live() != 0 || s.Minted() != 7 {
		t.Fatal("RevokeAll left tokens")
	}
}

func TestWriteHelpers(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteMessage(rec, 418, "a <b> & c")
	if rec.Code != 418 || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Body.String() != `{"message":"a <b> & c"}`+"\n" {
		t.Fatalf("%d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
	rec = httptest.NewRecorder()
	WriteJSON(HeadWriter{rec}, 200, map[string]int{"a": 1})
	if rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != "8" {
		t.Fatalf("head writer: %q %v", rec.Body.String(), rec.Header())
	}
	rec = httptest.NewRecorder()
	WriteJSON(rec, 200, func() {})
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "message") {
		t.Fatalf("unencodable value: %d %q", rec.Code, rec.Body.String())
	}
}

func TestParseQueryOrdered(t *testing.T) {
	got := ParseQueryOrdered("b=1&&a=x%20y&c&b=2&bad=%zz")
	want := []QueryParam{{"b", "1"}, {"a", "x y"}, {"c", ""}, {"b", "2"}, {"bad", "%zz"}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
