package api

import (
	"fmt"
	"sync"
)

// SharedLimits holds one request pace per API base URL for the clients of a long-running process (infra mcp serve
// builds a client for every call): the documented budgets and the server's slowdowns and pauses then hold across
// calls, as they do within one command. The zero value is ready to use; it is safe for concurrent use.
type SharedLimits struct {
	mu sync.Mutex
	m  map[string]*limiter
}

// limiterFor returns the pace for base, created from o's budgets on first use. Clients with other budgets for the
// same base URL (another profile) get their own.
func (s *SharedLimits) limiterFor(base string, o Options) *limiter {
	key := fmt.Sprintf("%s %g %d", base, o.RatePerSec, o.RatePerHour)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*limiter{}
	}
	l := s.m[key]
	if l == nil {
		l = newLimiter(o)
		s.m[key] = l
	}
	return l
}

// IsSecretName reports whether a field, parameter or header name holds a secret, by the names the debug trace
// redacts (DefaultRedactKeys, ignoring case and separators, and names ending in one of them).
func IsSecretName(name string) bool { return defaultRedactor().secret(name) }

var defaultRedactor = sync.OnceValue(func() *redactor { return newRedactor(nil) })
