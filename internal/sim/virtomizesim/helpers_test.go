package virtomizesim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infractl/infra/internal/sim/virtomizesim"
)

const adminPassword = "s3cret-admin-pass"

// fakeClock is a manually advanced clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// client talks to a simulator behind an httptest server on 127.0.0.1.
type client struct {
	t     *testing.T
	sim   *virtomizesim.Server
	base  string
	token string
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// obj decodes a JSON object answer.
func (r resp) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	return m
}

// list decodes a JSON array answer.
func (r resp) list(t *testing.T) []map[string]any {
	t.Helper()
	var l []map[string]any
	r.json(t, &l)
	return l
}

type errDoc struct {
	Errors     []string `json:"errors"`
	Timestamp  int64    `json:"timestamp"`
	StatusCode int      `json:"statuscode"`
	Instance   string   `json:"instance"`
}

// apiErr asserts that r is the error document with status and returns it.
func (r resp) apiErr(t *testing.T, status int) errDoc {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var e errDoc
	r.json(t, &e)
	if e.StatusCode != status || len(e.Errors) == 0 || e.Instance == "" || e.Timestamp == 0 {
		t.Fatalf("not a complete error document: %s", r.body)
	}
	return e
}

func newSim(t *testing.T, o virtomizesim.Options) *client {
	t.Helper()
	if o.Password == "" {
		o.Password = adminPassword
	}
	sim := virtomizesim.New(o)
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	c := &client{t: t, sim: sim, base: ts.URL + virtomizesim.BasePath}
	c.token = c.login("admin", o.Password)
	return c
}

func (c *client) login(user, pass string) string {
	c.t.Helper()
	r := c.send(http.MethodPost, "/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {user}, "client_secret": {pass}}.Encode(), "", "")
	if r.status != http.StatusOK {
		c.t.Fatalf("login as %s: %d %s", user, r.status, r.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.json(c.t, &tok)
	return tok.AccessToken
}

// send issues a request with a raw body; an empty ctype means form encoding.
func (c *client) send(method, path, body, ctype, token string) resp {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype == "" {
		ctype = "application/x-www-form-urlencoded"
	}
	if body != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: data}
}

// do sends form values with the client's token.
func (c *client) do(method, path string, form url.Values) resp {
	c.t.Helper()
	return c.send(method, path, form.Encode(), "", c.token)
}

// ok is do that insists on 200.
func (c *client) ok(method, path string, form url.Values) resp {
	c.t.Helper()
	r := c.do(method, path, form)
	if r.status != http.StatusOK {
		c.t.Fatalf("%s %s: status %d: %s", method, path, r.status, r.body)
	}
	return r
}

// key creates a record and returns its key.
func (c *client) key(path string, form url.Values) int {
	c.t.Helper()
	m := c.ok(http.MethodPost, path, form).obj(c.t)
	k, ok := m["key"].(float64)
	if !ok {
		c.t.Fatalf("POST %s: no key in %v", path, m)
	}
	return int(k)
}

// form builds url.Values from name, value pairs.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}
