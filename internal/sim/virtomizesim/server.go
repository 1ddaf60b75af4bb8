package virtomizesim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// BasePath is the prefix under which the appliance serves its REST API.
const BasePath = "/rest/v1"

// Defaults applied by New to zero Options fields.
const (
	DefaultUsername     = "admin"
	DefaultTokenTTL     = 3600 * time.Second
	DefaultInstallPolls = 3
)

// Versions reported by /version and /update.
const (
	CurrentVersion   = "2.14.1"
	AvailableVersion = "2.15.0"
)

// Options configure a Server.
type Options struct {
	Username, Password string           // appliance credentials accepted by /token (client_id/client_secret); defaults "admin" and a random password
	TokenTTL           time.Duration    // lifetime of access tokens (default 3600s)
	Now                func() time.Time // clock; time.Now when nil
	InstallPolls       int              // polls of /virtualmachines/:key/info after which an installing VM is deployed, powered on and addressed (default 3; negative: at once)
	Seed               bool             // sample data: a cluster with datastores and networks, credentials, a profile, users, a user group, a licence and a deployed VM
}

// Server is the simulated appliance. It implements http.Handler and is safe
// for concurrent use.
type Server struct {
	opts   Options
	now    func() time.Time
	polls  int
	routes []*route
	tmpls  []*template
	minted atomic.Int64

	mu      sync.Mutex // guards everything below
	st      *state
	tokens  map[string]*token
	logs    []logEntry
	version string
}

type token struct {
	userKey  int
	username string
	expires  time.Time
}

// New returns a simulator configured by o.
func New(o Options) *Server {
	if o.Username == "" {
		o.Username = DefaultUsername
	}
	if o.Password == "" {
		o.Password = randomHex(12)
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = DefaultTokenTTL
	}
	polls := o.InstallPolls
	if polls == 0 {
		polls = DefaultInstallPolls
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{
		opts:    o,
		now:     now,
		polls:   polls,
		st:      newState(),
		tokens:  map[string]*token{},
		version: CurrentVersion,
	}
	s.routes, s.tmpls = buildRoutes()
	admin := &user{Key: s.st.next("users"), Username: o.Username, Groups: []string{"admin"}, Builtin: true}
	admin.setPassword(o.Password)
	s.st.Users[admin.Key] = admin
	if o.Seed {
		seed(s.st, now())
	}
	return s
}

// Credentials returns the username and password of the built-in
// administrator as configured at start (later changes through the API are not
// reflected).
func (s *Server) Credentials() (username, password string) {
	return s.opts.Username, s.opts.Password
}

// TokensMinted returns how many access tokens /token has issued.
func (s *Server) TokensMinted() int { return int(s.minted.Load()) }

// VMCount returns the number of virtual machines in the inventory.
func (s *Server) VMCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.VMs)
}

// Operations returns "METHOD /path" for every operation of the reference
// served, with path keys written as :key or :vmkey, sorted by path and method.
func (s *Server) Operations() []string {
	var ops []string
	for _, rt := range s.routes {
		if !rt.unlisted {
			ops = append(ops, rt.method+" "+rt.pattern)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		pi, pj := ops[i][strings.IndexByte(ops[i], ' ')+1:], ops[j][strings.IndexByte(ops[j], ' ')+1:]
		if pi != pj {
			return pi < pj
		}
		return ops[i] < ops[j]
	})
	return ops
}

// call carries one request through its handler.
type call struct {
	s    *Server
	st   *state
	r    *http.Request
	f    *form
	keys map[string]int
	user *user
	now  time.Time
}

func (c *call) key() int   { return c.keys["key"] }
func (c *call) vmkey() int { return c.keys["vmkey"] }

// download is a handler result sent as a file rather than as JSON.
type download struct {
	name string
	data []byte
}

// ServeHTTP serves the REST API under BasePath.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	path := r.URL.Path
	rel, ok := strings.CutPrefix(path, BasePath)
	if !ok || (rel != "" && rel[0] != '/') {
		writeError(w, now, path, notFound("no such path: %s", path))
		return
	}
	if rel == "" {
		rel = "/"
	}
	rt, vals, allow := s.match(r.Method, rel)
	if rt == nil {
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, now, rel, newError(http.StatusMethodNotAllowed, "method not allowed: %s (allowed: %s)", r.Method, strings.Join(allow, ", ")))
			return
		}
		writeError(w, now, rel, notFound("no such path: %s", rel))
		return
	}
	f, err := parseForm(w, r, rt.query, rt.raw)
	if err != nil {
		writeError(w, now, rel, err)
		return
	}
	s.mu.Lock()
	res, err := s.serve(rt, vals, f, r, now)
	s.mu.Unlock()
	if err != nil {
		if e, ok := err.(*apiError); ok && e.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="virtomize"`)
		}
		writeError(w, now, rel, err)
		return
	}
	if d, ok := res.(*download); ok {
		h := w.Header()
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", `attachment; filename="`+d.name+`"`)
		h.Set("Content-Length", strconv.Itoa(len(d.data)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(d.data)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// serve runs a matched route with s.mu held.
func (s *Server) serve(rt *route, vals []string, f *form, r *http.Request, now time.Time) (any, error) {
	c := &call{s: s, st: s.st, r: r, f: f, keys: map[string]int{}, now: now}
	if !rt.public {
		u, err := s.authenticate(r, now)
		if err != nil {
			return nil, err
		}
		c.user = u
		if rt.perm != "" && !hasPermission(u, rt.perm) {
			return nil, forbidden("permission denied: %s requires %s", rt.method+" "+rt.pattern, rt.perm)
		}
	}
	for i, name := range rt.params {
		n, err := strconv.Atoi(vals[i])
		if err != nil || n < 0 {
			return nil, invalid(name, "expected an integer")
		}
		c.keys[name] = n
	}
	for _, name := range rt.params {
		f.pathParam(name, c.keys[name])
	}
	if !rt.form {
		if err := f.done(); err != nil {
			return nil, err
		}
	}
	return rt.h(c)
}

// authenticate resolves the bearer token of r to its user.
func (s *Server) authenticate(r *http.Request, now time.Time) (*user, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, unauthorized("missing authorization header")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, unauthorized("invalid authorization header: expected Bearer <token>")
	}
	t, ok := s.tokens[tok]
	if !ok {
		return nil, unauthorized("invalid token")
	}
	if !now.Before(t.expires) {
		delete(s.tokens, tok)
		return nil, unauthorized("token expired")
	}
	u := s.st.Users[t.userKey]
	if u == nil || u.Username != t.username {
		delete(s.tokens, tok)
		return nil, unauthorized("invalid token")
	}
	return u, nil
}

// mint issues a token for u.
func (s *Server) mint(u *user, now time.Time) string {
	for k, t := range s.tokens {
		if !now.Before(t.expires) {
			delete(s.tokens, k)
		}
	}
	tok := randomHex(32)
	s.tokens[tok] = &token{userKey: u.Key, username: u.Username, expires: now.Add(s.opts.TokenTTL)}
	s.minted.Add(1)
	return tok
}

// revokeUser drops every token of the user with key k.
func (s *Server) revokeUser(k int) {
	for tok, t := range s.tokens {
		if t.userKey == k {
			delete(s.tokens, tok)
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (u *user) setPassword(pw string) {
	u.Salt = randomHex(8)
	u.Hash = hashPassword(u.Salt, pw)
}

func (u *user) checkPassword(pw string) bool {
	return subtle.ConstantTimeCompare([]byte(hashPassword(u.Salt, pw)), []byte(u.Hash)) == 1
}

func hashPassword(salt, pw string) string {
	sum := sha256.Sum256([]byte(salt + "\x00" + pw))
	return hex.EncodeToString(sum[:])
}

// logEntry is one line of the simulated appliance log read by /logs.
type logEntry struct {
	Time     int64
	Service  string
	Level    string
	Message  string
	Subjects []string // substrings replaced when pseudonymised
}

const maxLogEntries = 2000

// logf appends to the appliance log. Subjects (user names, addresses) are
// substrings of msg that pseudonymisation hides. Never pass secrets.
func (s *Server) logf(now time.Time, service, level, msg string, subjects ...string) {
	s.logs = append(s.logs, logEntry{Time: now.UnixNano(), Service: service, Level: level, Message: msg, Subjects: subjects})
	if len(s.logs) > maxLogEntries {
		s.logs = append([]logEntry(nil), s.logs[len(s.logs)-maxLogEntries:]...)
	}
}
