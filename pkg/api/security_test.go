package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestRedirectPolicy(t *testing.T) {
	var foreignHits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
		okHandler(w, r)
	}))
	defer foreign.Close()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, foreign.URL+"/x", http.StatusTemporaryRedirect)
		case "/here":
			http.Redirect(w, r, "/final", http.StatusPermanentRedirect)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"auth":"`+r.Header.Get("Authorization")+`","body":"`+string(body)+`"}`)
		}
	}))
	defer site.Close()
	c, _ := newTestClient(t, site.URL, Options{Auth: StaticToken{Token: "tok-redirect-test"}})

	req, _ := c.NewRequest(context.Background(), http.MethodPost, "/away", map[string]string{"password": "p"})
	_, err := c.Do(req)
	var re *RedirectError
	if !errors.As(err, &re) || re.From != Origin(mustURL(site.URL)) || re.To != Origin(mustURL(foreign.URL)) || re.Status != 307 {
		t.Fatalf("err = %v (%#v), want a RedirectError naming both origins", err, re)
	}
	if foreignHits.Load() != 0 {
		t.Error("the foreign origin was contacted")
	}
	if KindOf(err) != KindOther {
		t.Errorf("kind %d, want KindOther", KindOf(err))
	}

	req, _ = c.NewRequest(context.Background(), http.MethodPost, "/here", "payload")
	var out map[string]string
	if _, err := c.DoJSON(req, &out); err != nil || out["auth"] != "Bearer tok-redirect-test" || out["body"] != "payload" {
		t.Errorf("same-origin 308: %v %v", err, out)
	}

	req, _ = c.NewRequest(context.Background(), http.MethodGet, "/loop", nil)
	if _, err := c.Do(req); !errors.As(err, &re) || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Errorf("loop: %v", err)
	}

	// Token requests follow no redirect at all, even within the site.
	req, _ = c.NewRequest(ForTokenEndpoint(context.Background()), http.MethodPost, "/here", url.Values{"client_secret": {"x"}})
	if _, err := c.HTTPClient().Do(req); !errors.As(err, &re) || !strings.Contains(err.Error(), "token endpoints") {
		t.Errorf("token request: %v", err)
	}
}

func TestOriginDowngrade(t *testing.T) {
	mk := func(s string) *http.Request { r, _ := http.NewRequest(http.MethodGet, s, nil); return r }
	err := checkRedirect(mk("http://h/x"), []*http.Request{mk("https://h/y")})
	if err == nil || !strings.Contains(err.Error(), "https to http") {
		t.Errorf("downgrade: %v", err)
	}
	if err := checkRedirect(mk("https://h:443/x"), []*http.Request{mk("https://H/y")}); err != nil {
		t.Errorf("same origin with explicit default port: %v", err)
	}
	if err := checkRedirect(mk("https://h:8443/x"), []*http.Request{mk("https://h/y")}); err == nil {
		t.Error("another port was accepted")
	}
}

func TestClientCredentialsTokenRedirectRefused(t *testing.T) {
	var foreignHits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { foreignHits.Add(1) }))
	defer foreign.Close()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, foreign.URL+"/oauth2/token", http.StatusTemporaryRedirect)
	}))
	defer site.Close()
	c, _ := newTestClient(t, site.URL, Options{})
	cc := &ClientCredentials{TokenURL: site.URL + "/oauth2/token", ClientID: "id", ClientSecret: "redirect-secret", HTTPClient: c.HTTPClient(), AuthStyle: oauth2.AuthStyleInHeader}
	_, err := cc.Token(context.Background())
	var re *RedirectError
	if !errors.As(err, &re) || KindOf(err) != KindOther || foreignHits.Load() != 0 {
		t.Errorf("err = %v (kind %d), foreign hits %d", err, KindOf(err), foreignHits.Load())
	}
}

func TestScrubRegistry(t *testing.T) {
	const id, secret = "scrub-id", `Scrub+S3cr/t"<&>`
	RegisterBasicAuth(id, secret)
	RegisterSecret("tok-scrub-abcdef")
	RegisterSecret("abc") // too short to scrub from free text
	for _, form := range []string{
		secret, url.QueryEscape(secret), url.PathEscape(secret), strings.NewReplacer("%2B", "%2b", "%2F", "%2f", "%3C", "%3c", "%3E", "%3e").Replace(url.QueryEscape(secret)),
		`Scrub+S3cr/t\"\u003c\u0026\u003e`, `Scrub+S3cr/t\"<&>`,
		base64.StdEncoding.EncodeToString([]byte(id + ":" + secret)),
		base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret))),
		base64.StdEncoding.EncodeToString([]byte(secret)),
		"tok-scrub-abcdef",
	} {
		if got := Scrub("x " + form + " y"); got != "x "+Redacted+" y" {
			t.Errorf("Scrub(%q) = %q", form, got)
		}
	}
	if got := Scrub("abc"); got != "abc" {
		t.Errorf("short value scrubbed: %q", got)
	}
	e := &HTTPError{StatusCode: 500, Method: "GET", URL: "https://h/x", Message: "echo Bearer tok-scrub-abcdef"}
	if strings.Contains(e.Error(), "tok-scrub") {
		t.Errorf("HTTPError leaks: %s", e.Error())
	}
	var buf bytes.Buffer
	w := SafeWriter(&buf)
	io.WriteString(w, "trace "+secret+" \x1b[2J\u202e\n")
	if got := buf.String(); got != "trace "+Redacted+` \x1b[2J\u202e`+"\n" {
		t.Errorf("SafeWriter wrote %q", got)
	}
}

func TestRequestBodySecretsRegistered(t *testing.T) {
	c, _ := newTestClient(t, "https://h.example", Options{})
	if _, err := c.NewRequest(context.Background(), http.MethodPost, "/x", map[string]any{"account": map[string]any{"password": "body-p4ss-word"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NewRequest(context.Background(), http.MethodPost, "/t", url.Values{"client_secret": {"form-s3cret"}}); err != nil {
		t.Fatal(err)
	}
	if got := Scrub("body-p4ss-word form-s3cret"); got != Redacted+" "+Redacted {
		t.Errorf("got %q", got)
	}
}

func TestJSONAnswerCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"pad":"`+strings.Repeat("x", 4096)+`"}`)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, Options{MaxResponseBytes: 1024})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/big", nil)
	var out any
	_, err := c.DoJSON(req, &out)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != 1024 || !strings.Contains(err.Error(), "max_response_bytes") {
		t.Fatalf("err = %v", err)
	}
	c, _ = newTestClient(t, srv.URL, Options{MaxResponseBytes: 4096 + 10})
	req, _ = c.NewRequest(context.Background(), http.MethodGet, "/exact", nil)
	if _, err := c.DoJSON(req, &out); err != nil {
		t.Errorf("an answer of exactly the limit: %v", err)
	}
}

// TestStreamingIdleTimeout: a streamed answer may take longer than the timeout as long as bytes keep coming; a gap
// longer than the timeout fails with an idle TimeoutError.
func TestStreamingIdleTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 6; i++ {
			io.WriteString(w, "chunk")
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
		select { // then stall
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c, _ := newTestClient(t, srv.URL, Options{Timeout: 400 * time.Millisecond})
	req, _ := c.NewRequest(Streaming(context.Background()), http.MethodGet, "/dl", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	var te *TimeoutError
	if !errors.As(err, &te) || !te.Idle || string(b) != strings.Repeat("chunk", 6) {
		t.Fatalf("read %q, err = %v; want all chunks then an idle timeout", b, err)
	}
}

func TestPlainHTTPWarning(t *testing.T) {
	for _, c := range []struct {
		url, auth string
		token     bool
		warn      bool
	}{
		{"http://remote.example:8080/x", "Bearer t", false, true},
		{"http://remote.example:8080/y", "Bearer t", false, false}, // one line per host
		{"http://form.example/token", "", true, true},
		{"http://127.0.0.1:9/x", "Bearer t", false, false},
		{"http://localhost/x", "Bearer t", false, false},
		{"http://[::1]/x", "Bearer t", false, false},
		{"https://remote2.example/x", "Bearer t", false, false},
		{"http://plain.example/x", "", false, false},
	} {
		var buf bytes.Buffer
		p := &plainHTTPWarner{next: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("offline") }), warn: &buf}
		ctx := context.Background()
		if c.token {
			ctx = ForTokenEndpoint(ctx)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		_, _ = p.RoundTrip(req)
		if got := strings.Contains(buf.String(), "warning: sending credentials over plain http://"); got != c.warn {
			t.Errorf("%s: warned %v (%q), want %v", c.url, got, buf.String(), c.warn)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
