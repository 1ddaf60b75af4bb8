package prasim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/infractl/infra/internal/sim/simutil"
)

const testSecret = "s3cret-value-for-tests"

var epoch = time.Date(2025, 10, 16, 14, 46, 25, 0, time.UTC)

type env struct {
	t     *testing.T
	sim   *Server
	ts    *httptest.Server
	clock *simutil.Clock
	token string
}

func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	clock := simutil.NewClock(epoch)
	if o.ClientID == "" {
		o.ClientID = "client-a"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = testSecret
	}
	if o.Now == nil {
		o.Now = clock.Now
	}
	sim := New(o)
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	e := &env{t: t, sim: sim, ts: ts, clock: clock}
	e.token = e.mint()
	return e
}

// mint obtains a token with the configured credentials.
func (e *env) mint() string {
	e.t.Helper()
	resp := e.tokenRequest(e.sim.ClientID(), e.sim.ClientSecret(), "grant_type=client_credentials")
	if resp.status != http.StatusOK {
		e.t.Fatalf("token: status %d body %s", resp.status, resp.body)
	}
	var tok tokenResponse
	resp.decode(e.t, &tok)
	return tok.AccessToken
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

func (r result) message(t *testing.T) string {
	t.Helper()
	var m struct {
		Message *string `json:"message"`
	}
	r.decode(t, &m)
	if m.Message == nil || *m.Message == "" {
		t.Fatalf("no message in %s", r.body)
	}
	return *m.Message
}

// errorsBag decodes a 422 body, failing unless it has both parts.
func (r result) errorsBag(t *testing.T) map[string][]string {
	t.Helper()
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422; body %s", r.status, r.body)
	}
	var v struct {
		Message string              `json:"message"`
		Errors  map[string][]string `json:"errors"`
	}
	r.decode(t, &v)
	if v.Message == "" || len(v.Errors) == 0 {
		t.Fatalf("422 body lacks message or errors: %s", r.body)
	}
	return v.Errors
}

func (e *env) send(req *http.Request) result {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

func (e *env) tokenRequest(id, secret, form string) result {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.ts.URL+TokenPath, strings.NewReader(form))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" || secret != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return e.send(req)
}

// raw sends a request with exactly the given headers (plus the token, if
// any). path is relative to the Configuration API base unless absolute.
func (e *env) raw(method, path, token, body string, headers map[string]string) result {
	e.t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.ts.URL + ConfigBase + path
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return e.send(req)
}

// call sends a well-formed API request with the default token.
func (e *env) call(method, path, body string) result {
	e.t.Helper()
	h := map[string]string{"Accept": "application/json"}
	if body != "" {
		h["Content-Type"] = "application/json"
	}
	return e.raw(method, path, e.token, body, h)
}

func (e *env) mustStatus(r result, want int) {
	e.t.Helper()
	if r.status != want {
		e.t.Fatalf("status %d, want %d; body %s", r.status, want, r.body)
	}
}
