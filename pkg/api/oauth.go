package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/infractl/infra/internal/fsutil"
)

// DefaultEarlySkew is how long before its expiry a token is replaced.
const DefaultEarlySkew = 60 * time.Second

// lockWait bounds how long a process waits for another one to finish minting; after that it mints on its own
// rather than hang behind a stuck process.
const lockWait = 30 * time.Second

// TokenCache stores bearer tokens between invocations of the CLI and serialises minting across processes.
type TokenCache interface {
	// Load returns the stored token, or nil and no error when there is none.
	Load(key string) (*oauth2.Token, error)
	Store(key string, t *oauth2.Token) error
	Delete(key string) error
	// Lock takes an exclusive lock for key shared by all processes; it gives up when ctx ends.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// NewFileTokenCache returns a TokenCache keeping one JSON file (mode 0600) per key in dir. dir and its parent (infra's
// cache directory) are created with mode 0700 and refused when another user could change them. File names are derived
// from a hash of the key; locks are taken on a sibling ".lock" file. Token and lock files are opened without
// following symbolic links: a link, or any file that is not a regular file of the current user, is an error.
func NewFileTokenCache(dir string) TokenCache { return &fileTokenCache{dir: dir} }

type fileTokenCache struct{ dir string }

type cachedToken struct {
	Key          string    `json:"key"`
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
}

// maxCachedToken bounds a cache file; real entries are a few kilobytes.
const maxCachedToken = 1 << 20

func (c *fileTokenCache) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.dir, hex.EncodeToString(sum[:16])+".json")
}

// prepare makes the cache directory and its parent private (see fsutil.PrivateDir).
func (c *fileTokenCache) prepare() error {
	if err := fsutil.PrivateDir(filepath.Dir(c.dir)); err != nil {
		return fmt.Errorf("token cache: %w", err)
	}
	if err := fsutil.PrivateDir(c.dir); err != nil {
		return fmt.Errorf("token cache: %w", err)
	}
	return nil
}

func (c *fileTokenCache) Load(key string) (*oauth2.Token, error) {
	if err := c.prepare(); err != nil {
		return nil, err
	}
	b, err := fsutil.ReadFile(c.path(key), maxCachedToken)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading token cache: %w", err)
	}
	var ct cachedToken
	if err := json.Unmarshal(b, &ct); err != nil || ct.Key != key || ct.AccessToken == "" {
		// A damaged or foreign entry is as good as none; it gets overwritten on the next Store.
		return nil, nil
	}
	t := &oauth2.Token{AccessToken: ct.AccessToken, TokenType: ct.TokenType, RefreshToken: ct.RefreshToken, Expiry: ct.Expiry}
	if checkToken(t) != nil {
		// A token that cannot go into a header would break every run until it expires: drop it.
		_ = c.Delete(key)
		return nil, nil
	}
	return t, nil
}

func (c *fileTokenCache) Store(key string, t *oauth2.Token) error {
	if t == nil {
		return c.Delete(key)
	}
	if err := checkToken(t); err != nil {
		return err
	}
	if err := c.prepare(); err != nil {
		return err
	}
	b, err := json.Marshal(cachedToken{Key: key, AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, Expiry: t.Expiry})
	if err != nil {
		return err
	}
	// Written to a private temporary file renamed over the entry (a link there is replaced, never followed), so
	// readers never see half a token.
	if err := fsutil.ReplaceFile(c.path(key), b, 0o600); err != nil {
		return fmt.Errorf("writing token cache: %w", err)
	}
	return nil
}

func (c *fileTokenCache) Delete(key string) error {
	err := os.Remove(c.path(key))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing cached token: %w", err)
	}
	return nil
}

func (c *fileTokenCache) Lock(ctx context.Context, key string) (func(), error) {
	if err := c.prepare(); err != nil {
		return nil, err
	}
	f, err := fsutil.Lock(ctx, strings.TrimSuffix(c.path(key), ".json")+".lock", 20*time.Millisecond)
	if err != nil {
		if errors.Is(err, fsutil.ErrUnsafe) {
			return nil, fmt.Errorf("token cache: %w", err)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return func() { _ = fsutil.Unlock(f) }, nil
}

// checkToken refuses a token that cannot travel in an Authorization header as it is: anything but visible ASCII
// (control characters such as CR and LF would inject header lines; Go refuses them and every request would fail).
func checkToken(t *oauth2.Token) error {
	for _, s := range []string{t.AccessToken, t.TokenType} {
		for i := 0; i < len(s); i++ {
			if s[i] <= ' ' || s[i] >= 0x7f {
				return &AuthError{Err: errors.New("the token endpoint answered a token containing control characters, spaces or non-ASCII bytes; it was refused and not cached")}
			}
		}
	}
	return nil
}

// TokenFunc mints a new token.
type TokenFunc func(ctx context.Context) (*oauth2.Token, error)

// tokenManager implements the reuse / cache / lock / mint sequence shared by ClientCredentials and CachedToken.
type tokenManager struct {
	sem    chan struct{} // in-process mutual exclusion that still honours ctx
	tok    *oauth2.Token
	mint   TokenFunc
	cache  TokenCache
	key    string
	skew   time.Duration
	now    func() time.Time
	minted func()
}

func newTokenManager(mint TokenFunc, cache TokenCache, key string, skew time.Duration) *tokenManager {
	if skew <= 0 {
		skew = DefaultEarlySkew
	}
	return &tokenManager{sem: make(chan struct{}, 1), mint: mint, cache: cache, key: key, skew: skew, now: time.Now}
}

func (m *tokenManager) acquire(ctx context.Context) error {
	select {
	case m.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *tokenManager) release() { <-m.sem }

// valid reports whether t can still be used for at least the skew.
func (m *tokenManager) valid(t *oauth2.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	return t.Expiry.IsZero() || m.now().Add(m.skew).Before(t.Expiry)
}

// load returns the cached token when it is still valid. Only an unsafe cache (a link, a file or directory another
// user could change) is an error: any other trouble with the cache just means minting a new token.
func (m *tokenManager) load() (*oauth2.Token, error) {
	if m.cache == nil {
		return nil, nil
	}
	t, err := m.cache.Load(m.key)
	if errors.Is(err, fsutil.ErrUnsafe) {
		return nil, err
	}
	if err != nil || !m.valid(t) {
		return nil, nil
	}
	registerToken(t)
	return t, nil
}

// registerToken makes the error, warning and trace output hide a token this process holds.
func registerToken(t *oauth2.Token) {
	RegisterSecret(t.AccessToken)
	RegisterSecret(t.RefreshToken)
}

// token returns a usable token: from memory, from the cache, or freshly minted while holding the cache lock so that
// concurrent processes mint only one.
func (m *tokenManager) token(ctx context.Context) (*oauth2.Token, error) {
	if err := m.acquire(ctx); err != nil {
		return nil, err
	}
	defer m.release()
	if m.valid(m.tok) {
		return m.tok, nil
	}
	if t, err := m.load(); t != nil || err != nil {
		m.tok = t
		return t, err
	}
	if m.cache != nil {
		lctx, cancel := context.WithTimeout(ctx, lockWait)
		unlock, err := m.cache.Lock(lctx, m.key)
		cancel()
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, fsutil.ErrUnsafe) {
			return nil, err
		}
		if err == nil {
			defer unlock()
			// Another process may have minted while this one waited for the lock.
			if t, err := m.load(); t != nil || err != nil {
				m.tok = t
				return t, err
			}
		}
	}
	t, err := m.mint(ctx)
	if err != nil {
		return nil, err
	}
	if t == nil || t.AccessToken == "" {
		return nil, &AuthError{Err: errors.New("the token endpoint returned no access token")}
	}
	if err := checkToken(t); err != nil {
		return nil, err
	}
	registerToken(t)
	if m.minted != nil {
		m.minted()
	}
	m.tok = t
	if m.cache != nil {
		// Caching is an optimisation: a read-only cache directory must not stop the command.
		_ = m.cache.Store(m.key, t)
	}
	return t, nil
}

// invalidate forgets a refused token. The cache entry is removed only if it still holds that token, so a token
// another process minted in the meantime survives.
func (m *tokenManager) invalidate(ctx context.Context, rejected string) {
	if err := m.acquire(ctx); err != nil {
		return
	}
	defer m.release()
	if m.tok != nil && (rejected == "" || m.tok.AccessToken == rejected) {
		m.tok = nil
	}
	if m.cache == nil {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, lockWait)
	unlock, err := m.cache.Lock(lctx, m.key)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		unlock = func() {}
	}
	defer unlock()
	t, err := m.cache.Load(m.key)
	if err == nil && t != nil && (rejected == "" || t.AccessToken == rejected) {
		_ = m.cache.Delete(m.key)
	}
}

func setBearer(req *http.Request, t *oauth2.Token) {
	req.Header.Set("Authorization", t.Type()+" "+t.AccessToken)
}

// ClientCredentials is an Authenticator using the OAuth2 client-credentials grant, with tokens shared between
// processes through Cache. Set the fields before first use and do not change them afterwards.
type ClientCredentials struct {
	TokenURL, ClientID, ClientSecret string
	Cache                            TokenCache // nil = keep tokens in memory only
	CacheKey                         string     // identifies the account, e.g. "pra|https://host|client_id"; never the secret
	// HTTPClient sends the token request; use Client.HTTPClient() so TLS options and the trace apply. nil = default.
	HTTPClient *http.Client
	EarlySkew  time.Duration // replace tokens this long before they expire; 0 = 60s
	// AuthStyle says how the client id and secret are sent (PRA: oauth2.AuthStyleInHeader, where they go into the
	// Basic header unescaped, as the PRA guide shows).
	AuthStyle oauth2.AuthStyle
	// Minted, when set, is called each time a new token is minted.
	Minted func()

	once sync.Once
	m    *tokenManager
}

func (cc *ClientCredentials) manager() *tokenManager {
	cc.once.Do(func() {
		RegisterBasicAuth(cc.ClientID, cc.ClientSecret)
		cc.m = newTokenManager(cc.mint, cc.Cache, cc.CacheKey, cc.EarlySkew)
		cc.m.minted = cc.Minted
	})
	return cc.m
}

// Token returns a valid access token, minting one only when neither memory nor the cache has one.
func (cc *ClientCredentials) Token(ctx context.Context) (*oauth2.Token, error) {
	return cc.manager().token(ctx)
}

// Authorize sets "Authorization: Bearer <token>".
func (cc *ClientCredentials) Authorize(ctx context.Context, req *http.Request) error {
	t, err := cc.Token(ctx)
	if err != nil {
		return err
	}
	setBearer(req, t)
	return nil
}

// Invalidate drops the refused token from memory and from the cache.
func (cc *ClientCredentials) Invalidate(ctx context.Context, rejected string) {
	cc.manager().invalidate(ctx, rejected)
}

func (cc *ClientCredentials) mint(ctx context.Context) (*oauth2.Token, error) {
	if cc.ClientID == "" || cc.ClientSecret == "" {
		return nil, &AuthError{Err: errors.New("client id and client secret are both required to request a token")}
	}
	cfg := clientcredentials.Config{
		ClientID:     cc.ClientID,
		ClientSecret: cc.ClientSecret,
		TokenURL:     cc.TokenURL,
		AuthStyle:    cc.AuthStyle,
	}
	// The token client follows no redirect: the credentials go to the configured token URL or nowhere.
	base := cc.HTTPClient
	if base == nil {
		base = http.DefaultClient
	}
	cp := *base
	cp.CheckRedirect = refuseRedirect
	if cc.AuthStyle == oauth2.AuthStyleInHeader {
		// golang.org/x/oauth2 form-escapes the id and secret inside the Basic header. PRA expects them as they
		// are (its guide encodes a secret containing '+' verbatim), so the header is rewritten with the raw values.
		next := cp.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		cp.Transport = &rawBasicAuth{next: next, id: cc.ClientID, secret: cc.ClientSecret}
	}
	tctx := context.WithValue(ForTokenEndpoint(ctx), oauth2.HTTPClient, &cp)
	t, err := cfg.Token(tctx)
	if err == nil {
		return t, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, tokenError(cc.TokenURL, err, cc.ClientSecret)
}

// rawBasicAuth sends the client id and secret in the Basic header without form-escaping them.
type rawBasicAuth struct {
	next       http.RoundTripper
	id, secret string
}

func (t *rawBasicAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.SetBasicAuth(t.id, t.secret)
	return t.next.RoundTrip(r)
}

// tokenError turns a token endpoint failure into an *AuthError carrying the vendor's message and never the secret.
func tokenError(tokenURL string, err error, secret string) error {
	where := tokenURL
	if u, perr := url.Parse(tokenURL); perr == nil {
		where = newRedactor(nil).url(u)
	}
	var rd *RedirectError
	if errors.As(err, &rd) {
		return fmt.Errorf("token request to %s: %w", where, rd)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := ""
		ct := ""
		if re.Response != nil {
			status = re.Response.Status
			ct = re.Response.Header.Get("Content-Type")
		}
		msg, _ := parseErrorBody(re.Body, ct)
		if re.ErrorCode != "" && msg != re.ErrorCode {
			if msg == "" {
				msg = re.ErrorCode
			} else {
				msg = re.ErrorCode + ": " + msg
			}
		}
		text := "token request to " + where + " failed"
		if status != "" {
			text += ": " + status
		}
		if msg != "" {
			text += ": " + msg
		}
		return &AuthError{Err: errors.New(scrubString(text, secret, url.QueryEscape(secret)))}
	}
	scrubErr(err, newRedactor(nil))
	scrubbed := errors.New(scrubString(err.Error(), secret, url.QueryEscape(secret)))
	if u, perr := url.Parse(tokenURL); perr == nil && Unreachable(u.Host, err) != err {
		// The site never answered: not a verdict on the credentials.
		return &UnreachableError{Host: u.Host, Err: fmt.Errorf("token request to %s: %w", where, netCause(err, scrubbed))}
	}
	return &AuthError{Err: fmt.Errorf("token request to %s failed: %s", where, scrubbed)}
}

// StaticToken authorizes every request with a fixed bearer token.
type StaticToken struct{ Token string }

// Authorize sets "Authorization: Bearer <Token>".
func (s StaticToken) Authorize(_ context.Context, req *http.Request) error {
	if s.Token == "" {
		return &AuthError{Err: errors.New("no API token configured")}
	}
	RegisterSecret(s.Token)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	return nil
}

// Invalidate does nothing: a fixed token cannot be replaced.
func (StaticToken) Invalidate(context.Context, string) {}

// CachedToken is an Authenticator for bearer tokens obtained by a vendor-specific login (mint), with the same
// memory / cache / cross-process lock behaviour as ClientCredentials.
type CachedToken struct {
	m *tokenManager
}

// NewCachedToken wraps mint. cache may be nil (memory only); key identifies the account and must not contain a
// secret; tokens are replaced skew before they expire (0 = 60s). Tokens with no expiry are kept until refused.
func NewCachedToken(mint TokenFunc, cache TokenCache, key string, skew time.Duration) *CachedToken {
	return &CachedToken{m: newTokenManager(mint, cache, key, skew)}
}

// OnMint sets a hook called each time a new token is minted. Call it before first use.
func (c *CachedToken) OnMint(f func()) { c.m.minted = f }

// Token returns a valid token, minting only when neither memory nor the cache has one.
func (c *CachedToken) Token(ctx context.Context) (*oauth2.Token, error) { return c.m.token(ctx) }

// Authorize sets the Authorization header from the token.
func (c *CachedToken) Authorize(ctx context.Context, req *http.Request) error {
	t, err := c.Token(ctx)
	if err != nil {
		return err
	}
	setBearer(req, t)
	return nil
}

// Invalidate drops the refused token from memory and from the cache.
func (c *CachedToken) Invalidate(ctx context.Context, rejected string) { c.m.invalidate(ctx, rejected) }
