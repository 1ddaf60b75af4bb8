package api

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/infractl/infra/pkg/termsafe"
)

// minSecretLen is the shortest value the registry scrubs from free text: shorter ones would blank out ordinary words.
const minSecretLen = 4

// secretRegistry holds every secret this process knows (client secrets, passwords, bearer tokens) in each form a
// server could echo it: as is, base64 (alone and as the "id:secret" of a Basic header), URL-encoded and JSON-escaped.
// Every error message, warning and debug trace passes through Scrub before it is shown.
var secretRegistry struct {
	mu       sync.RWMutex
	values   map[string]bool
	replacer *strings.Replacer
}

// RegisterSecret makes Scrub hide s in all its encodings. Values shorter than 4 characters are ignored.
func RegisterSecret(s string) {
	if len(s) < minSecretLen {
		return
	}
	secretRegistry.mu.RLock()
	known := secretRegistry.values[s]
	secretRegistry.mu.RUnlock()
	if known {
		return
	}
	forms := secretForms(s)
	secretRegistry.mu.Lock()
	defer secretRegistry.mu.Unlock()
	if secretRegistry.values == nil {
		secretRegistry.values = map[string]bool{}
	}
	added := false
	for _, f := range forms {
		if len(f) >= minSecretLen && !secretRegistry.values[f] {
			secretRegistry.values[f] = true
			added = true
		}
	}
	if added {
		secretRegistry.replacer = buildReplacer(secretRegistry.values)
	}
}

// RegisterBasicAuth registers a client secret and the Basic credential built from id and secret, both as sent raw
// and as golang.org/x/oauth2 form-escapes them.
func RegisterBasicAuth(id, secret string) {
	RegisterSecret(secret)
	if len(secret) < minSecretLen {
		return
	}
	for _, pair := range []string{id + ":" + secret, url.QueryEscape(id) + ":" + url.QueryEscape(secret)} {
		RegisterSecret(base64.StdEncoding.EncodeToString([]byte(pair)))
	}
}

// secretForms lists the encodings of s a server may echo.
func secretForms(s string) []string {
	forms := []string{s, url.QueryEscape(s), url.PathEscape(s), strings.ReplaceAll(url.QueryEscape(s), "+", "%20")}
	for _, f := range forms[1:4] {
		forms = append(forms, lowerHex(f))
	}
	for _, esc := range []bool{true, false} {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(esc)
		if enc.Encode(s) == nil {
			forms = append(forms, strings.TrimSuffix(strings.TrimSpace(b.String()), `"`)[1:])
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		forms = append(forms, enc.EncodeToString([]byte(s)))
	}
	return forms
}

// lowerHex lower-cases the hex digits of %XX escapes.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerASCII(b[i+1]), lowerASCII(b[i+2])
		}
	}
	return string(b)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// buildReplacer replaces the longest forms first, so a secret inside a longer registered value does not leave the
// rest of that value behind.
func buildReplacer(values map[string]bool) *strings.Replacer {
	list := make([]string, 0, len(values))
	for v := range values {
		list = append(list, v)
	}
	sort.Slice(list, func(i, j int) bool {
		if len(list[i]) != len(list[j]) {
			return len(list[i]) > len(list[j])
		}
		return list[i] < list[j]
	})
	pairs := make([]string, 0, 2*len(list))
	for _, v := range list {
		pairs = append(pairs, v, Redacted)
	}
	return strings.NewReplacer(pairs...)
}

// Scrub replaces every registered secret in s, in any of its encodings, with [REDACTED].
func Scrub(s string) string {
	secretRegistry.mu.RLock()
	r := secretRegistry.replacer
	secretRegistry.mu.RUnlock()
	if r == nil {
		return s
	}
	return r.Replace(s)
}

// ForTerminal is what every error, warning and trace line goes through before it is shown: registered secrets are
// scrubbed and control and bidirectional characters escaped (newlines and tabs kept).
func ForTerminal(s string) string { return termsafe.Text(Scrub(s)) }

// SafeWriter wraps w so that everything written to it passes through ForTerminal. Writers that are already safe
// are returned as they are; nil stays nil.
func SafeWriter(w io.Writer) io.Writer {
	if w == nil {
		return nil
	}
	if _, ok := w.(*safeWriter); ok {
		return w
	}
	return &safeWriter{w: w}
}

type safeWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// Write reports len(p) on success: what reaches the underlying writer may be longer or shorter than p.
func (s *safeWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.w, ForTerminal(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// registerBodySecrets registers the values of secret-named fields (password, client_secret, private_key, …) of a
// request body, so that a server echoing them back cannot get them printed.
func (r *redactor) registerBodySecrets(data []byte, contentType string) {
	if len(data) == 0 || len(data) > traceReadLimit {
		return
	}
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "json"):
		var v any
		if json.Unmarshal(data, &v) == nil {
			r.registerJSON(v)
		}
	case strings.Contains(ct, "x-www-form-urlencoded"):
		if q, err := url.ParseQuery(string(data)); err == nil {
			for k, vs := range q {
				if r.secret(k) {
					for _, v := range vs {
						RegisterSecret(v)
					}
				}
			}
		}
	}
}

func (r *redactor) registerJSON(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if s, ok := val.(string); ok && r.secret(k) {
				RegisterSecret(s)
				continue
			}
			r.registerJSON(val)
		}
	case []any:
		for _, e := range t {
			r.registerJSON(e)
		}
	}
}
