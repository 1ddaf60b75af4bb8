package config

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// A vendor's connection unit is everything that decides which site a request goes to and which credential and trust
// it carries: the host, the identity (client id or user name and its secret, or an API token) and the vendor's TLS
// trust (ca_cert, insecure, fingerprint). The unit resolves from ONE source, never key by key, so that one site's
// secret can never be sent to another site's host:
//
//   - Sources, highest first: flags, the environment's INFRA_<VENDOR>_* variables, the environment's btapi variables
//     (BT_API_HOST, BT_CLIENT_ID, BT_CLIENT_SECRET), the --env-file, and the selected profile (the config file plus the
//     profile's entry in the credential store).
//   - The highest source that sets any part of the unit is its source. When that source leaves a required part unset
//     (host, identity, secret) and a lower source sets some part, the unit is mixed and refused.
//   - A complete unit from a higher source replaces the lower sources' units entirely (their settings are ignored,
//     and auth status says so) — unless the profile was chosen explicitly (--profile or INFRA_PROFILE): then any
//     environment or env-file connection setting of that vendor is refused.
//
// Other settings (output, timeouts, rate limits, organization, spec, the global insecure and ca_cert) keep layering
// key by key.

// Unit source kinds, highest precedence first.
const (
	UnitFlags   = "flags"
	UnitEnv     = "env"
	UnitBTEnv   = "btapi-env"
	UnitEnvFile = "env-file"
	UnitProfile = "profile"
)

// unitParts are the vendor settings that belong to the connection unit, in display order.
var unitParts = []string{"host", "client_id", "username", "client_secret", "password", "token", "ca_cert", "insecure", "fingerprint"}

// unitRequired are the parts a vendor's unit needs to send an authenticated request: host, identity, secret.
var unitRequired = sync.OnceValue(func() map[string][]string {
	return map[string][]string{
		vendorPRA:       {"host", "client_id", "client_secret"},
		vendorVirtomize: {"host", "username", "password"},
		vendorJotelulu:  {"host", "token"},
	}
})

// IsUnitPart reports whether a setting name ("host", "client_secret") is part of a connection unit.
func IsUnitPart(name string) bool {
	for _, p := range unitParts {
		if p == name {
			return true
		}
	}
	return false
}

// SecretName returns the setting name of a vendor's secret ("client_secret", "password", "token").
func SecretName(vendor string) string {
	req := unitRequired()[vendor]
	if len(req) == 0 {
		return ""
	}
	return req[len(req)-1]
}

// IdentityName returns the setting name of a vendor's identity ("client_id", "username"), "" when the secret alone
// identifies (an API token).
func IdentityName(vendor string) string {
	if req := unitRequired()[vendor]; len(req) == 3 {
		return req[1]
	}
	return ""
}

// unitLayer is what one source sets of a unit.
type unitLayer struct {
	kind   string
	desc   string           // "the environment", "profile \"lab\" (config /p/config.yaml)"
	values map[string]Value // by part name
	names  []string         // how the source names what it sets: variables, flags or setting names
}

// Unit is a vendor's resolved connection unit.
type Unit struct {
	Vendor  string
	Kind    string // Unit* constant; "" when no source sets any part
	Source  string // human description of the source
	Profile string // the selected profile; a profile unit's secret may live in its credential store entry
	// Ignored describes lower sources whose connection settings this unit replaces.
	Ignored []string
	parts   map[string]Value
	names   []string
}

// Names lists how the unit's source names what it sets: variables, flags or profile setting names.
func (u *Unit) Names() []string { return append([]string(nil), u.names...) }

// NameOf returns how the unit's source would name a part: INFRA_PRA_CLIENT_SECRET for the environment,
// BT_CLIENT_SECRET for the btapi variables, client_secret for a profile.
func (u *Unit) NameOf(part string) string {
	kind := u.Kind
	if kind == "" {
		kind = UnitProfile
	}
	return settingNames(kind, u.Vendor, []string{part})[0]
}

// Get returns a part ("host", "client_id", "fingerprint") of the unit; IsSet is false when the unit's source does
// not set it.
func (u *Unit) Get(name string) Value {
	if v, ok := u.parts[name]; ok {
		return v
	}
	return Value{Key: u.Vendor + "." + name}
}

// String returns a part's value, "" when unset.
func (u *Unit) String(name string) string { return u.Get(name).Value }

// Parts returns the parts the source sets, in display order.
func (u *Unit) Parts() []Value {
	var out []Value
	for _, p := range unitParts {
		if v, ok := u.parts[p]; ok {
			out = append(out, v)
		}
	}
	return out
}

// Missing returns the required parts the unit's source leaves unset.
func (u *Unit) Missing() []string {
	var out []string
	for _, p := range unitRequired()[u.Vendor] {
		if _, ok := u.parts[p]; !ok {
			out = append(out, p)
		}
	}
	return out
}

// ExplicitProfile reports whether the profile was named on purpose (--profile, INFRA_PROFILE) rather than by
// default_profile or the built-in default.
func (c *Config) ExplicitProfile() bool {
	return c.profileSource == "flag --profile" || strings.Contains(c.profileSource, "INFRA_PROFILE")
}

// Unit resolves the vendor's connection unit from one source. A mixed unit, or an explicitly chosen profile together
// with environment or env-file connection settings, is an error that names both sources and the fix.
func (c *Config) Unit(vendor string) (*Unit, error) {
	if !isVendor(vendor) {
		return nil, fmt.Errorf("unknown vendor %q", vendor)
	}
	c.mu.Lock()
	layers := c.unitLayers(vendor)
	c.mu.Unlock()
	u := &Unit{Vendor: vendor, Profile: c.profile, parts: map[string]Value{}}
	if c.ExplicitProfile() {
		for _, l := range layers {
			if l.kind == UnitEnv || l.kind == UnitBTEnv || l.kind == UnitEnvFile {
				return nil, explicitProfileError(vendor, c.profile, c.profileSource, l)
			}
		}
	}
	if len(layers) == 0 {
		u.Source = fmt.Sprintf("profile %q", c.profile)
		return u, nil
	}
	top := layers[0]
	u.Kind, u.Source, u.parts, u.names = top.kind, top.desc, top.values, top.names
	if len(layers) > 1 {
		if missing := u.Missing(); len(missing) > 0 {
			return nil, mixedError(vendor, top, layers[1], missing)
		}
		for _, l := range layers[1:] {
			u.Ignored = append(u.Ignored, l.desc)
		}
	}
	return u, nil
}

// unitLayers returns, highest first, the sources that set some part of the vendor's unit. c.mu must be held.
func (c *Config) unitLayers(vendor string) []unitLayer {
	flags := unitLayer{kind: UnitFlags, desc: "command-line flags"}
	env := unitLayer{kind: UnitEnv, desc: "the environment"}
	bt := unitLayer{kind: UnitBTEnv, desc: "the environment (btapi)"}
	var file unitLayer
	if c.envFile != nil {
		file = unitLayer{kind: UnitEnvFile, desc: "env-file " + c.envFile.path}
	}
	prof := unitLayer{kind: UnitProfile, desc: fmt.Sprintf("profile %q (config %s)", c.profile, c.path)}
	add := func(l *unitLayer, name, value, source, as string) {
		if l.values == nil {
			l.values = map[string]Value{}
		}
		opt := registry().byKey[vendor+"."+name]
		if !opt.Sensitive {
			if nv, err := opt.normalize(value); err == nil {
				value = nv
			}
		}
		l.values[name] = Value{Key: opt.Key, Value: value, Source: source, IsSet: true, Sensitive: opt.Sensitive}
		l.names = append(l.names, as)
	}
	for _, name := range unitParts {
		opt, ok := registry().byKey[vendor+"."+name]
		if !ok {
			continue
		}
		if v, ok := c.flags[opt.Key]; ok {
			add(&flags, name, v, flagSource(opt), flagSource(opt)[len("flag "):])
		}
		if n := EnvName(opt.Key); c.env[n] != "" {
			add(&env, name, c.env[n], "env "+n, n)
		}
		if alias, ok := btapiAlias(opt.Key); ok && c.env[alias] != "" {
			add(&bt, name, c.env[alias], "env "+alias, alias)
		}
		if c.envFile != nil {
			for _, n := range opt.Env {
				if v := c.envFile.vars[n]; v != "" {
					add(&file, name, v, "env-file "+c.envFile.path+" ("+n+")", n)
					break
				}
			}
		}
		if v, ok := c.file.profiles[c.profile][vendor][name]; ok && !opt.Sensitive {
			add(&prof, name, v, "config "+c.path+" (profile "+c.profile+")", name)
		}
	}
	var out []unitLayer
	for _, l := range []unitLayer{flags, env, bt, file, prof} {
		if len(l.values) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// settingNames lists how a source would name parts: variables for the environment and env files, setting names for
// the profile, flags for flags.
func settingNames(kind, vendor string, parts []string) []string {
	var out []string
	for _, p := range parts {
		key := vendor + "." + p
		switch kind {
		case UnitBTEnv:
			if a, ok := btapiAlias(key); ok {
				out = append(out, a)
				continue
			}
			out = append(out, EnvName(key))
		case UnitEnv, UnitEnvFile:
			out = append(out, EnvName(key))
		case UnitFlags:
			out = append(out, "--"+strings.ReplaceAll(p, "_", "-"))
		default:
			out = append(out, p)
		}
	}
	return out
}

func unsetAdvice(l unitLayer) string {
	names := append([]string(nil), l.names...)
	sort.Strings(names)
	switch l.kind {
	case UnitEnv, UnitBTEnv:
		return "unset " + strings.Join(names, " ")
	case UnitEnvFile:
		return "remove " + strings.Join(names, ", ") + " from " + strings.TrimPrefix(l.desc, "env-file ") + " (or drop --env-file)"
	case UnitFlags:
		return "drop " + strings.Join(names, ", ")
	}
	return "remove " + strings.Join(names, ", ") + " from the profile (infra config unset)"
}

func mixedError(vendor string, top, next unitLayer, missing []string) error {
	return fmt.Errorf("%s connection settings are mixed: %s sets %s, while %s sets %s; a site's host, identity and "+
		"TLS trust must come from one source, so that one site's credentials never reach another site: either set "+
		"%s in %s too, or %s to use %s alone",
		vendorTitle(vendor), top.desc, strings.Join(top.names, ", "), next.desc, strings.Join(next.names, ", "),
		strings.Join(settingNames(top.kind, vendor, missing), ", "), top.desc, unsetAdvice(top), next.desc)
}

func explicitProfileError(vendor, profile, profileSource string, l unitLayer) error {
	by := "--profile " + profile
	if profileSource != "flag --profile" {
		by = "INFRA_PROFILE=" + profile
	}
	return fmt.Errorf("%s selects profile %q, but %s also sets %s connection settings (%s); infra will not choose "+
		"between two sites: %s to use profile %q, or drop %s to use %s",
		by, profile, l.desc, vendorTitle(vendor), strings.Join(l.names, ", "), unsetAdvice(l), profile, by, l.desc)
}

// ProfileUnit returns the selected profile's unit of vendor alone, whatever the environment says (auth login builds
// on it).
func (c *Config) ProfileUnit(vendor string) *Unit {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := &Unit{Vendor: vendor, Kind: UnitProfile, Source: fmt.Sprintf("profile %q (config %s)", c.profile, c.path),
		Profile: c.profile, parts: map[string]Value{}}
	for _, l := range c.unitLayers(vendor) {
		if l.kind == UnitProfile {
			u.parts, u.names = l.values, l.names
		}
	}
	return u
}

// With returns a copy of the unit with a part set (auth login's --host, --client-id, a new pin or secret).
func (u *Unit) With(name, value, source string) *Unit {
	cp := *u
	cp.parts = map[string]Value{}
	for k, v := range u.parts {
		cp.parts[k] = v
	}
	opt := registry().byKey[u.Vendor+"."+name]
	cp.parts[name] = Value{Key: u.Vendor + "." + name, Value: value, Source: source, IsSet: true, Sensitive: opt != nil && opt.Sensitive}
	return &cp
}

// Without returns a copy of the unit without a part.
func (u *Unit) Without(name string) *Unit {
	cp := *u
	cp.parts = map[string]Value{}
	for k, v := range u.parts {
		if k != name {
			cp.parts[k] = v
		}
	}
	return &cp
}
