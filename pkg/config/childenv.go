package config

import (
	"sort"
	"strings"
)

// secretEnvSuffixes catch secret variables infra does not know by name (other vendors' or future settings).
var secretEnvSuffixes = []string{"_SECRET", "_PASSWORD", "_TOKEN", "_PASSPHRASE", "_API_KEY"}

// SecretEnvNames returns the environment variables that carry the secrets of the known settings (every variable of
// every sensitive option, btapi's BT_CLIENT_SECRET included), sorted.
func SecretEnvNames() []string {
	var out []string
	for _, o := range registry().list {
		if o.Sensitive {
			out = append(out, o.Env...)
		}
	}
	sort.Strings(out)
	return out
}

// IsSecretEnv reports whether the environment variable name carries a secret: one of SecretEnvNames, or any INFRA_
// or BT_ variable whose name ends in _SECRET, _PASSWORD, _TOKEN, _PASSPHRASE or _API_KEY (names compared without
// regard to case, as Windows does).
func IsSecretEnv(name string) bool {
	n := strings.ToUpper(name)
	for _, o := range registry().list {
		if !o.Sensitive {
			continue
		}
		for _, e := range o.Env {
			if n == e {
				return true
			}
		}
	}
	if !strings.HasPrefix(n, "INFRA_") && !strings.HasPrefix(n, "BT_") {
		return false
	}
	for _, s := range secretEnvSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// ChildEnv returns environ ("NAME=value" entries, as os.Environ gives them) without the secret variables: the
// environment for every process infra starts.
func ChildEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !IsSecretEnv(name) {
			out = append(out, kv)
		}
	}
	return out
}
