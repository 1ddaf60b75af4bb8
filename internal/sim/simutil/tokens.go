package simutil

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// Token is one minted access token.
type Token struct {
	Value    string
	ClientID string
	Expires  time.Time
}

type tokenEntry struct {
	Token
	seq int
}

// TokenStore mints and checks opaque bearer tokens. Each client keeps at most
// a fixed number of live tokens: minting one more invalidates that client's
// oldest. Tokens expire after a fixed lifetime measured on an injectable
// clock. A TokenStore is safe for concurrent use.
type TokenStore struct {
	mu       sync.Mutex
	ttl      time.Duration
	max      int
	now      func() time.Time
	tokens   map[string]*tokenEntry
	byClient map[string][]*tokenEntry // mint order, oldest first
	minted   int
}

// NewTokenStore returns a store whose tokens live for ttl, with at most
// maxPerClient live tokens per client (0 or less means no cap). now may be nil
// to use time.Now.
func NewTokenStore(ttl time.Duration, maxPerClient int, now func() time.Time) *TokenStore {
	if now == nil {
		now = time.Now
	}
	return &TokenStore{
		ttl:      ttl,
		max:      maxPerClient,
		now:      now,
		tokens:   map[string]*tokenEntry{},
		byClient: map[string][]*tokenEntry{},
	}
}

// TTL returns the lifetime of newly minted tokens.
func (s *TokenStore) TTL() time.Duration { return s.ttl }

// Mint creates a new token for clientID, first dropping the client's expired
// tokens and, when the cap is reached, its oldest live ones.
func (s *TokenStore) Mint(clientID string) Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	list := s.pruneLocked(clientID, now)
	for s.max > 0 && len(list) >= s.max {
		delete(s.tokens, list[0].Value)
		list = list[1:]
	}
	s.minted++
	e := &tokenEntry{Token: Token{Value: RandomHex(20), ClientID: clientID, Expires: now.Add(s.ttl)}, seq: s.minted}
	s.tokens[e.Value] = e
	s.byClient[clientID] = append(list, e)
	return e.Token
}

// pruneLocked removes expired tokens of clientID and returns the survivors.
func (s *TokenStore) pruneLocked(clientID string, now time.Time) []*tokenEntry {
	old := s.byClient[clientID]
	live := make([]*tokenEntry, 0, len(old)+1)
	for _, e := range old {
		if !now.Before(e.Expires) {
			delete(s.tokens, e.Value)
			continue
		}
		live = append(live, e)
	}
	s.byClient[clientID] = live
	return live
}

// Lookup returns the client owning value if the token exists and has not
// expired.
func (s *TokenStore) Lookup(value string) (clientID string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, found := s.tokens[value]
	if !found || !s.now().Before(e.Expires) {
		return "", false
	}
	return e.ClientID, true
}

// Revoke invalidates every token of clientID and returns how many were live.
func (s *TokenStore) Revoke(clientID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.pruneLocked(clientID, s.now()))
	for _, e := range s.byClient[clientID] {
		delete(s.tokens, e.Value)
	}
	delete(s.byClient, clientID)
	return n
}

// RevokeAll invalidates every token of every client.
func (s *TokenStore) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]*tokenEntry{}
	s.byClient = map[string][]*tokenEntry{}
}

// Minted returns the number of tokens ever minted.
func (s *TokenStore) Minted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.minted
}

// Live returns the number of tokens that are neither expired nor revoked.
func (s *TokenStore) Live() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := 0
	for _, e := range s.tokens {
		if now.Before(e.Expires) {
			n++
		}
	}
	return n
}

// RandomHex returns 2*n hexadecimal characters from a cryptographic source.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
