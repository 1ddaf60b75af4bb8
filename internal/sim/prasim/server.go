// Package prasim is an in-memory simulator of the BeyondTrust Privileged
// Remote Access (PRA) web APIs, faithful to the vendor's API guide and
// OpenAPI document: OAuth client-credentials tokens with the 30-token rule,
// per-account rate limits, the required request headers, documented status
// codes and error bodies, and paginated listings with Link and
// X-BT-Pagination-* headers.
//
// The Configuration API is driven by the vendor's OpenAPI document (1.10),
// embedded in minimised form: every path and method of the document is
// served. Collections are derived from it as data (see Resource and Field);
// one generic handler implements list, get, create, update and delete for all
// of them, including nested collections such as the users of a Jump Group,
// and the remaining operations (copies, vault check-out, installers and other
// downloads, association singletons) are served by name. Request bodies are
// validated against the document's schemas with kin-openapi.
//
// Items are numbered 1, 2, 3, … per collection and ids are never reused;
// member lists (a Group Policy's Jumpoints, a Jump Group's users) are keyed
// by the member's id. A field naming an item of another collection
// (jump_group_id, jumpoint_id, user_id, account_id, …) must name an existing
// one, or the request is answered 422 ("The selected … is invalid.").
// Deleting an item clears nullable references to it, removes the member
// entries keyed by it and its nested collections, and is refused with a 422
// while a required reference to it remains.
package prasim

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/infractl/infra/internal/sim/simutil"
)

// Default settings, as documented by the vendor.
const (
	DefaultClientID    = "sandbox-client"
	DefaultTokenTTL    = 3600 * time.Second
	DefaultMaxTokens   = 30
	DefaultRatePerSec  = 20
	DefaultRatePerHour = 15000
)

// ConfigBase is the path prefix of the Configuration API.
const ConfigBase = "/api/config/v1"

// TokenPath is the OAuth token endpoint.
const TokenPath = "/oauth2/token"

// Options configure a Server. Zero values of ClientID, ClientSecret, TokenTTL,
// MaxTokens and Now select the defaults; zero rate limits disable limiting,
// so use DefaultOptions for the documented limits.
type Options struct {
	ClientID, ClientSecret string           // accepted credentials; an empty secret is replaced by a random one
	TokenTTL               time.Duration    // token lifetime (default 3600s)
	MaxTokens              int              // live tokens per client; minting beyond it drops the oldest (default 30)
	RatePerSec             int              // requests per second per client (documented: 20); 0 disables
	RatePerHour            int              // requests per hour per client (documented: 15000); 0 disables
	Now                    func() time.Time // clock; time.Now when nil
	Seed                   bool             // load sample data in every collection
}

// DefaultOptions returns the documented appliance behaviour: client id
// "sandbox-client" with a fresh random secret, one-hour tokens, 30 tokens per
// client, 20 requests per second and 15,000 per hour, and sample data.
func DefaultOptions() Options {
	return Options{
		ClientID:     DefaultClientID,
		ClientSecret: simutil.RandomHex(24),
		TokenTTL:     DefaultTokenTTL,
		MaxTokens:    DefaultMaxTokens,
		RatePerSec:   DefaultRatePerSec,
		RatePerHour:  DefaultRatePerHour,
		Seed:         true,
	}
}

// Server is the simulated appliance. It is an http.Handler and safe for
// concurrent use.
type Server struct {
	opts       Options
	now        func() time.Time
	tokens     *simutil.TokenStore
	limiter    *simutil.Limiter
	model      *apiModel
	reg        *registry
	requests   atomic.Int64
	exampleSeq atomic.Int64 // numbers the strings ExampleRequest makes up

	mu        sync.Mutex // guards db, the sequences and the side tables below
	db        *store
	groupSeq  int
	shellSeq  int
	checkouts map[int64]bool            // vault accounts currently checked out
	assoc     map[string]map[string]any // jump-item associations by owner path
	approvals []Row                     // Jump approval requests

	creds credentialLog // what requests presented, for tests

	denyConfig atomic.Bool // the API account lacks the Configuration API permission
	denyVault  atomic.Bool // the API account lacks the Vault permission

	mountMu sync.RWMutex
	mounts  map[string]http.Handler // path prefix below /api/ → handler (Command, Reporting, Backup APIs…)
}

// Mount serves every request whose path starts with prefix (for example
// "/api/command") with h, after the same bearer-token check and rate limit as
// the Configuration API. It lets the XML APIs live in their own package.
func (s *Server) Mount(prefix string, h http.Handler) {
	s.mountMu.Lock()
	defer s.mountMu.Unlock()
	if s.mounts == nil {
		s.mounts = map[string]http.Handler{}
	}
	s.mounts[strings.TrimSuffix(prefix, "/")] = h
}

func (s *Server) mounted(path string) http.Handler {
	s.mountMu.RLock()
	defer s.mountMu.RUnlock()
	for p, h := range s.mounts {
		if path == p || strings.HasPrefix(path, p+"/") {
			return h
		}
	}
	return nil
}

// New returns a simulator configured by o.
func New(o Options) *Server {
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = simutil.RandomHex(24)
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = DefaultTokenTTL
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = DefaultMaxTokens
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	mdl, err := loadModel()
	if err != nil {
		panic("prasim: embedded OpenAPI document: " + err.Error())
	}
	s := &Server{
		opts:   o,
		now:    now,
		tokens: simutil.NewTokenStore(o.TokenTTL, o.MaxTokens, now),
		limiter: simutil.NewLimiter(now,
			simutil.Limit{Count: o.RatePerSec, Per: time.Second},
			simutil.Limit{Count: o.RatePerHour, Per: time.Hour}),
		model: mdl,
		reg:   mdl.reg,
		db:    newStore(),
	}
	s.seedBase()
	if o.Seed {
		s.seedSamples()
	}
	return s
}

// ClientID returns the accepted OAuth client id.
func (s *Server) ClientID() string { return s.opts.ClientID }

// ClientSecret returns the accepted OAuth client secret (generated by New
// when none was given).
func (s *Server) ClientSecret() string { return s.opts.ClientSecret }

// TokensMinted returns the number of access tokens ever issued.
func (s *Server) TokensMinted() int { return s.tokens.Minted() }

// LiveTokens returns the number of tokens that are neither expired nor
// invalidated.
func (s *Server) LiveTokens() int { return s.tokens.Live() }

// RevokeAllTokens invalidates every token, as regenerating the client secret
// does on the appliance.
func (s *Server) RevokeAllTokens() { s.tokens.RevokeAll() }

// SetPermissions sets the API account's permissions: without configAPI every
// Configuration API request is answered 403, without vault the Vault APIs
// (/vault/…) are. A new Server has both.
func (s *Server) SetPermissions(configAPI, vault bool) {
	s.denyConfig.Store(!configAPI)
	s.denyVault.Store(!vault)
}

// Requests returns the number of requests received under /api/, whatever
// their outcome. Token requests are not counted.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// ServeHTTP dispatches to the token endpoint or the Configuration API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		w = simutil.HeadWriter{ResponseWriter: w}
	}
	path := r.URL.Path
	switch {
	case path == TokenPath:
		s.serveToken(w, r)
	case strings.HasPrefix(path, "/api/"):
		s.requests.Add(1)
		if rel, ok := strings.CutPrefix(path, ConfigBase+"/"); ok {
			s.serveConfig(w, r, "/"+rel)
			return
		}
		if h := s.mounted(path); h != nil {
			if _, ok := s.admit(w, r); ok {
				h.ServeHTTP(w, r)
			}
			return
		}
		simutil.WriteMessage(w, http.StatusNotFound, "The requested URL was not found on this server.")
	default:
		simutil.WriteMessage(w, http.StatusNotFound, "The requested URL was not found on this server.")
	}
}

// oauthError is the OAuthErrorResponse body.
type oauthError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// serveToken implements POST /oauth2/token with the client-credentials grant
// and HTTP Basic client authentication.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
	case http.MethodOptions:
		w.Header().Set("Allow", "POST")
		w.WriteHeader(http.StatusOK)
		return
	default:
		w.Header().Set("Allow", "POST")
		simutil.WriteMessage(w, http.StatusMethodNotAllowed,
			"The "+r.Method+" method is not supported for this route. Supported methods: POST.")
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		simutil.WriteJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "The request body could not be parsed as a form."})
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		simutil.WriteJSON(w, http.StatusBadRequest, oauthError{"invalid_request",
			"The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed. Check the `grant_type` parameter"})
		return
	default:
		simutil.WriteJSON(w, http.StatusBadRequest, oauthError{"unsupported_grant_type",
			"The authorization grant type is not supported by the authorization server."})
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		// RFC 6749 section 2.3.1: both parts are form-encoded before Basic
		// encoding; undo that, keeping the raw value when it is not valid.
		if v, err := url.QueryUnescape(id); err == nil {
			id = v
		}
		if v, err := url.QueryUnescape(secret); err == nil {
			secret = v
		}
	}
	s.creds.add(Credential{Kind: "client", ClientID: id, Secret: secret})
	if !ok || !s.credentialsMatch(id, secret) {
		h.Set("WWW-Authenticate", `Basic realm="oauth"`)
		simutil.WriteJSON(w, http.StatusUnauthorized, oauthError{"invalid_client", "Client authentication failed"})
		return
	}
	t := s.tokens.Mint(id)
	s.creds.issue(t.Value)
	simutil.WriteJSON(w, http.StatusOK, tokenResponse{
		AccessToken: t.Value,
		TokenType:   "Bearer",
		ExpiresIn:   int(s.tokens.TTL() / time.Second),
	})
}

func (s *Server) credentialsMatch(id, secret string) bool {
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.ClientID)) == 1
	secOK := subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) == 1
	return idOK && secOK
}

// accessDenied is the body for a missing, expired, invalid or revoked token.
var accessDenied = oauthError{"access_denied", "The resource owner or authorization server denied the request."}

// authenticate returns the client owning the request's bearer token.
func (s *Server) authenticate(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	s.creds.add(Credential{Kind: "bearer", Token: strings.TrimSpace(tok)})
	return s.tokens.Lookup(strings.TrimSpace(tok))
}
