package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/infractl/infra/internal/textdist"
	"github.com/infractl/infra/pkg/output"
)

// Option types.
const (
	TypeString   = "string"
	TypeBool     = "bool"
	TypeDuration = "duration"
	TypeInt      = "int"
	TypeFloat    = "float"
)

// Option describes one known setting.
type Option struct {
	Key         string   // "output", "pra.host"
	Type        string   // string, bool, duration, int or float
	Default     string   // effective value when nothing sets it ("" when none)
	Description string   // one line for help and completion
	Sensitive   bool     // a secret: never read from or written to the config file, never listed
	Global      bool     // top level of the file; otherwise per vendor, inside the selected profile
	Env         []string // environment (and --env-file) variables, highest priority first
}

// option is the registry entry: the public description plus validation details.
type option struct {
	Option
	vendor  string          // "" for global options
	name    string          // the key without the vendor prefix
	allowed func() []string // permitted values, when the set is closed
}

const (
	vendorPRA       = "pra"
	vendorVirtomize = "virtomize"
	vendorJotelulu  = "jotelulu"
)

var vendors = []string{vendorPRA, vendorVirtomize, vendorJotelulu}

// Vendors returns the vendor names, in display order.
func Vendors() []string { return append([]string(nil), vendors...) }

type spec struct {
	name, typ, def, desc string
	allowed              []string
}

// globalSpecs are the top-level settings. The permitted values of output are those of the output registry, read when
// a value is checked.
func globalSpecs() []spec {
	return []spec{
		{"output", TypeString, string(output.Table), "default output format: " + output.NameList(), nil},
		{"timeout", TypeDuration, "30s", "timeout of each attempt, reading the answer included; for streamed transfers the longest gap without data (Go duration such as 45s or 2m; a bare number means seconds)", nil},
		{"max_response_bytes", TypeInt, "67108864", "largest JSON answer read, in bytes (default 64 MiB; a bigger answer is an error)", nil},
		{"no_color", TypeBool, "false", "never colour the output", nil},
		{"debug", TypeBool, "false", "trace HTTP requests and responses on stderr, with secrets redacted", nil},
		{"insecure", TypeBool, "false", "skip TLS certificate verification for every vendor", nil},
		{"ca_cert", TypeString, "", "PEM file of extra CA certificates to trust for every vendor", nil},
		{"secret_store", TypeString, "keyring", "where infra auth login keeps secrets: keyring (OS keyring) or file (plain 0600 file)", []string{"keyring", "file"}},
		{"default_profile", TypeString, DefaultProfile, "profile used when neither --profile nor INFRA_PROFILE selects one", nil},
	}
}

var vendorSpecs = []spec{
	{"host", TypeString, "", "appliance or API host name (a full https:// URL is also accepted)", nil},
	{"client_id", TypeString, "", "API client id", nil},
	{"username", TypeString, "", "account user name", nil},
	{"organization", TypeString, "", "organization the requests act on", nil},
	{"insecure", TypeBool, "", "skip TLS certificate verification for this vendor (default: the global insecure)", nil},
	{"ca_cert", TypeString, "", "PEM file of extra CA certificates for this vendor (default: the global ca_cert)", nil},
	{"fingerprint", TypeString, "", "expected TLS certificate fingerprint, such as sha256:<hex>", nil},
	{"spec", TypeString, "", "API description file, or http(s) URL fetched without credentials, to use instead of the built-in one", nil},
	{"rate_limit", TypeFloat, "", "client-side limit on requests per second (0 or unset: no limit)", nil},
	{"rate_limit_hour", TypeInt, "", "client-side limit on requests per hour (0 or unset: no limit)", nil},
}

// secretSpecs lists the sensitive settings of a vendor.
func secretSpecs(vendor string) []spec {
	switch vendor {
	case vendorPRA:
		return []spec{{"client_secret", TypeString, "", "API client secret", nil}}
	case vendorVirtomize:
		return []spec{{"client_secret", TypeString, "", "API client secret", nil}, {"password", TypeString, "", "account password", nil}}
	case vendorJotelulu:
		return []spec{{"token", TypeString, "", "API token", nil}}
	}
	return nil
}

// btapiAlias maps keys to the variable names used by BeyondTrust's btapi tool. They rank below the INFRA_ names.
func btapiAlias(key string) (string, bool) {
	switch key {
	case "pra.host":
		return "BT_API_HOST", true
	case "pra.client_id":
		return "BT_CLIENT_ID", true
	case "pra.client_secret":
		return "BT_CLIENT_SECRET", true
	}
	return "", false
}

// settings is the registry of known settings, built on first use: most invocations (--version, --help, completion
// of commands) never read a setting, so the registry is not built before main.
type settings struct {
	list       []*option // sorted by key
	byKey      map[string]*option
	sensitives map[string]bool // names (without vendor) of sensitive settings
}

var registry = sync.OnceValue(func() *settings {
	r := &settings{byKey: map[string]*option{}, sensitives: map[string]bool{}}
	add := func(vendor string, s spec, sensitive bool) {
		key := s.name
		if vendor != "" {
			key = vendor + "." + s.name
		}
		var env []string
		if s.name != "default_profile" {
			env = append(env, EnvName(key))
		}
		if alias, ok := btapiAlias(key); ok {
			env = append(env, alias)
		}
		desc := s.desc
		if vendor != "" {
			desc = vendorTitle(vendor) + " " + desc
		}
		o := &option{
			Option: Option{Key: key, Type: s.typ, Default: s.def, Description: desc, Sensitive: sensitive,
				Global: vendor == "", Env: env},
			vendor: vendor, name: s.name,
		}
		if key == "output" {
			o.allowed = output.Names
		}
		if s.allowed != nil {
			o.allowed = func() []string { return s.allowed }
		}
		r.list = append(r.list, o)
		r.byKey[key] = o
		if sensitive {
			r.sensitives[s.name] = true
		}
	}
	for _, s := range globalSpecs() {
		add("", s, false)
	}
	for _, v := range vendors {
		for _, s := range vendorSpecs {
			add(v, s, false)
		}
		for _, s := range secretSpecs(v) {
			add(v, s, true)
		}
	}
	sort.Slice(r.list, func(i, j int) bool { return r.list[i].Key < r.list[j].Key })
	return r
})

func vendorTitle(v string) string {
	switch v {
	case vendorPRA:
		return "PRA"
	case vendorVirtomize:
		return "Virtomize"
	case vendorJotelulu:
		return "Jotelulu"
	}
	return v
}

// EnvName returns the INFRA_ environment variable of a key: INFRA_TIMEOUT for "timeout", INFRA_PRA_HOST for "pra.host".
func EnvName(key string) string {
	return "INFRA_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Options returns the registry of known settings, sorted by key.
func Options() []Option {
	out := make([]Option, len(registry().list))
	for i, o := range registry().list {
		out[i] = o.Option
		out[i].Env = append([]string(nil), o.Env...)
	}
	return out
}

// lookup returns the option for key or an error that suggests close matches.
func lookup(key string) (*option, error) {
	if o, ok := registry().byKey[key]; ok {
		return o, nil
	}
	return nil, unknownKeyError(key, "")
}

func unknownKeyError(key, where string) error {
	msg := fmt.Sprintf("unknown setting %q", key)
	if where != "" {
		msg = where + ": " + msg
	}
	if s := suggest(key); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, ", ") + "?"
	} else {
		msg += " (infra config list shows the known settings)"
	}
	return fmt.Errorf("%s", msg)
}

// suggest returns up to five known keys close to key: a small edit distance from the whole key, or from the setting
// name alone (so "host" suggests every vendor's host).
func suggest(key string) []string {
	key = strings.ToLower(key)
	leaf, penalty := key, 0
	if i := strings.LastIndex(key, "."); i >= 0 {
		leaf, penalty = key[i+1:], 1
	}
	limit := 2
	if len(key) > 12 {
		limit = 3
	}
	type cand struct {
		key  string
		dist int
	}
	var cands []cand
	for _, o := range registry().list {
		d := min(textdist.Levenshtein(key, o.Key), textdist.Levenshtein(leaf, o.name)+penalty)
		if d <= limit {
			cands = append(cands, cand{o.Key, d})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	var out []string
	for i := 0; i < len(cands) && i < 5; i++ {
		out = append(out, cands[i].key)
	}
	return out
}

// normalize validates a value for o and returns its canonical form: true/false for booleans, a Go duration for
// durations (a bare number is seconds), decimal numbers for int and float. Errors do not name the key (callers add
// where the value came from) and never echo values of sensitive options.
func (o *option) normalize(v string) (string, error) {
	bad := func(what string) error {
		if o.Sensitive {
			return fmt.Errorf("not a valid %s", what)
		}
		return fmt.Errorf("%q is not a valid %s", v, what)
	}
	v = strings.TrimSpace(v)
	switch o.Type {
	case TypeBool:
		switch strings.ToLower(v) {
		case "1", "t", "true", "yes", "y", "on":
			return "true", nil
		case "0", "f", "false", "no", "n", "off":
			return "false", nil
		}
		return "", bad("boolean (true or false)")
	case TypeDuration:
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			if n < 0 {
				return "", bad("duration (it is negative)")
			}
			return time.Duration(n * float64(time.Second)).String(), nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return "", bad("duration (such as 30s or 2m)")
		}
		if d < 0 {
			return "", bad("duration (it is negative)")
		}
		return v, nil
	case TypeInt:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "", bad("non-negative integer")
		}
		return strconv.Itoa(n), nil
	case TypeFloat:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return "", bad("non-negative number")
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	}
	if o.allowed != nil {
		allowed := o.allowed()
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				return a, nil
			}
		}
		return "", fmt.Errorf("%q is not valid (use %s)", v, strings.Join(allowed, ", "))
	}
	if o.Key == "default_profile" {
		return normalizeProfile(v)
	}
	return v, nil
}

// DefaultProfile is the profile used when nothing selects another.
const DefaultProfile = "default"

// normalizeProfile validates a profile name. Names are case-insensitive (stored lower-case) and may hold letters,
// digits, '-', '_' and '.'.
func normalizeProfile(p string) (string, error) {
	p = strings.ToLower(strings.TrimSpace(p))
	if p == "" {
		return "", fmt.Errorf("empty profile name")
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return "", fmt.Errorf("invalid profile name %q: use letters, digits, '-', '_' or '.'", p)
		}
	}
	return p, nil
}
