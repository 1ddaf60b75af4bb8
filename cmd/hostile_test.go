package cmd_test

// Hostile-server tests: the built binary (the re-executed test binary, as in the scripts) against httptest servers
// that behave like an attacker controlling or impersonating a vendor endpoint. Each test names the security property
// it holds.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infractl/infra/internal/sim/jotelulusim"
)

const (
	hostileClientID  = "cid-hostile"
	hostileSecret    = "S3cr+t/P4ss!w0rd" // '+', '/', '!' make the encoded forms differ from the raw one
	hostilePassword  = "V1rt-P4ssw0rd!"
	hostileVaultPass = "Vault-P4ss&w0rd"
	hostileToken     = "tok-9f8e7d6c5b4a39281706"
)

// runGuard only stops a binary that would otherwise never end (the behaviour some tests prove is gone); no test
// asserts on elapsed time.
const runGuard = 90 * time.Second

type infraRun struct {
	stdout, stderr string
	code           int
}

// runInfra runs the binary with a clean environment: an isolated home, config and cache, no proxy variables
// inherited, plus env.
func runInfra(t *testing.T, env []string, stdin string, args ...string) infraRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runGuard)
	defer cancel()
	home := t.TempDir()
	c := exec.CommandContext(ctx, "infra", args...)
	c.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"INFRA_CONFIG_DIR=" + filepath.Join(home, "config"),
		"INFRA_CACHE_DIR=" + filepath.Join(home, "cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "xdg"),
		"INFRA_SECRET_STORE=file",
		"NO_COLOR=1",
		"GORACE=" + os.Getenv("GORACE"),
	}, env...)
	c.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running infra: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("infra %s did not end within %s; stderr:\n%s", strings.Join(args, " "), runGuard, errOut.String())
	}
	return infraRun{out.String(), errOut.String(), code}
}

// foreignSite is a foreign server: it records whatever reaches it.
type foreignSite struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []string
}

func newForeignSite(t *testing.T) *foreignSite {
	r := &foreignSite{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, fmt.Sprintf("%s %s auth=%q body=%q", req.Method, req.URL, req.Header.Get("Authorization"), body))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"foreign","token_type":"Bearer","expires_in":3600,"id":1,"data":{"id":1}}`)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *foreignSite) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

// vendorCase is how one vendor is driven: its environment, a command that reads, one that writes (with its stdin),
// and which path is its token endpoint ("" when it has none).
type vendorCase struct {
	name       string
	env        func(url string) []string
	tokenPath  string
	read       []string
	write      []string
	writeStdin string
}

var jwtOnce = sync.OnceValue(func() string { return jotelulusim.MakeToken("hostile", time.Now().Add(24*time.Hour)) })

func hostileVendors() []vendorCase {
	return []vendorCase{
		{
			name: "pra",
			env: func(u string) []string {
				return []string{"INFRA_PRA_HOST=" + u, "INFRA_PRA_CLIENT_ID=" + hostileClientID, "INFRA_PRA_CLIENT_SECRET=" + hostileSecret}
			},
			tokenPath:  "/oauth2/token",
			read:       []string{"pra", "jump-group", "get", "1"},
			write:      []string{"pra", "-k", "vault", "account", "create"},
			writeStdin: "type=username_password\nname=db\nusername=dba\npassword=" + hostileVaultPass + "\n",
		},
		{
			name: "virtomize",
			env: func(u string) []string {
				return []string{"INFRA_VIRTOMIZE_HOST=" + u, "INFRA_VIRTOMIZE_USERNAME=admin", "INFRA_VIRTOMIZE_PASSWORD=" + hostilePassword}
			},
			tokenPath: "/rest/v1/token",
			read:      []string{"virtomize", "network", "list"},
			write:     []string{"virtomize", "network", "create", "--cluster", "1", "--dhcp", "--name", "n1"},
		},
		{
			name: "jotelulu",
			env: func(u string) []string {
				return []string{"INFRA_JOTELULU_HOST=" + u, "INFRA_JOTELULU_TOKEN=" + jwtOnce(), "INFRA_JOTELULU_ORGANIZATION=11111111-2222-3333-4444-555555555555"}
			},
			read:  []string{"jotelulu", "org", "list"},
			write: []string{"jotelulu", "org", "user", "create", "--email", "eva@acme.example", "--name", "Eva"},
		},
	}
}

// serveToken answers a token request like the vendors do.
func serveToken(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"access_token":"`+hostileToken+`","token_type":"Bearer","expires_in":3600}`)
}

// hostilePRA serves PRA's token endpoint normally and everything else with h.
func hostilePRA(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2/token" {
			serveToken(w)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func origin(raw string) string {
	u, _ := url.Parse(raw)
	return u.Scheme + "://" + u.Host
}

// TestHostileRedirects: items 1-3. A token, read or write request redirected (301, 302, 303, 307, 308) to another
// origin is refused with exit 1 and an error naming both origins; nothing reaches the other origin: no Basic
// credentials, no bearer token, no body.
func TestHostileRedirects(t *testing.T) {
	t.Parallel()
	for _, v := range hostileVendors() {
		for _, kind := range []string{"token", "read", "write"} {
			if kind == "token" && v.tokenPath == "" {
				continue
			}
			for _, status := range []int{301, 302, 303, 307, 308} {
				t.Run(fmt.Sprintf("%s/%s/%d", v.name, kind, status), func(t *testing.T) {
					foreign := newForeignSite(t)
					site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.URL.Path == v.tokenPath && kind != "token" {
							serveToken(w)
							return
						}
						http.Redirect(w, r, foreign.srv.URL+r.URL.RequestURI(), status)
					}))
					defer site.Close()
					args := v.read
					stdin := ""
					if kind == "write" {
						args, stdin = v.write, v.writeStdin
					}
					res := runInfra(t, v.env(site.URL), stdin, args...)
					if got := foreign.received(); len(got) > 0 {
						t.Errorf("the other origin received %d request(s): %q", len(got), got)
					}
					if res.code != 1 || !strings.Contains(res.stderr, "refused to follow a redirect") ||
						!strings.Contains(res.stderr, origin(site.URL)) || !strings.Contains(res.stderr, origin(foreign.srv.URL)) {
						t.Errorf("exit %d, want 1 with an error naming both origins; stderr:\n%s", res.code, res.stderr)
					}
				})
			}
		}
	}
}

// TestHostileRedirectHTTPSToHTTP: item 3. A bearer token never follows a redirect from https to http.
func TestHostileRedirectHTTPSToHTTP(t *testing.T) {
	t.Parallel()
	foreign := newForeignSite(t)
	site := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2/token" {
			serveToken(w)
			return
		}
		http.Redirect(w, r, foreign.srv.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer site.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: site.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(hostileVendors()[0].env(site.URL), "INFRA_CA_CERT="+ca)
	res := runInfra(t, env, "", "pra", "jump-group", "get", "1")
	if got := foreign.received(); len(got) > 0 {
		t.Errorf("the http origin received %q", got)
	}
	if res.code != 1 || !strings.Contains(res.stderr, "from https to http") {
		t.Errorf("exit %d, want 1 naming the downgrade; stderr:\n%s", res.code, res.stderr)
	}
}

// TestHostileSameOriginRedirectFollowed: a redirect within the site still works, credentials included.
func TestHostileSameOriginRedirectFollowed(t *testing.T) {
	t.Parallel()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oauth2/token":
			serveToken(w)
		case "/api/config/v1/jump-group/1":
			http.Redirect(w, r, "/api/config/v1/jump-group/2", http.StatusMovedPermanently)
		default:
			if r.Header.Get("Authorization") != "Bearer "+hostileToken {
				http.Error(w, `{"message":"no token"}`, http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":2,"name":"moved"}`)
		}
	}))
	defer site.Close()
	res := runInfra(t, hostileVendors()[0].env(site.URL), "", "pra", "jump-group", "get", "1", "-o", "json")
	if res.code != 0 || !strings.Contains(res.stdout, `"moved"`) {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", res.code, res.stdout, res.stderr)
	}
}

// secretForms are the encodings of the test secrets that must never be printed.
func secretForms() map[string]string {
	return map[string]string{
		"client secret":         hostileSecret,
		"client secret (query)": url.QueryEscape(hostileSecret),
		"Basic credential":      base64.StdEncoding.EncodeToString([]byte(hostileClientID + ":" + hostileSecret)),
		"Basic (form-escaped)":  base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(hostileClientID) + ":" + url.QueryEscape(hostileSecret))),
		"password":              hostilePassword,
		"password (query)":      url.QueryEscape(hostilePassword),
		"vault password":        hostileVaultPass,
		"vault password (json)": strings.Trim(mustJSON(hostileVaultPass), `"`),
		"bearer token":          hostileToken,
		"jwt":                   jwtOnce(),
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// echo answers with everything the client sent: headers, query and body, in a JSON message and as text.
func echo(w http.ResponseWriter, r *http.Request, status int) {
	body, _ := io.ReadAll(r.Body)
	var sb strings.Builder
	fmt.Fprintf(&sb, "server failed for %s raw=%s query=%s body=%s", r.Header.Get("Authorization"), r.Header.Get("Authorization"), r.URL.RawQuery, body)
	for k, v := range r.Header {
		fmt.Fprintf(&sb, " %s=%s", k, strings.Join(v, ","))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"message": sb.String(), "errors": []string{sb.String()}})
}

// TestHostileEchoedSecrets: item 4. Whatever the server echoes (the Basic header, the form body, the bearer token,
// a JSON body with a password), no secret in any encoding reaches the error message or the --debug trace.
func TestHostileEchoedSecrets(t *testing.T) {
	t.Parallel()
	for _, v := range hostileVendors() {
		for _, where := range []string{"token", "read", "write"} {
			if where == "token" && v.tokenPath == "" {
				continue
			}
			t.Run(v.name+"/"+where, func(t *testing.T) {
				site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					switch {
					case r.URL.Path == v.tokenPath && where == "token":
						echo(w, r, http.StatusUnauthorized)
					case r.URL.Path == v.tokenPath:
						serveToken(w)
					default:
						echo(w, r, http.StatusInternalServerError)
					}
				}))
				defer site.Close()
				args, stdin := v.read, ""
				if where == "write" {
					args, stdin = v.write, v.writeStdin
				}
				res := runInfra(t, v.env(site.URL), stdin, append([]string{"--debug"}, args...)...)
				if res.code == 0 {
					t.Fatalf("exit 0 against a failing server; stderr:\n%s", res.stderr)
				}
				if !strings.Contains(res.stderr, "[REDACTED]") {
					t.Errorf("the echo was not scrubbed or not shown:\n%s", res.stderr)
				}
				for name, s := range secretForms() {
					if strings.Contains(res.stderr, s) || strings.Contains(res.stdout, s) {
						t.Errorf("the %s (%q) was printed:\n%s", name, s, res.stderr)
					}
				}
			})
		}
	}
}

// TestHostileTerminalEscapes: item 5. Escape sequences, BEL and bidirectional overrides in server text are shown
// escaped in errors and in tables; JSON output keeps the data exact.
func TestHostileTerminalEscapes(t *testing.T) {
	t.Parallel()
	const evil = "bad\x1b[2J\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07 gpj.\u202eexe\u2066"
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/oauth2/token":
			serveToken(w)
		case "/api/config/v1/jump-group/1":
			w.WriteHeader(http.StatusInternalServerError)
			json.NewEncoder(w).Encode(map[string]string{"message": evil})
		default:
			json.NewEncoder(w).Encode([]map[string]any{{"id": 2, "name": evil}})
		}
	}))
	defer site.Close()
	env := hostileVendors()[0].env(site.URL)
	raw := "\x1b\x07\u202e\u2066"

	res := runInfra(t, env, "", "--debug", "pra", "jump-group", "get", "1")
	if res.code != 1 || strings.ContainsAny(res.stderr, raw) {
		t.Errorf("exit %d; raw control characters reached stderr: %q", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, `bad\x1b[2J\x1b]0;pwned\x07`) || !strings.Contains(res.stderr, `\u202e`) {
		t.Errorf("the escapes are not shown: %q", res.stderr)
	}

	res = runInfra(t, env, "", "pra", "jump-group", "list")
	if res.code != 0 || strings.ContainsAny(res.stdout, raw) || !strings.Contains(res.stdout, `gpj.\u202eexe\u2066`) {
		t.Errorf("table: exit %d, stdout %q, stderr %s", res.code, res.stdout, res.stderr)
	}

	res = runInfra(t, env, "", "pra", "jump-group", "list", "-o", "json")
	var got []map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil || len(got) != 1 || got[0]["name"] != evil {
		t.Errorf("JSON must keep the data exact: %v %q", err, res.stdout)
	}
}

// countingWriter counts what a handler managed to send.
type countingWriter struct {
	w http.ResponseWriter
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// TestHostileHugeAnswer: item 6. A JSON answer larger than max_response_bytes is refused with an error naming the
// limit and how to raise it; the client stops reading at the cap, so memory stays bounded whatever the server sends.
func TestHostileHugeAnswer(t *testing.T) {
	t.Parallel()
	const total = 32 << 20
	var sent *countingWriter
	site := hostilePRA(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		cw := &countingWriter{w: w}
		sent = cw
		// A generated body: one object with a list of 32 MiB of small items, never held in memory.
		io.WriteString(cw, `{"id":1,"items":[`)
		item := []byte(`{"id":12345,"name":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},`)
		for cw.n.Load() < total {
			if _, err := cw.Write(item); err != nil {
				return
			}
		}
		io.WriteString(cw, `{"id":0}]}`)
	})
	env := append(hostileVendors()[0].env(site.URL), "INFRA_MAX_RESPONSE_BYTES=1048576")
	res := runInfra(t, env, "", "pra", "jump-group", "get", "1", "-o", "json")
	if res.code != 1 || !strings.Contains(res.stderr, "larger than the 1 MiB limit") || !strings.Contains(res.stderr, "INFRA_MAX_RESPONSE_BYTES") {
		t.Errorf("exit %d, want 1 naming the limit; stderr:\n%s", res.code, res.stderr)
	}
	site.Close() // waits for the handler: sent is final
	if n := sent.n.Load(); n >= total/2 {
		t.Errorf("the client read %d bytes of a %d-byte answer: it did not stop at the cap", n, total)
	}
}

// TestHostileSelfReferencingNextLink: item 6. A Link rel="next" pointing at a page already fetched ends the list
// with an error instead of a loop.
func TestHostileSelfReferencingNextLink(t *testing.T) {
	t.Parallel()
	var pages atomic.Int32
	site := hostilePRA(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// Stop after a few rounds so a client that loops still ends (with duplicates).
		if pages.Add(1) > 3 {
			io.WriteString(w, `[]`)
			return
		}
		w.Header().Set("Link", `<`+r.URL.RequestURI()+`>; rel="next"`)
		io.WriteString(w, `[{"id":1,"name":"again"}]`)
	})
	res := runInfra(t, hostileVendors()[0].env(site.URL), "", "pra", "jump-group", "list", "-o", "json")
	if res.code != 1 || !strings.Contains(res.stderr, "already fetched") {
		t.Errorf("exit %d, want 1 with the loop named; stderr:\n%s", res.code, res.stderr)
	}
	if n := pages.Load(); n != 1 {
		t.Errorf("the page was fetched %d times, want once", n)
	}
}

// TestHostileTricklingBody: item 7. --timeout bounds reading the answer: a server sending one byte at a time
// forever makes the command fail with a timeout error.
func TestHostileTricklingBody(t *testing.T) {
	t.Parallel()
	site := hostilePRA(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":1,"name":"`)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				if _, err := io.WriteString(w, "x"); err != nil {
					return
				}
			}
		}
	})
	res := runInfra(t, hostileVendors()[0].env(site.URL), "", "--timeout", "1s", "pra", "jump-group", "get", "1")
	if res.code == 0 || !strings.Contains(res.stderr, "within 1s (--timeout)") {
		t.Errorf("exit %d, want a timeout error; stderr:\n%s", res.code, res.stderr)
	}
}

// TestHostileNeverAnswers: item 7. The retries of one request share one budget (twice --timeout): a server that
// never answers gets at most two attempts, not a full timeout per retry.
func TestHostileNeverAnswers(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	site := hostilePRA(t, func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		<-r.Context().Done()
	})
	res := runInfra(t, hostileVendors()[0].env(site.URL), "", "--timeout", "1s", "pra", "jump-group", "get", "1")
	if res.code == 0 || !strings.Contains(res.stderr, "(--timeout)") {
		t.Errorf("exit %d, want a timeout error; stderr:\n%s", res.code, res.stderr)
	}
	if n := attempts.Load(); n > 2 {
		t.Errorf("%d attempts: the retries did not share the request's budget", n)
	}
}

// TestHostilePlainHTTPWarning: item 10. Credentials about to go over plain http to a host that is not loopback get
// a one-line warning (the "remote" host is reached through an HTTP proxy on 127.0.0.1); loopback gets none.
func TestHostilePlainHTTPWarning(t *testing.T) {
	t.Parallel()
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2/token" {
			serveToken(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":1,"name":"g"}`)
	}))
	defer proxy.Close()
	env := append(hostileVendors()[0].env("http://pra.example.test"), "HTTP_PROXY="+proxy.URL, "http_proxy="+proxy.URL)
	res := runInfra(t, env, "", "pra", "jump-group", "get", "1")
	const warning = "warning: sending credentials over plain http:// to pra.example.test"
	if res.code != 0 || strings.Count(res.stderr, warning) != 1 {
		t.Errorf("exit %d, want one warning; stderr:\n%s", res.code, res.stderr)
	}
	res = runInfra(t, hostileVendors()[0].env(proxy.URL), "", "pra", "jump-group", "get", "1")
	if res.code != 0 || strings.Contains(res.stderr, "plain http") {
		t.Errorf("loopback: exit %d, stderr:\n%s", res.code, res.stderr)
	}
}

// TestHostileStalledDownload: item 7. A streamed download may take longer than --timeout while bytes keep coming,
// and fails once no byte arrives for --timeout; nothing is left at the target.
func TestHostileStalledDownload(t *testing.T) {
	t.Parallel()
	const chunks = 8
	var sent atomic.Int32
	site := hostilePRA(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="site.nsb"`)
		for i := 0; i < chunks; i++ {
			if _, err := w.Write(bytes.Repeat([]byte{'b'}, 1024)); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			sent.Add(1)
			time.Sleep(200 * time.Millisecond) // 8 × 200ms: longer than --timeout in all, never idle for it
		}
		<-r.Context().Done() // then stall
	})
	dir := t.TempDir()
	target := filepath.Join(dir, "backup.nsb")
	res := runInfra(t, hostileVendors()[0].env(site.URL), "", "--timeout", "1s", "pra", "backup", "-f", target)
	if res.code == 0 || !strings.Contains(res.stderr, "no data for 1s (--timeout)") {
		t.Errorf("exit %d, want an idle timeout; stderr:\n%s", res.code, res.stderr)
	}
	if n := sent.Load(); n != chunks {
		t.Errorf("the download was cut after %d of %d chunks: the timeout bounded the whole transfer, not the gaps", n, chunks)
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("a partial backup was left at the target")
	}
}
