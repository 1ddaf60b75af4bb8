package prasim

import (
	"slices"
	"sync"

	"github.com/infractl/infra/internal/sim/simutil"
)

// Credential is one credential a request presented: the client id and secret of a token request, or a bearer token.
type Credential struct {
	Kind     string // "client" (token request) or "bearer"
	ClientID string
	Secret   string
	Token    string
}

// credentialLog records what requests presented and which tokens this site issued, so that tests can prove a
// credential of one site never reached another.
type credentialLog struct {
	mu        sync.Mutex
	presented []Credential
	issued    map[string]bool
	// unsupported are documented query parameters this site treats as unknown.
	unsupported map[string]bool
}

func (l *credentialLog) add(c Credential) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.presented = append(l.presented, c)
}

func (l *credentialLog) issue(token string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.issued == nil {
		l.issued = map[string]bool{}
	}
	l.issued[token] = true
}

// Presented returns every credential requests presented to this site, in order.
func (s *Server) Presented() []Credential {
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	return append([]Credential(nil), s.creds.presented...)
}

// Issued reports whether this site issued the access token.
func (s *Server) Issued(token string) bool {
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	return s.creds.issued[token]
}

// Unsupport makes the site treat query parameters as unknown (as an appliance of an older version would), so that
// requests using them are answered 401 "Unrecognized query string parameter(s)" as the guide documents.
func (s *Server) Unsupport(params ...string) {
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	if s.creds.unsupported == nil {
		s.creds.unsupported = map[string]bool{}
	}
	for _, p := range params {
		s.creds.unsupported[p] = true
	}
}

func (s *Server) unsupportedParams(query []simutil.QueryParam) []string {
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	var out []string
	for _, q := range query {
		if s.creds.unsupported[q.Key] && !slices.Contains(out, q.Key) {
			out = append(out, q.Key)
		}
	}
	return out
}
