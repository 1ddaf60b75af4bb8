package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Redacted replaces secret values in traces and error messages.
const Redacted = "[REDACTED]"

// DefaultRedactKeys are the field names whose values never appear in traces. Matching ignores case, '_' and '-',
// and also catches names ending in one of them (so "private_key_passphrase" and "X-Auth-Token" are covered).
var DefaultRedactKeys = []string{
	"password", "client_secret", "secret", "private_key", "access_token", "refresh_token", "id_token",
	"token", "api_key", "passphrase",
}

// redactor knows which names are secret and scrubs headers, URLs and bodies.
type redactor struct {
	keys []string // normalised
	// text-level patterns for bodies that cannot be parsed (truncated JSON, XML, odd content types)
	jsonString *regexp.Regexp
	jsonOther  *regexp.Regexp
	form       *regexp.Regexp
	xml        *regexp.Regexp
}

func newRedactor(extra []string) *redactor {
	seen := map[string]bool{}
	r := &redactor{}
	var alts []string
	for _, k := range append(append([]string{}, DefaultRedactKeys...), extra...) {
		n := normKey(k)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		r.keys = append(r.keys, n)
		// In text, allow any separator style between the words of the name.
		parts := strings.FieldsFunc(strings.ToLower(k), func(c rune) bool { return c == '_' || c == '-' || c == ' ' })
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		alts = append(alts, strings.Join(parts, `[_-]?`))
	}
	sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	name := `[A-Za-z0-9_.-]*(?:` + strings.Join(alts, "|") + `)`
	r.jsonString = regexp.MustCompile(`(?i)("` + name + `"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|$)`)
	r.jsonOther = regexp.MustCompile(`(?i)("` + name + `"\s*:\s*)(-?[0-9][^,}\]\s]*|true|false)`)
	r.form = regexp.MustCompile(`(?i)((?:^|[?&;\s])` + name + `=)[^&\s;]*`)
	r.xml = regexp.MustCompile(`(?i)(<(` + name + `)(?:\s[^>]*)?>)[^<]*`)
	return r
}

// normKey lower-cases a name and drops separators, so "clientSecret", "client-secret" and "CLIENT_SECRET" compare equal.
func normKey(k string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(k) {
		if c == '_' || c == '-' || c == ' ' || c == '.' {
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// secret reports whether a field, parameter or header name holds a secret.
func (r *redactor) secret(name string) bool {
	n := normKey(name)
	if n == "" {
		return false
	}
	for _, k := range r.keys {
		if strings.HasSuffix(n, k) {
			return true
		}
	}
	return false
}

// header returns a copy of h with credentials redacted. Authorization keeps its scheme.
func (r *redactor) header(h http.Header) http.Header {
	out := h.Clone()
	for name, vals := range out {
		switch http.CanonicalHeaderKey(name) {
		case "Authorization", "Proxy-Authorization":
			for i, v := range vals {
				if scheme, _, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
					vals[i] = scheme + " " + Redacted
				} else {
					vals[i] = Redacted
				}
			}
		case "Cookie", "Set-Cookie", "X-Api-Key":
			for i := range vals {
				vals[i] = Redacted
			}
		default:
			if r.secret(name) {
				for i := range vals {
					vals[i] = Redacted
				}
			}
		}
	}
	return out
}

// query redacts secret parameters in a raw query string, keeping everything else byte for byte.
func (r *redactor) query(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && r.secret(name) {
			parts[i] = k + "=" + Redacted
		}
	}
	return strings.Join(parts, "&")
}

// url renders u with the password of any user info and secret query parameters redacted.
func (r *redactor) url(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), "xxxxx")
		}
	}
	q := r.query(c.RawQuery)
	c.RawQuery = ""
	s := c.String()
	if q != "" {
		s += "?" + q
	}
	return s
}

// body redacts secret fields in a body for display. complete says whether b is the whole body (so JSON can be
// parsed); unparsed text is cut to the part a trace shows, and cut reports that.
func (r *redactor) body(b []byte, contentType string, complete bool) (out []byte, cut bool) {
	ct := strings.ToLower(contentType)
	trimmed := bytes.TrimSpace(b)
	if complete && len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil && !dec.More() {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(r.jsonValue(v)); err == nil {
				return bytes.TrimRight(buf.Bytes(), "\n"), false
			}
		}
	}
	if complete && strings.Contains(ct, "application/x-www-form-urlencoded") {
		return []byte(r.query(string(b))), false
	}
	// Only the start of a body is ever shown, so only that much needs scanning; a value cut at the end is
	// still matched (the patterns accept a missing closing quote).
	if len(b) > traceBodyLimit {
		return r.text(b[:traceBodyLimit]), true
	}
	return r.text(b), false
}

// jsonValue walks a decoded JSON value and replaces the values of secret keys at any depth.
func (r *redactor) jsonValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if r.secret(k) && val != nil {
				t[k] = Redacted
				continue
			}
			t[k] = r.jsonValue(val)
		}
		return t
	case []any:
		for i := range t {
			t[i] = r.jsonValue(t[i])
		}
		return t
	}
	return v
}

// text scrubs secrets from text that could not be parsed: JSON fragments, form or query pairs and XML elements.
func (r *redactor) text(b []byte) []byte {
	out := r.jsonString.ReplaceAll(b, []byte(`${1}"`+Redacted+`"`))
	out = r.jsonOther.ReplaceAll(out, []byte(`${1}"`+Redacted+`"`))
	out = r.form.ReplaceAll(out, []byte(`${1}`+Redacted))
	out = r.xml.ReplaceAll(out, []byte(`${1}`+Redacted))
	return out
}

// scrubString removes each secret from s (defence in depth for error messages).
func scrubString(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	return s
}
