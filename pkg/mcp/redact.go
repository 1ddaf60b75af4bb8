package mcp

import (
	"regexp"
	"strings"
	"sync"

	"github.com/infractl/infra/pkg/api"
	pracat "github.com/infractl/infra/pkg/catalog/pra"
)

// Redacted replaces every secret value the server would otherwise show.
const Redacted = api.Redacted

// extraSecretNames complete the trace's list (api.IsSecretName) with key material named "…key" that is secret.
var extraSecretNames = []string{"x509key", "secretkey", "accesskey", "signingkey", "sshkey", "credential", "credentials"}

// IsSecretName reports whether a field of that name holds a secret: the names the debug trace redacts (password,
// secret, token, private key, passphrase…), the PRA catalog's credential fields and a few more kinds of key.
func IsSecretName(name string) bool {
	if api.IsSecretName(name) || pracat.IsSecret(name) {
		return true
	}
	n := strings.NewReplacer("_", "", "-", "", ".", "").Replace(strings.ToLower(name))
	for _, k := range extraSecretNames {
		if strings.HasSuffix(n, k) {
			return true
		}
	}
	return false
}

var (
	pemPrivate = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----`)
	})
	jwtLike = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+`)
	})
)

// secretText reports whether a string value is a secret whatever its field is called: a private key or a JWT.
func secretText(s string) bool {
	return pemPrivate().MatchString(s) || jwtLike().MatchString(s)
}

// Redact returns v (decoded JSON) with the values of secret-named members, private keys and tokens replaced by
// Redacted, and any text scrubbed of the secrets this process knows (api.Scrub). It reports how many values it
// replaced. v is modified in place.
func Redact(v any) (any, int) {
	n := 0
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if e != nil && IsSecretName(k) {
					if s, ok := e.(string); ok && s == "" {
						continue
					}
					x[k] = Redacted
					n++
					continue
				}
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		case string:
			if secretText(x) {
				n++
				return Redacted
			}
			if s := api.Scrub(x); s != x {
				n++
				return s
			}
		}
		return v
	}
	return walk(v), n
}
