// Package config resolves infra's settings from command-line flags, the environment, an optional btapi-style
// --env-file, and a YAML configuration file with named profiles, in that order of precedence, and remembers where
// each value came from.
//
// The file keeps global settings at the top level and vendor settings per profile:
//
//	default_profile: default
//	output: table
//	profiles:
//	  lab:
//	    pra: {host: lab.example.com, client_id: def456}
//
// Secrets (client secrets, passwords, tokens) are never read from or written to the file; they come from the
// environment, the --env-file, or the credential store in package secrets.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/viper"

	"github.com/infractl/infra/internal/fsutil"
)

// LoadOptions says where settings come from besides the defaults.
type LoadOptions struct {
	ConfigFile string              // --config
	EnvFile    string              // --env-file
	Profile    string              // --profile
	Flags      map[string]string   // options set by command-line flags, by key ("timeout", "pra.host", "insecure") — highest precedence
	Getenv     func(string) string // nil = os.Getenv (tests inject)
}

// Value is a resolved setting. Source says where it came from ("flag --timeout", "env INFRA_PRA_HOST",
// "env-file /p/aws-api (BT_API_HOST)", "config /p/config.yaml (profile lab)", "default"). IsSet is false when
// only the default applies.
type Value struct {
	Key, Value, Source string
	IsSet              bool
	Sensitive          bool
}

// ProfileInfo describes one profile of the file: its non-sensitive settings by vendor.
type ProfileInfo struct {
	Name    string
	Current bool
	Vendors map[string]map[string]string
}

// Config is the loaded configuration. Its methods are safe for concurrent use.
type Config struct {
	mu            sync.Mutex
	path          string
	profile       string
	profileSource string
	flags         map[string]string
	env           map[string]string // the environment variables that matter, captured at Load
	envFile       *envFile
	file          *fileData
}

// fileData is the validated content of the config file.
type fileData struct {
	globals  map[string]string                       // key -> canonical value
	profiles map[string]map[string]map[string]string // profile -> vendor -> setting name -> canonical value
}

// Load reads the configuration. A missing config file is an empty configuration; a missing --env-file, malformed
// files, invalid values, unknown settings and secrets in the config file are errors.
func Load(o LoadOptions) (*Config, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	c := &Config{flags: map[string]string{}, env: map[string]string{}}
	if err := c.setFlags(o.Flags); err != nil {
		return nil, err
	}

	names := []string{"INFRA_PROFILE"}
	for _, opt := range registry().list {
		names = append(names, opt.Env...)
	}
	for _, n := range names {
		if v := getenv(n); v != "" {
			c.env[n] = v
		}
	}

	if o.EnvFile != "" {
		ef, err := readEnvFile(expandHome(o.EnvFile, getenv))
		if err != nil {
			return nil, err
		}
		c.envFile = ef
	}

	path, err := configPath(o.ConfigFile, getenv)
	if err != nil {
		return nil, err
	}
	c.path = path
	fd, err := readConfigFile(c.path)
	if err != nil {
		return nil, err
	}
	c.file = fd

	if err := c.checkEnv(); err != nil {
		return nil, err
	}
	if err := c.selectProfile(o.Profile); err != nil {
		return nil, err
	}
	return c, nil
}

// setFlags keeps the flag values by setting key, each checked and in canonical form (a secret as it is).
func (c *Config) setFlags(flags map[string]string) error {
	for k, v := range flags {
		opt, err := lookup(k)
		if err != nil {
			return fmt.Errorf("flag: %w", err)
		}
		if !opt.Sensitive {
			nv, err := opt.normalize(v)
			if err != nil {
				return fmt.Errorf("%s (%s): %w", flagSource(opt), k, err)
			}
			v = nv
		}
		c.flags[k] = v
	}
	return nil
}

// configPath is the config file: the one given (~ expanded), or config.yaml in the default config directory, which
// must then be private when it exists.
func configPath(given string, getenv func(string) string) (string, error) {
	if given != "" {
		return expandHome(given, getenv), nil
	}
	dir := configDir(getenv)
	// The default config directory holds the settings that say where credentials are sent: another user must
	// not be able to change it.
	if _, err := os.Stat(dir); err == nil {
		if err := fsutil.PrivateDir(dir); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, "config.yaml"), nil
}

// checkEnv validates the values from the environment and the env file up front, so that a typo fails early and
// clearly.
func (c *Config) checkEnv() error {
	for _, opt := range registry().list {
		if opt.Sensitive {
			continue
		}
		for _, n := range opt.Env {
			if v, ok := c.env[n]; ok {
				if _, err := opt.normalize(v); err != nil {
					return fmt.Errorf("env %s (%s): %w", n, opt.Key, err)
				}
			}
			if c.envFile != nil {
				if v, ok := c.envFile.vars[n]; ok && v != "" {
					if _, err := opt.normalize(v); err != nil {
						return fmt.Errorf("env file %s, %s (%s): %w", c.envFile.path, n, opt.Key, err)
					}
				}
			}
		}
	}
	return nil
}

// selectProfile applies: --profile > INFRA_PROFILE > env-file INFRA_PROFILE > default_profile in the file > "default".
func (c *Config) selectProfile(flag string) error {
	type layer struct{ value, source string }
	layers := []layer{{flag, "flag --profile"}, {c.env["INFRA_PROFILE"], "env INFRA_PROFILE"}}
	if c.envFile != nil {
		layers = append(layers, layer{c.envFile.vars["INFRA_PROFILE"], "env-file " + c.envFile.path + " (INFRA_PROFILE)"})
	}
	layers = append(layers, layer{c.file.globals["default_profile"], "config " + c.path + " (default_profile)"})
	for _, l := range layers {
		if l.value == "" {
			continue
		}
		p, err := normalizeProfile(l.value)
		if err != nil {
			return fmt.Errorf("%s: %w", l.source, err)
		}
		c.profile, c.profileSource = p, l.source
		return nil
	}
	c.profile, c.profileSource = DefaultProfile, "default"
	return nil
}

// Profile returns the selected profile name.
func (c *Config) Profile() string { return c.profile }

// ProfileSource says what selected the profile: "flag --profile", "env INFRA_PROFILE",
// "env-file PATH (INFRA_PROFILE)", "config PATH (default_profile)" or "default".
func (c *Config) ProfileSource() string { return c.profileSource }

// Path returns the config file in use (it may not exist yet).
func (c *Config) Path() string { return c.path }

// Get resolves key. An unknown key is an error that suggests close matches; an unset key gives IsSet false and the
// default as Value. Sensitive keys resolve from flags, the environment and the env file only.
func (c *Config) Get(key string) (Value, error) {
	opt, err := lookup(key)
	if err != nil {
		return Value{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resolve(opt), nil
}

// String returns the effective value of key, or "" when the key is unknown or has no value.
func (c *Config) String(key string) string {
	v, err := c.Get(key)
	if err != nil {
		return ""
	}
	return v.Value
}

// Bool returns the effective value of key as a boolean; false when unknown, unset or not a boolean.
func (c *Config) Bool(key string) bool {
	b, _ := strconv.ParseBool(c.String(key))
	return b
}

// Duration returns the effective value of key as a duration; 0 when unknown, unset or not a duration.
func (c *Config) Duration(key string) time.Duration {
	s := c.String(key)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(n * float64(time.Second))
	}
	d, _ := time.ParseDuration(s)
	return d
}

// Secret returns a sensitive vendor setting ("pra.client_secret") from a flag, the environment or the env file —
// never the config file — with its source. IsSet is false when none of them has it, or when key is not a secret.
func (c *Config) Secret(key string) Value {
	opt, ok := registry().byKey[key]
	if !ok || !opt.Sensitive {
		return Value{Key: key}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resolve(opt)
}

// List returns every non-sensitive setting with its effective value and source, sorted by key.
func (c *Config) List() []Value {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Value
	for _, opt := range registry().list {
		if !opt.Sensitive {
			out = append(out, c.resolve(opt))
		}
	}
	return out
}

// Profiles lists the profiles of the config file, plus the selected one when the file does not have it, sorted by name.
func (c *Config) Profiles() []ProfileInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := map[string]bool{c.profile: true}
	for p := range c.file.profiles {
		names[p] = true
	}
	var out []ProfileInfo
	for name := range names {
		info := ProfileInfo{Name: name, Current: name == c.profile, Vendors: map[string]map[string]string{}}
		for vendor, settings := range c.file.profiles[name] {
			m := map[string]string{}
			for k, v := range settings {
				m[k] = v
			}
			info.Vendors[vendor] = m
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// resolve applies flag > environment > env file > config file > default. c.mu must be held.
func (c *Config) resolve(opt *option) Value {
	val := Value{Key: opt.Key, Sensitive: opt.Sensitive}
	set := func(v, source string) Value {
		if !opt.Sensitive {
			if nv, err := opt.normalize(v); err == nil {
				v = nv
			}
		}
		val.Value, val.Source, val.IsSet = v, source, true
		return val
	}
	if v, ok := c.flags[opt.Key]; ok {
		return set(v, flagSource(opt))
	}
	for _, n := range opt.Env {
		if v, ok := c.env[n]; ok {
			return set(v, "env "+n)
		}
	}
	if c.envFile != nil {
		for _, n := range opt.Env {
			if v, ok := c.envFile.vars[n]; ok && v != "" {
				return set(v, "env-file "+c.envFile.path+" ("+n+")")
			}
		}
	}
	if !opt.Sensitive {
		if opt.Global {
			if v, ok := c.file.globals[opt.Key]; ok {
				return set(v, "config "+c.path)
			}
		} else if v, ok := c.file.profiles[c.profile][opt.vendor][opt.name]; ok {
			return set(v, "config "+c.path+" (profile "+c.profile+")")
		}
	}
	val.Value, val.Source = opt.Default, "default"
	return val
}

func flagSource(opt *option) string {
	return "flag --" + strings.ReplaceAll(opt.name, "_", "-")
}

// readConfigFile reads and validates the config file with viper. A missing file is an empty configuration.
func readConfigFile(path string) (*fileData, error) {
	fd := &fileData{globals: map[string]string{}, profiles: map[string]map[string]map[string]string{}}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fd, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("config file %s is a directory", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return parseConfig(path, data)
}

// parseConfig validates config file content with viper; path is for messages.
func parseConfig(path string, data []byte) (*fileData, error) {
	fd := &fileData{globals: map[string]string{}, profiles: map[string]map[string]map[string]string{}}
	// A delimiter that cannot occur in names keeps profile names with dots intact.
	v := viper.NewWithOptions(viper.KeyDelimiter("::"))
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	all := v.AllSettings()
	if err := checkNoSecrets(path, all, ""); err != nil {
		return nil, err
	}
	for k, raw := range all {
		if k == "profiles" {
			if err := fd.readProfiles(path, raw); err != nil {
				return nil, err
			}
			continue
		}
		opt, ok := registry().byKey[k]
		if !ok || !opt.Global {
			hint := ""
			if isVendor(k) {
				hint = " (vendor settings belong under profiles.<name>." + k + ")"
			}
			return nil, fmt.Errorf("%w%s", unknownKeyError(k, "config file "+path), hint)
		}
		s, err := scalar(path, k, raw, opt)
		if err != nil {
			return nil, err
		}
		if s != nil {
			fd.globals[k] = *s
		}
	}
	return fd, nil
}

func (fd *fileData) readProfiles(path string, raw any) error {
	if raw == nil {
		return nil
	}
	profiles, ok := raw.(map[string]any)
	if !ok {
		return fmt.Errorf("config file %s: profiles must be a mapping of profile names", path)
	}
	for pname, praw := range profiles {
		name, err := normalizeProfile(pname)
		if err != nil {
			return fmt.Errorf("config file %s: profiles.%s: %w", path, pname, err)
		}
		if praw == nil {
			fd.profile(name)
			continue
		}
		pm, ok := praw.(map[string]any)
		if !ok {
			return fmt.Errorf("config file %s: profiles.%s must be a mapping of vendors (%s)", path, pname, strings.Join(vendors, ", "))
		}
		prof := fd.profile(name)
		for vendor, vraw := range pm {
			if !isVendor(vendor) {
				return fmt.Errorf("config file %s: profiles.%s: unknown vendor %q (use %s)", path, pname, vendor, strings.Join(vendors, ", "))
			}
			settings := map[string]string{}
			prof[vendor] = settings
			if vraw == nil {
				continue
			}
			vm, ok := vraw.(map[string]any)
			if !ok {
				return fmt.Errorf("config file %s: profiles.%s.%s must be a mapping of settings", path, pname, vendor)
			}
			for name, sraw := range vm {
				key := vendor + "." + name
				opt, ok := registry().byKey[key]
				if !ok {
					return unknownKeyError(key, "config file "+path+", profile "+pname)
				}
				s, err := scalar(path, "profiles."+pname+"."+key, sraw, opt)
				if err != nil {
					return err
				}
				if s != nil {
					settings[name] = *s
				}
			}
		}
	}
	return nil
}

func (fd *fileData) profile(name string) map[string]map[string]string {
	p, ok := fd.profiles[name]
	if !ok {
		p = map[string]map[string]string{}
		fd.profiles[name] = p
	}
	return p
}

// scalar converts a YAML value to the canonical string of opt; nil for an empty (null) value.
func scalar(path, at string, raw any, opt *option) (*string, error) {
	var s string
	switch x := raw.(type) {
	case nil:
		return nil, nil
	case string:
		s = x
	case bool:
		s = strconv.FormatBool(x)
	case int:
		s = strconv.Itoa(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case uint64:
		s = strconv.FormatUint(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		s = x.Format(time.RFC3339)
	case map[string]any, []any:
		return nil, fmt.Errorf("config file %s: %s must be a single value, not a list or mapping", path, at)
	default:
		s = fmt.Sprint(x)
	}
	n, err := opt.normalize(s)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %s: %w", path, at, err)
	}
	return &n, nil
}

func isVendor(s string) bool {
	for _, v := range vendors {
		if v == s {
			return true
		}
	}
	return false
}

// checkNoSecrets refuses a file that holds a sensitive setting anywhere.
func checkNoSecrets(path string, m map[string]any, prefix string) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		at := k
		if prefix != "" {
			at = prefix + "." + k
		}
		if registry().sensitives[k] {
			return secretInFileError(path, at, secretKeyFor(at, k))
		}
		if sub, ok := m[k].(map[string]any); ok {
			if err := checkNoSecrets(path, sub, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// secretKeyFor guesses the setting key ("pra.client_secret") of a secret found at a file path.
func secretKeyFor(at, name string) string {
	parts := strings.Split(at, ".")
	if len(parts) >= 2 && isVendor(parts[len(parts)-2]) {
		return parts[len(parts)-2] + "." + name
	}
	for _, o := range registry().list {
		if o.Sensitive && o.name == name {
			return o.Key
		}
	}
	return name
}

func secretInFileError(path, at, key string) error {
	vendor, _, _ := strings.Cut(key, ".")
	return fmt.Errorf("config file %s contains the secret setting %s; secrets are never read from the config file: "+
		"remove it and store it with `infra auth login %s` (OS keyring), set %s in the environment, or pass it in an --env-file",
		path, at, vendor, EnvName(key))
}
