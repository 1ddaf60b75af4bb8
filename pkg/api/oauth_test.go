package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const (
	testClientID     = "api-client-7"
	testClientSecret = "Cl13nt+S3cr3t/Value="
)

// tokenServer is a PRA-style /oauth2/token endpoint that numbers the tokens it mints. Like PRA, it compares the
// Basic credentials verbatim, so the secret (with +, / and =) must not be form-escaped.
type tokenServer struct {
	*httptest.Server
	mints     atomic.Int32
	expiresIn atomic.Int32
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{}
	ts.expiresIn.Store(3600)
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != testClientID || secret != testClientSecret || r.PostFormValue("grant_type") != "client_credentials" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"access_denied","message":"The resource owner or authorization server denied the request."}`))
			return
		}
		n := ts.mints.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":%d}`, n, ts.expiresIn.Load())
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) credentials(dir string) *ClientCredentials {
	return &ClientCredentials{
		TokenURL:     ts.URL + "/oauth2/token",
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		Cache:        NewFileTokenCache(dir),
		CacheKey:     "pra|" + ts.URL + "|" + testClientID,
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
}

func TestParallelProcessesMintOneToken(t *testing.T) {
	ts := newTokenServer(t)
	dir := filepath.Join(t.TempDir(), "tokens")
	start := make(chan struct{})
	var wg sync.WaitGroup
	tokens := make([]string, 20)
	errs := make([]error, 20)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc := ts.credentials(dir) // separate values and cache handles, as separate processes have
			<-start
			tok, err := cc.Token(context.Background())
			errs[i] = err
			if err == nil {
				tokens[i] = tok.AccessToken
			}
		}()
	}
	close(start)
	wg.Wait()
	for i := range tokens {
		if errs[i] != nil || tokens[i] != "tok-1" {
			t.Errorf("worker %d: %q, %v", i, tokens[i], errs[i])
		}
	}
	if n := ts.mints.Load(); n != 1 {
		t.Errorf("minted %d tokens, want 1", n)
	}
}

func TestSequentialInvocationsReuseCachedToken(t *testing.T) {
	ts := newTokenServer(t)
	dir := filepath.Join(t.TempDir(), "tokens")
	var hookCalls atomic.Int32
	for i := 0; i < 100; i++ {
		cc := ts.credentials(dir)
		cc.Minted = func() { hookCalls.Add(1) }
		tok, err := cc.Token(context.Background())
		if err != nil || tok.AccessToken != "tok-1" {
			t.Fatalf("run %d: %v %v", i, tok, err)
		}
	}
	if ts.mints.Load() != 1 || hookCalls.Load() != 1 {
		t.Errorf("mints %d, Minted hook %d; want 1 and 1", ts.mints.Load(), hookCalls.Load())
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var jsonFiles int
	for _, e := range entries {
		if strings.Contains(e.Name(), testClientID) {
			t.Errorf("cache file name %q reveals the key", e.Name())
		}
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		jsonFiles++
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if strings.Contains(string(b), testClientSecret) {
			t.Error("the client secret was written to the cache")
		}
		if runtime.GOOS != "windows" {
			info, _ := e.Info()
			if info.Mode().Perm() != 0o600 {
				t.Errorf("cache file mode %v, want 0600", info.Mode().Perm())
			}
		}
	}
	if jsonFiles != 1 {
		t.Errorf("%d cache files, want 1", jsonFiles)
	}
	if runtime.GOOS != "windows" {
		info, _ := os.Stat(dir)
		if info.Mode().Perm() != 0o700 {
			t.Errorf("cache dir mode %v, want 0700", info.Mode().Perm())
		}
	}
}

func TestTokenReplacedBeforeExpiry(t *testing.T) {
	ts := newTokenServer(t)
	dir := t.TempDir()
	ts.expiresIn.Store(30) // shorter than the 60s early skew: stale as soon as it is cached
	if tok, err := ts.credentials(dir).Token(context.Background()); err != nil || tok.AccessToken != "tok-1" {
		t.Fatal(tok, err)
	}
	ts.expiresIn.Store(3600)
	for i := 0; i < 3; i++ {
		tok, err := ts.credentials(dir).Token(context.Background())
		if err != nil || tok.AccessToken != "tok-2" {
			t.Fatalf("run %d: %v %v", i, tok, err)
		}
	}
	if ts.mints.Load() != 2 {
		t.Errorf("mints = %d, want 2", ts.mints.Load())
	}
}

// apiServer accepts every bearer token except those in rejected.
func apiServer(t *testing.T, rejected func(tok string) bool) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if rejected(tok) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"access_denied","message":"The resource owner or authorization server denied the request."}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token_seen":%q}`, tok)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func Test401RemintsOnceAndRetriesOnce(t *testing.T) {
	ts := newTokenServer(t)
	dir := t.TempDir()
	// tok-1 was revoked (say the secret was regenerated) but is still cached by an earlier run.
	if _, err := ts.credentials(dir).Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv, hits := apiServer(t, func(tok string) bool { return tok == "tok-1" })
	cc := ts.credentials(dir)
	c, _ := newTestClient(t, srv.URL, Options{Auth: cc})
	cc.HTTPClient = c.HTTPClient()

	req, _ := c.NewRequest(context.Background(), http.MethodPost, "/api/config/v1/user", map[string]string{"username": "u"})
	var out map[string]string
	if _, err := c.DoJSON(req, &out); err != nil {
		t.Fatal(err)
	}
	if out["token_seen"] != "tok-2" || hits.Load() != 2 || ts.mints.Load() != 2 {
		t.Errorf("seen %q, API hits %d, mints %d; want tok-2, 2, 2", out["token_seen"], hits.Load(), ts.mints.Load())
	}
	cached, err := NewFileTokenCache(dir).Load(cc.CacheKey)
	if err != nil || cached == nil || cached.AccessToken != "tok-2" {
		t.Errorf("cache holds %v (%v), want tok-2", cached, err)
	}
}

func Test401TwiceFailsWithExitAuth(t *testing.T) {
	ts := newTokenServer(t)
	srv, hits := apiServer(t, func(string) bool { return true })
	cc := ts.credentials(t.TempDir())
	c, fc := newTestClient(t, srv.URL, Options{Auth: cc})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	_, err := c.Do(req)
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized || KindOf(err) != KindAuth {
		t.Fatalf("err = %v", err)
	}
	if hits.Load() != 2 || ts.mints.Load() != 2 || len(fc.Sleeps()) != 0 {
		t.Errorf("API hits %d, mints %d, sleeps %v; want 2, 2, none", hits.Load(), ts.mints.Load(), fc.Sleeps())
	}
	if he.Message != "The resource owner or authorization server denied the request." {
		t.Errorf("message %q", he.Message)
	}
}

func TestStaticTokenIsNotRetriedOn401(t *testing.T) {
	srv, hits := apiServer(t, func(tok string) bool { return tok != "good" })
	c, _ := newTestClient(t, srv.URL, Options{Auth: StaticToken{Token: "bad"}})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	if _, err := c.Do(req); KindOf(err) != KindAuth || hits.Load() != 1 {
		t.Errorf("err %v, hits %d", err, hits.Load())
	}
	c, _ = newTestClient(t, srv.URL, Options{Auth: &StaticToken{Token: "good"}})
	req, _ = c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	var out map[string]string
	if _, err := c.DoJSON(req, &out); err != nil || out["token_seen"] != "good" {
		t.Errorf("good token: %v %v", out, err)
	}
	c, _ = newTestClient(t, srv.URL, Options{Auth: StaticToken{}})
	req, _ = c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	if _, err := c.Do(req); KindOf(err) != KindAuth {
		t.Errorf("empty token: %v", err)
	}
}

func TestInvalidateKeepsATokenMintedElsewhere(t *testing.T) {
	dir := t.TempDir()
	cache := NewFileTokenCache(dir)
	cc := &ClientCredentials{Cache: cache, CacheKey: "k"}
	fresh := &oauth2.Token{AccessToken: "tok-new", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	if err := cache.Store("k", fresh); err != nil {
		t.Fatal(err)
	}
	cc.Invalidate(context.Background(), "tok-old")
	if got, _ := cache.Load("k"); got == nil || got.AccessToken != "tok-new" {
		t.Fatalf("a newer token was removed: %v", got)
	}
	cc.Invalidate(context.Background(), "tok-new")
	if got, _ := cache.Load("k"); got != nil {
		t.Fatalf("the refused token is still cached: %v", got)
	}
}

func TestTokenEndpointErrorsAreAuthErrorsWithoutTheSecret(t *testing.T) {
	ts := newTokenServer(t)
	cc := ts.credentials(t.TempDir())
	cc.ClientSecret = "wrong-" + testClientSecret
	_, err := cc.Token(context.Background())
	var ae *AuthError
	if !errors.As(err, &ae) || KindOf(err) != KindAuth {
		t.Fatalf("err = %v, want *AuthError", err)
	}
	if !strings.Contains(err.Error(), "The resource owner or authorization server denied the request.") ||
		!strings.Contains(err.Error(), "access_denied") || !strings.Contains(err.Error(), "401") {
		t.Errorf("message lacks the vendor's answer: %v", err)
	}
	if strings.Contains(err.Error(), testClientSecret) {
		t.Errorf("error leaks the secret: %v", err)
	}

	// A server that echoes the secret back must not get it into the message either.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, secret, _ := r.BasicAuth()
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte("invalid client secret " + secret))
	}))
	defer echo.Close()
	cc = &ClientCredentials{TokenURL: echo.URL, ClientID: "id", ClientSecret: testClientSecret, AuthStyle: oauth2.AuthStyleInHeader}
	_, err = cc.Token(context.Background())
	if err == nil || strings.Contains(err.Error(), testClientSecret) || !strings.Contains(err.Error(), "invalid client secret") {
		t.Errorf("echoing server: %v", err)
	}

	// An unreachable endpoint said nothing about the credentials: exit 1, "cannot reach HOST".
	cc = &ClientCredentials{TokenURL: "http://127.0.0.1:1/oauth2/token", ClientID: "id", ClientSecret: testClientSecret}
	if _, err := cc.Token(context.Background()); KindOf(err) != KindOther || strings.Contains(err.Error(), testClientSecret) ||
		!strings.HasPrefix(err.Error(), "cannot reach 127.0.0.1:1: ") {
		t.Errorf("unreachable: %v", err)
	}
	cc = &ClientCredentials{TokenURL: ts.URL, ClientID: "id"}
	if _, err := cc.Token(context.Background()); KindOf(err) != KindAuth {
		t.Errorf("missing secret: %v", err)
	}
}

func TestTokenHonoursCancellationWhileLocked(t *testing.T) {
	ts := newTokenServer(t)
	dir := t.TempDir()
	cc := ts.credentials(dir)
	unlock, err := NewFileTokenCache(dir).Lock(context.Background(), cc.CacheKey) // another process is minting
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = cc.Token(ctx)
	if KindOf(err) != KindInterrupted || ts.mints.Load() != 0 {
		t.Errorf("err %v, mints %d", err, ts.mints.Load())
	}
}

func TestFileTokenCacheBasics(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "tokens")
	c := NewFileTokenCache(dir)
	if tok, err := c.Load("absent"); tok != nil || err != nil {
		t.Errorf("absent: %v %v", tok, err)
	}
	if err := c.Delete("absent"); err != nil {
		t.Errorf("deleting an absent key: %v", err)
	}
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := c.Store("a", &oauth2.Token{AccessToken: "x", TokenType: "Bearer", Expiry: exp}); err != nil {
		t.Fatal(err)
	}
	if err := c.Store("b", &oauth2.Token{AccessToken: "y"}); err != nil {
		t.Fatal(err)
	}
	a, _ := c.Load("a")
	b, _ := c.Load("b")
	if a == nil || a.AccessToken != "x" || !a.Expiry.Equal(exp) || b == nil || b.AccessToken != "y" || !b.Expiry.IsZero() {
		t.Errorf("loaded %v and %v", a, b)
	}
	// A damaged file reads as absent and is replaced by the next Store.
	fc := c.(*fileTokenCache)
	if err := os.WriteFile(fc.path("a"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := c.Load("a"); tok != nil || err != nil {
		t.Errorf("damaged: %v %v", tok, err)
	}
	var raw map[string]any
	bb, _ := os.ReadFile(fc.path("b"))
	if err := json.Unmarshal(bb, &raw); err != nil || raw["key"] != "b" {
		t.Errorf("file content %s", bb)
	}

	// The lock is exclusive between handles and gives up with the context.
	unlock, err := c.Lock(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := NewFileTokenCache(dir).Lock(ctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second lock: %v", err)
	}
	unlock()
	unlock2, err := NewFileTokenCache(dir).Lock(context.Background(), "a")
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
}

func TestCachedTokenSharesCacheAndReMints(t *testing.T) {
	dir := t.TempDir()
	var mints atomic.Int32
	mint := func(ctx context.Context) (*oauth2.Token, error) {
		n := mints.Add(1)
		return &oauth2.Token{AccessToken: fmt.Sprintf("vt-%d", n), TokenType: "bearer", Expiry: time.Now().Add(time.Hour)}, nil
	}
	var hook atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ct := NewCachedToken(mint, NewFileTokenCache(dir), "virtomize|https://appliance|user", 0)
			ct.OnMint(func() { hook.Add(1) })
			req, _ := http.NewRequest(http.MethodGet, "https://appliance/rest/v1/x", nil)
			if err := ct.Authorize(context.Background(), req); err != nil {
				t.Error(err)
				return
			}
			if req.Header.Get("Authorization") != "Bearer vt-1" {
				t.Errorf("Authorization = %q", req.Header.Get("Authorization"))
			}
		}()
	}
	wg.Wait()
	if mints.Load() != 1 || hook.Load() != 1 {
		t.Fatalf("mints %d hook %d, want 1", mints.Load(), hook.Load())
	}
	ct := NewCachedToken(mint, NewFileTokenCache(dir), "virtomize|https://appliance|user", time.Minute)
	ct.Invalidate(context.Background(), "vt-1")
	tok, err := ct.Token(context.Background())
	if err != nil || tok.AccessToken != "vt-2" {
		t.Errorf("after Invalidate: %v %v", tok, err)
	}

	// Memory only, and mint errors pass through.
	boom := errors.New("login refused")
	ct = NewCachedToken(func(context.Context) (*oauth2.Token, error) { return nil, &AuthError{Err: boom} }, nil, "k", 0)
	if _, err := ct.Token(context.Background()); !errors.Is(err, boom) || KindOf(err) != KindAuth {
		t.Errorf("mint error: %v", err)
	}
}
