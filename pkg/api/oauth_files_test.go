package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/infractl/infra/internal/fsutil"
)

// A hostile token endpoint answers a token with CR/LF inside: it is refused, nothing is cached, and once the endpoint
// answers a clean token the next attempt works.
func TestTokenWithControlCharactersIsRefusedAndNotCached(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			fmt.Fprint(w, `{"access_token":"evil\r\nX-Injected: 1","token_type":"Bearer","expires_in":3600}`)
			return
		}
		fmt.Fprint(w, `{"access_token":"good","token_type":"Bearer","expires_in":3600}`)
	}))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "tokens")
	cc := func() *ClientCredentials {
		return &ClientCredentials{TokenURL: srv.URL, ClientID: "id", ClientSecret: "files-test-s3cr3t", Cache: NewFileTokenCache(dir), CacheKey: "k"}
	}
	_, err := cc().Token(context.Background())
	var ae *AuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "control characters") || strings.Contains(err.Error(), "Injected") {
		t.Fatalf("err = %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(m) != 0 {
		t.Fatalf("a refused token was cached: %v", m)
	}
	tok, err := cc().Token(context.Background())
	if err != nil || tok.AccessToken != "good" {
		t.Fatalf("next run: %v %v", tok, err)
	}
}

// A cached token with control characters (written by an older version) is discarded, not sent.
func TestCachedTokenWithControlCharactersIsDiscarded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tokens")
	c := NewFileTokenCache(dir).(*fileTokenCache)
	if err := c.Store("k", &oauth2.Token{AccessToken: "a\nb"}); err == nil {
		t.Fatal("Store accepted a token with a newline")
	}
	if err := c.prepare(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.path("k"), []byte(`{"key":"k","access_token":"a\r\nb"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := c.Load("k"); tok != nil || err != nil {
		t.Fatalf("Load = %v, %v", tok, err)
	}
	if _, err := os.Stat(c.path("k")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the bad entry was kept: %v", err)
	}
}

// A symbolic link planted as the lock or the token file is refused; nothing is created at its target.
func TestTokenCacheRefusesSymlinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need a privilege")
	}
	dir := filepath.Join(t.TempDir(), "tokens")
	c := NewFileTokenCache(dir).(*fileTokenCache)
	if err := c.prepare(); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	lock := strings.TrimSuffix(c.path("k"), ".json") + ".lock"
	if err := os.Symlink(victim, lock); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lock(context.Background(), "k"); !errors.Is(err, fsutil.ErrUnsafe) {
		t.Fatalf("Lock: %v", err)
	}
	cc := &ClientCredentials{TokenURL: "http://127.0.0.1:1/never", ClientID: "id", ClientSecret: "s", Cache: c, CacheKey: "k"}
	if _, err := cc.Token(context.Background()); !errors.Is(err, fsutil.ErrUnsafe) || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Token: %v", err)
	}
	if err := os.Symlink(victim, c.path("k")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load("k"); !errors.Is(err, fsutil.ErrUnsafe) {
		t.Fatalf("Load: %v", err)
	}
	if _, err := os.Lstat(victim); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the link's target was created: %v", err)
	}
}

// A cache directory others can write to is refused with the fix.
func TestTokenCacheRefusesOpenDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("mode bits do not apply")
	}
	root := filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(root, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, 0o777); err != nil {
		t.Fatal(err)
	}
	c := NewFileTokenCache(filepath.Join(root, "tokens"))
	_, err := c.Lock(context.Background(), "k")
	if !errors.Is(err, fsutil.ErrUnsafe) || !strings.Contains(err.Error(), "chmod 700 "+root) {
		t.Fatalf("Lock: %v", err)
	}
	if _, err := c.Load("k"); !errors.Is(err, fsutil.ErrUnsafe) {
		t.Fatalf("Load: %v", err)
	}
}
