package config

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// env returns a Getenv over a fixed map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, path, content string, perm os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t *testing.T, o LoadOptions) *Config {
	t.Helper()
	if o.Getenv == nil {
		o.Getenv = env(nil)
	}
	c, err := Load(o)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func mustGet(t *testing.T, c *Config, key string) Value {
	t.Helper()
	v, err := c.Get(key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v
}

const sampleConfig = `# infra settings
default_profile: lab
output: json
profiles:
  default:
    pra: {host: access.example.com, client_id: abc123}
    virtomize: {host: 10.0.0.5, fingerprint: "sha256:ab:cd"}
  lab:
    pra:
      host: file.example.com   # the lab appliance
      client_id: def456
`

func TestPrecedenceEachLayerBeatsTheNext(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeFile(t, filepath.Join(dir, "config.yaml"), sampleConfig, 0o600)
	envPath := writeFile(t, filepath.Join(dir, "aws-api"), "INFRA_PRA_HOST=envfile.example.com\nINFRA_TIMEOUT=40s\n", 0o600)

	tests := []struct {
		name       string
		flags      map[string]string
		environ    map[string]string
		envFile    string
		wantHost   string
		wantSource string
	}{
		{"flag beats env", map[string]string{"pra.host": "flag.example.com"}, map[string]string{"INFRA_PRA_HOST": "env.example.com"}, envPath,
			"flag.example.com", "flag --host"},
		{"env beats env-file", nil, map[string]string{"INFRA_PRA_HOST": "env.example.com"}, envPath,
			"env.example.com", "env INFRA_PRA_HOST"},
		{"env-file beats config file", nil, nil, envPath,
			"envfile.example.com", "env-file " + envPath + " (INFRA_PRA_HOST)"},
		{"config file beats default", nil, nil, "",
			"file.example.com", "config " + cfgPath + " (profile lab)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, LoadOptions{ConfigFile: cfgPath, EnvFile: tt.envFile, Flags: tt.flags, Getenv: env(tt.environ)})
			v := mustGet(t, c, "pra.host")
			if v.Value != tt.wantHost || v.Source != tt.wantSource || !v.IsSet {
				t.Fatalf("pra.host = %+v, want %q from %q", v, tt.wantHost, tt.wantSource)
			}
		})
	}

	t.Run("default when nothing sets it", func(t *testing.T) {
		c := mustLoad(t, LoadOptions{ConfigFile: filepath.Join(dir, "absent.yaml")})
		v := mustGet(t, c, "timeout")
		if v.IsSet || v.Value != "30s" || v.Source != "default" {
			t.Fatalf("timeout = %+v, want unset default 30s", v)
		}
		if d := c.Duration("timeout"); d != 30*time.Second {
			t.Fatalf("Duration(timeout) = %v", d)
		}
		if got := mustGet(t, c, "pra.host"); got.IsSet || got.Value != "" {
			t.Fatalf("pra.host = %+v, want unset", got)
		}
	})

	t.Run("global keys", func(t *testing.T) {
		c := mustLoad(t, LoadOptions{ConfigFile: cfgPath, EnvFile: envPath,
			Flags: map[string]string{"no_color": "1"}, Getenv: env(map[string]string{"INFRA_DEBUG": "yes"})})
		checks := []struct{ key, value, source string }{
			{"output", "json", "config " + cfgPath},
			{"timeout", "40s", "env-file " + envPath + " (INFRA_TIMEOUT)"},
			{"debug", "true", "env INFRA_DEBUG"},
			{"no_color", "true", "flag --no-color"},
			{"insecure", "false", "default"},
		}
		for _, ch := range checks {
			if v := mustGet(t, c, ch.key); v.Value != ch.value || v.Source != ch.source {
				t.Errorf("%s = %q from %q, want %q from %q", ch.key, v.Value, v.Source, ch.value, ch.source)
			}
		}
		if !c.Bool("debug") || c.Bool("insecure") || c.Duration("timeout") != 40*time.Second {
			t.Errorf("typed getters: debug=%v insecure=%v timeout=%v", c.Bool("debug"), c.Bool("insecure"), c.Duration("timeout"))
		}
	})
}

func TestBTAPIAliases(t *testing.T) {
	dir := t.TempDir()
	envPath := writeFile(t, filepath.Join(dir, "aws-api"),
		"export BT_API_HOST=bt-file.example.com\nexport BT_CLIENT_ID=file-id\nexport BT_CLIENT_SECRET=file-secret\nINFRA_PRA_CLIENT_ID=infra-file-id\n", 0o600)
	absent := filepath.Join(dir, "none.yaml")

	c := mustLoad(t, LoadOptions{ConfigFile: absent, Getenv: env(map[string]string{
		"BT_API_HOST": "bt.example.com", "BT_CLIENT_ID": "bt-id", "INFRA_PRA_CLIENT_ID": "infra-id", "BT_CLIENT_SECRET": "bt-secret",
	})})
	if v := mustGet(t, c, "pra.host"); v.Value != "bt.example.com" || v.Source != "env BT_API_HOST" {
		t.Errorf("pra.host = %+v", v)
	}
	if v := mustGet(t, c, "pra.client_id"); v.Value != "infra-id" || v.Source != "env INFRA_PRA_CLIENT_ID" {
		t.Errorf("INFRA_ name must win over BT_ name: %+v", v)
	}
	if v := c.Secret("pra.client_secret"); !v.IsSet || v.Value != "bt-secret" || v.Source != "env BT_CLIENT_SECRET" || !v.Sensitive {
		t.Errorf("Secret = %+v", v)
	}

	// The env file understands the same names; within it INFRA_ beats BT_, and the environment beats it whatever the name.
	c = mustLoad(t, LoadOptions{ConfigFile: absent, EnvFile: envPath, Getenv: env(map[string]string{"BT_API_HOST": "bt.example.com"})})
	if v := mustGet(t, c, "pra.host"); v.Value != "bt.example.com" || v.Source != "env BT_API_HOST" {
		t.Errorf("environment must beat env file: %+v", v)
	}
	if v := mustGet(t, c, "pra.client_id"); v.Value != "infra-file-id" || v.Source != "env-file "+envPath+" (INFRA_PRA_CLIENT_ID)" {
		t.Errorf("pra.client_id = %+v", v)
	}
	if v := c.Secret("pra.client_secret"); v.Value != "file-secret" || v.Source != "env-file "+envPath+" (BT_CLIENT_SECRET)" {
		t.Errorf("Secret = %+v", v)
	}
}

func TestProfileSelection(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeFile(t, filepath.Join(dir, "config.yaml"), sampleConfig, 0o600)
	envPath := writeFile(t, filepath.Join(dir, "e.env"), "INFRA_PROFILE=fromfile\n", 0o600)
	noDefault := writeFile(t, filepath.Join(dir, "plain.yaml"), "output: table\n", 0o600)

	tests := []struct {
		name                 string
		o                    LoadOptions
		wantName, wantSource string
	}{
		{"flag", LoadOptions{ConfigFile: cfgPath, EnvFile: envPath, Profile: "Prod", Getenv: env(map[string]string{"INFRA_PROFILE": "envp"})},
			"prod", "flag --profile"},
		{"env", LoadOptions{ConfigFile: cfgPath, EnvFile: envPath, Getenv: env(map[string]string{"INFRA_PROFILE": "envp"})},
			"envp", "env INFRA_PROFILE"},
		{"env-file", LoadOptions{ConfigFile: cfgPath, EnvFile: envPath}, "fromfile", "env-file " + envPath + " (INFRA_PROFILE)"},
		{"default_profile", LoadOptions{ConfigFile: cfgPath}, "lab", "config " + cfgPath + " (default_profile)"},
		{"fallback", LoadOptions{ConfigFile: noDefault}, "default", "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.o)
			if c.Profile() != tt.wantName || c.ProfileSource() != tt.wantSource {
				t.Fatalf("profile %q from %q, want %q from %q", c.Profile(), c.ProfileSource(), tt.wantName, tt.wantSource)
			}
		})
	}

	// Vendor settings follow the selected profile.
	c := mustLoad(t, LoadOptions{ConfigFile: cfgPath, Profile: "default"})
	if v := mustGet(t, c, "pra.host"); v.Value != "access.example.com" || v.Source != "config "+cfgPath+" (profile default)" {
		t.Fatalf("pra.host in profile default = %+v", v)
	}
	if _, err := Load(LoadOptions{ConfigFile: cfgPath, Profile: "bad name", Getenv: env(nil)}); err == nil || !strings.Contains(err.Error(), "flag --profile") {
		t.Fatalf("invalid profile name: err = %v", err)
	}
}

func TestConfigPathResolution(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name    string
		o       LoadOptions
		environ map[string]string
		want    string
	}{
		{"flag", LoadOptions{ConfigFile: "~/my.yaml"}, map[string]string{"HOME": home, "INFRA_CONFIG_DIR": "/x"}, filepath.Join(home, "my.yaml")},
		{"INFRA_CONFIG_DIR", LoadOptions{}, map[string]string{"HOME": home, "INFRA_CONFIG_DIR": filepath.Join(home, "c"), "XDG_CONFIG_HOME": "/y"},
			filepath.Join(home, "c", "config.yaml")},
		{"XDG_CONFIG_HOME", LoadOptions{}, map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "xdg")},
			filepath.Join(home, "xdg", "infra", "config.yaml")},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests, struct {
			name    string
			o       LoadOptions
			environ map[string]string
			want    string
		}{"home", LoadOptions{}, map[string]string{"HOME": home}, filepath.Join(home, ".config", "infra", "config.yaml")})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Getenv = env(tt.environ)
			c := mustLoad(t, tt.o)
			if c.Path() != tt.want {
				t.Fatalf("Path() = %q, want %q", c.Path(), tt.want)
			}
		})
	}
}

func TestDirsFromEnvironment(t *testing.T) {
	t.Setenv("INFRA_CONFIG_DIR", "/opt/infra-conf")
	t.Setenv("INFRA_CACHE_DIR", "/opt/infra-cache")
	if ConfigDir() != "/opt/infra-conf" || CacheDir() != "/opt/infra-cache" {
		t.Fatalf("ConfigDir %q CacheDir %q", ConfigDir(), CacheDir())
	}
	t.Setenv("INFRA_CONFIG_DIR", "")
	t.Setenv("INFRA_CACHE_DIR", "")
	t.Setenv("XDG_CONFIG_HOME", "/xdg/conf")
	t.Setenv("XDG_CACHE_HOME", "/xdg/cache")
	if ConfigDir() != filepath.Join("/xdg/conf", "infra") || CacheDir() != filepath.Join("/xdg/cache", "infra") {
		t.Fatalf("ConfigDir %q CacheDir %q", ConfigDir(), CacheDir())
	}
}

func TestEnvFileGrammar(t *testing.T) {
	home := t.TempDir()
	content := "\ufeff# btapi settings\n" +
		"\n" +
		"export BT_API_HOST=access.example.com\n" +
		"  BT_CLIENT_ID = spaced-id  \n" +
		"BT_CLIENT_SECRET='lit#eral \\n $x'\n" +
		"INFRA_PRA_ORGANIZATION=\"a \\\"quoted\\\" \\\\ value\" # trailing comment\n" +
		"INFRA_OUTPUT=yaml\r\n" +
		"INFRA_PRA_SPEC=has#hash\n" +
		"IGNORED_BY_INFRA=1\n"
	writeFile(t, filepath.Join(home, ".config", "aws-api"), content, 0o600)
	c := mustLoad(t, LoadOptions{ConfigFile: filepath.Join(home, "none.yaml"), EnvFile: "~/.config/aws-api",
		Getenv: env(map[string]string{"HOME": home})})
	path := filepath.Join(home, ".config", "aws-api")
	want := map[string]string{
		"pra.host":         "access.example.com",
		"pra.client_id":    "spaced-id",
		"pra.organization": `a "quoted" \ value`,
		"output":           "yaml",
		"pra.spec":         "has#hash",
	}
	for k, w := range want {
		if v := mustGet(t, c, k); v.Value != w || !strings.HasPrefix(v.Source, "env-file "+path+" (") {
			t.Errorf("%s = %q from %q, want %q from the env file", k, v.Value, v.Source, w)
		}
	}
	if v := c.Secret("pra.client_secret"); v.Value != `lit#eral \n $x` {
		t.Errorf("single quotes must be literal: %q", v.Value)
	}

	bad := []struct {
		content string
		line    int
		want    string
	}{
		{"A=1\nno equals sign\n", 2, "expected NAME=VALUE"},
		{"# c\n\n1BAD=x\n", 3, "invalid variable name"},
		{"A=1\nB=\"open\n", 2, "unterminated \" quote"},
		{"A='x' y\n", 1, "after the closing quote"},
		{"export =v\n", 1, "invalid variable name"},
	}
	for _, b := range bad {
		p := writeFile(t, filepath.Join(t.TempDir(), "bad.env"), b.content, 0o600)
		_, err := Load(LoadOptions{ConfigFile: filepath.Join(home, "none.yaml"), EnvFile: p, Getenv: env(nil)})
		wantPrefix := "env file " + p + ", line " + strconv.Itoa(b.line) + ": "
		if err == nil || !strings.HasPrefix(err.Error(), wantPrefix) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: err = %v, want prefix %q containing %q", b.content, err, wantPrefix, b.want)
		}
	}

	// Values of secrets never appear in errors.
	p := writeFile(t, filepath.Join(t.TempDir(), "s.env"), "BT_CLIENT_SECRET=\"topsecretvalue\n", 0o600)
	if _, err := Load(LoadOptions{EnvFile: p, ConfigFile: filepath.Join(home, "none.yaml"), Getenv: env(nil)}); err == nil || strings.Contains(err.Error(), "topsecretvalue") {
		t.Errorf("err = %v", err)
	}

	if _, err := Load(LoadOptions{EnvFile: filepath.Join(home, "missing.env"), ConfigFile: filepath.Join(home, "none.yaml"), Getenv: env(nil)}); err == nil ||
		!strings.Contains(err.Error(), "missing.env") {
		t.Errorf("missing env file: err = %v", err)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s has mode %04o, want %04o", path, got, want)
	}
}

func TestInvalidValuesAreErrors(t *testing.T) {
	dir := t.TempDir()
	absent := filepath.Join(dir, "none.yaml")
	tests := []struct {
		name string
		o    LoadOptions
		want []string
	}{
		{"env", LoadOptions{ConfigFile: absent, Getenv: env(map[string]string{"INFRA_TIMEOUT": "soon"})}, []string{"env INFRA_TIMEOUT", `"soon"`, "duration"}},
		{"flag", LoadOptions{ConfigFile: absent, Flags: map[string]string{"insecure": "maybe"}}, []string{"flag --insecure", "boolean"}},
		{"unknown flag key", LoadOptions{ConfigFile: absent, Flags: map[string]string{"timout": "1s"}}, []string{`"timout"`, "timeout"}},
		{"env file", LoadOptions{ConfigFile: absent, EnvFile: writeFile(t, filepath.Join(dir, "e"), "INFRA_PRA_RATE_LIMIT=-3\n", 0o600)},
			[]string{"INFRA_PRA_RATE_LIMIT", "non-negative"}},
		{"file", LoadOptions{ConfigFile: writeFile(t, filepath.Join(dir, "c.yaml"), "output: xml\n", 0o600)}, []string{"c.yaml", "output", "table, json"}},
		{"file type", LoadOptions{ConfigFile: writeFile(t, filepath.Join(dir, "d.yaml"), "profiles:\n  lab:\n    pra:\n      rate_limit_hour: lots\n", 0o600)},
			[]string{"d.yaml", "profiles.lab.pra.rate_limit_hour", "integer"}},
		{"file mapping", LoadOptions{ConfigFile: writeFile(t, filepath.Join(dir, "m.yaml"), "timeout: {a: 1}\n", 0o600)}, []string{"timeout must be a single value"}},
		{"bad yaml", LoadOptions{ConfigFile: writeFile(t, filepath.Join(dir, "y.yaml"), "output: [\n", 0o600)}, []string{"y.yaml"}},
		{"unknown vendor", LoadOptions{ConfigFile: writeFile(t, filepath.Join(dir, "v.yaml"), "profiles:\n  lab:\n    aws: {host: x}\n", 0o600)}, []string{`unknown vendor "aws"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.o.Getenv == nil {
				tt.o.Getenv = env(nil)
			}
			_, err := Load(tt.o)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestSecretsInConfigFileAreRefused(t *testing.T) {
	tests := []struct {
		name, content, at, envName string
	}{
		{"in profile", "profiles:\n  lab:\n    pra:\n      host: h\n      client_secret: hunter2hunter2\n", "profiles.lab.pra.client_secret", "INFRA_PRA_CLIENT_SECRET"},
		{"password", "profiles:\n  default:\n    virtomize: {password: hunter2hunter2}\n", "profiles.default.virtomize.password", "INFRA_VIRTOMIZE_PASSWORD"},
		{"top level", "token: hunter2hunter2\n", "token", "INFRA_JOTELULU_TOKEN"},
		{"under unknown vendor", "profiles:\n  x:\n    other: {client_secret: hunter2hunter2}\n", "profiles.x.other.client_secret", "INFRA_PRA_CLIENT_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, filepath.Join(t.TempDir(), "config.yaml"), tt.content, 0o600)
			_, err := Load(LoadOptions{ConfigFile: p, Getenv: env(nil)})
			if err == nil {
				t.Fatal("Load accepted a secret in the config file")
			}
			msg := err.Error()
			for _, w := range []string{p, tt.at, "infra auth login", tt.envName, "--env-file"} {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error leaks the secret: %q", msg)
			}
		})
	}
}

func TestSetWritesPrivateFileAndKeepsContent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "conf", "infra")
	c := mustLoad(t, LoadOptions{Getenv: env(map[string]string{"INFRA_CONFIG_DIR": dir}), Profile: "lab"})
	if err := c.Set("pra.host", "lab.example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("timeout", "45"); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, dir, 0o700)
		assertMode(t, c.Path(), 0o600)
	}
	if v := mustGet(t, c, "pra.host"); v.Value != "lab.example.com" || v.Source != "config "+c.Path()+" (profile lab)" {
		t.Fatalf("after Set: %+v", v)
	}
	re := mustLoad(t, LoadOptions{ConfigFile: c.Path(), Profile: "lab"})
	if re.String("pra.host") != "lab.example.com" || re.Duration("timeout") != 45*time.Second {
		t.Fatalf("reloaded: host %q timeout %v", re.String("pra.host"), re.Duration("timeout"))
	}

	// A hand-written file with looser permissions: comments and other settings survive, the mode is tightened.
	path := writeFile(t, filepath.Join(t.TempDir(), "config.yaml"), sampleConfig, 0o644)
	c = mustLoad(t, LoadOptions{ConfigFile: path, Profile: "LAB"})
	if err := c.Set("pra.insecure", "yes"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("secret_store", "FILE"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("virtomize.username", "no"); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, path, 0o600)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"# infra settings", "# the lab appliance", "client_id: abc123", "fingerprint:", "insecure: true", "secret_store: file", `username: "no"`} {
		if !strings.Contains(string(data), w) {
			t.Errorf("rewritten file lacks %q:\n%s", w, data)
		}
	}
	re = mustLoad(t, LoadOptions{ConfigFile: path, Profile: "lab"})
	checks := map[string]string{"pra.insecure": "true", "secret_store": "file", "virtomize.username": "no", "pra.client_id": "def456", "output": "json"}
	for k, w := range checks {
		if got := re.String(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
	if v := mustGet(t, re, "virtomize.host"); v.IsSet {
		t.Errorf("profile lab must not see profile default's virtomize.host: %+v", v)
	}

	// Higher layers still win after Set.
	c = mustLoad(t, LoadOptions{ConfigFile: path, Profile: "lab", Flags: map[string]string{"timeout": "5s"}})
	if err := c.Set("timeout", "1m"); err != nil {
		t.Fatal(err)
	}
	if v := mustGet(t, c, "timeout"); v.Value != "5s" || v.Source != "flag --timeout" {
		t.Errorf("flag must beat the file after Set: %+v", v)
	}
}

func TestSetRefusals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	c := mustLoad(t, LoadOptions{ConfigFile: path})
	tests := []struct {
		key, value string
		want       []string
	}{
		{"pra.client_secret", "hunter2hunter2", []string{"secret", "infra auth login pra", "INFRA_PRA_CLIENT_SECRET", "--env-file"}},
		{"jotelulu.token", "hunter2hunter2", []string{"INFRA_JOTELULU_TOKEN"}},
		{"timeout", "eventually", []string{"timeout", "duration"}},
		{"pra.rate_limit", "fast", []string{"pra.rate_limit", "number"}},
		{"output", "xml", []string{"table, json, yaml, csv, kv"}},
		{"pra.hots", "x", []string{"pra.host"}},
		{"pra.host", " ", []string{"infra config unset pra.host"}},
	}
	for _, tt := range tests {
		err := c.Set(tt.key, tt.value)
		if err == nil {
			t.Errorf("Set(%q) succeeded", tt.key)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Set(%q): %q does not mention %q", tt.key, err, w)
			}
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Set(%q) leaks the value: %q", tt.key, err)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("refused Sets must not create the file (stat err %v)", err)
	}
}

func TestUnset(t *testing.T) {
	path := writeFile(t, filepath.Join(t.TempDir(), "config.yaml"), sampleConfig, 0o600)
	c := mustLoad(t, LoadOptions{ConfigFile: path})
	if c.Profile() != "lab" {
		t.Fatalf("profile %q", c.Profile())
	}
	for _, k := range []string{"pra.host", "pra.client_id", "output", "pra.fingerprint"} {
		if err := c.Unset(k); err != nil {
			t.Fatalf("Unset(%s): %v", k, err)
		}
	}
	if v := mustGet(t, c, "pra.host"); v.IsSet {
		t.Errorf("pra.host still set: %+v", v)
	}
	if v := mustGet(t, c, "output"); v.IsSet || v.Value != "table" {
		t.Errorf("output = %+v, want the default", v)
	}
	re := mustLoad(t, LoadOptions{ConfigFile: path})
	names := []string{}
	for _, p := range re.Profiles() {
		names = append(names, p.Name)
	}
	// Profile lab is emptied and removed from the file but stays listed as the selected profile.
	if !slices.Equal(names, []string{"default", "lab"}) {
		t.Errorf("profiles %v", names)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "lab:") || !strings.Contains(string(data), "default_profile: lab") || !strings.Contains(string(data), "access.example.com") {
		t.Errorf("file after Unset:\n%s", data)
	}
	if err := c.Unset("nosuch"); err == nil {
		t.Error("Unset of an unknown key succeeded")
	}
	if err := c.Unset("virtomize.password"); err == nil || !strings.Contains(err.Error(), "infra auth logout virtomize") {
		t.Errorf("Unset of a secret: %v", err)
	}
}

func TestProfilesListing(t *testing.T) {
	path := writeFile(t, filepath.Join(t.TempDir(), "config.yaml"), sampleConfig, 0o600)
	c := mustLoad(t, LoadOptions{ConfigFile: path, Profile: "prod"})
	got := c.Profiles()
	var names []string
	for _, p := range got {
		names = append(names, p.Name)
		if p.Current != (p.Name == "prod") {
			t.Errorf("%s current = %v", p.Name, p.Current)
		}
	}
	if !slices.Equal(names, []string{"default", "lab", "prod"}) {
		t.Fatalf("profiles %v", names)
	}
	def := got[0]
	if def.Vendors["pra"]["host"] != "access.example.com" || def.Vendors["virtomize"]["fingerprint"] != "sha256:ab:cd" || len(def.Vendors) != 2 {
		t.Errorf("default profile = %+v", def.Vendors)
	}
	if len(got[2].Vendors) != 0 {
		t.Errorf("prod is not in the file, yet has vendors %v", got[2].Vendors)
	}
	// The result is a copy.
	def.Vendors["pra"]["host"] = "changed"
	if c.Profiles()[0].Vendors["pra"]["host"] != "access.example.com" {
		t.Error("Profiles exposes internal state")
	}
}

func TestUnknownKeySuggestions(t *testing.T) {
	c := mustLoad(t, LoadOptions{ConfigFile: filepath.Join(t.TempDir(), "none.yaml")})
	tests := []struct {
		key  string
		want []string
	}{
		{"pra.hots", []string{"pra.host"}},
		{"host", []string{"jotelulu.host", "pra.host", "virtomize.host"}},
		{"timout", []string{"timeout"}},
		{"virtomize.fingerprnt", []string{"virtomize.fingerprint"}},
	}
	for _, tt := range tests {
		_, err := c.Get(tt.key)
		if err == nil {
			t.Errorf("Get(%q) succeeded", tt.key)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Get(%q): %q does not suggest %q", tt.key, err, w)
			}
		}
	}
	if _, err := c.Get("zzzzzzzz"); err == nil || !strings.Contains(err.Error(), "infra config list") {
		t.Errorf("no close match: %v", err)
	}
	if c.String("pra.hots") != "" || c.Bool("nope") || c.Duration("nope") != 0 {
		t.Error("convenience getters must return zero values for unknown keys")
	}

	// Unknown keys in the file are errors too.
	p := writeFile(t, filepath.Join(t.TempDir(), "config.yaml"), "profiles:\n  lab:\n    pra: {hots: x}\n", 0o600)
	if _, err := Load(LoadOptions{ConfigFile: p, Getenv: env(nil)}); err == nil || !strings.Contains(err.Error(), "pra.host") || !strings.Contains(err.Error(), p) {
		t.Errorf("unknown key in file: %v", err)
	}
	p = writeFile(t, filepath.Join(t.TempDir(), "config.yaml"), "pra: {host: x}\n", 0o600)
	if _, err := Load(LoadOptions{ConfigFile: p, Getenv: env(nil)}); err == nil || !strings.Contains(err.Error(), "profiles.<name>.pra") {
		t.Errorf("vendor at top level: %v", err)
	}
}

func TestListAndRegistry(t *testing.T) {
	c := mustLoad(t, LoadOptions{ConfigFile: filepath.Join(t.TempDir(), "none.yaml"),
		Getenv: env(map[string]string{"INFRA_PRA_CLIENT_SECRET": "s3cr3t", "INFRA_PRA_HOST": "h"})})
	list := c.List()
	if !slices.IsSortedFunc(list, func(a, b Value) int { return strings.Compare(a.Key, b.Key) }) {
		t.Error("List is not sorted")
	}
	seen := map[string]Value{}
	for _, v := range list {
		if v.Sensitive || strings.Contains(v.Value, "s3cr3t") {
			t.Errorf("List shows a secret: %+v", v)
		}
		seen[v.Key] = v
	}
	if seen["pra.host"].Source != "env INFRA_PRA_HOST" || seen["timeout"].Value != "30s" || seen["secret_store"].Value != "keyring" {
		t.Errorf("List entries: %+v %+v %+v", seen["pra.host"], seen["timeout"], seen["secret_store"])
	}
	if _, ok := seen["pra.client_secret"]; ok {
		t.Error("List includes pra.client_secret")
	}

	opts := map[string]Option{}
	for _, o := range Options() {
		opts[o.Key] = o
	}
	for _, k := range []string{"output", "timeout", "no_color", "debug", "insecure", "ca_cert", "secret_store", "default_profile"} {
		if o, ok := opts[k]; !ok || !o.Global {
			t.Errorf("global option %s missing", k)
		}
	}
	for _, v := range Vendors() {
		for _, n := range []string{"host", "client_id", "insecure", "ca_cert", "fingerprint", "organization", "spec", "username", "rate_limit", "rate_limit_hour"} {
			if o, ok := opts[v+"."+n]; !ok || o.Global || o.Sensitive {
				t.Errorf("vendor option %s.%s missing or misdescribed", v, n)
			}
		}
	}
	for _, k := range []string{"pra.client_secret", "virtomize.client_secret", "virtomize.password", "jotelulu.token"} {
		if !opts[k].Sensitive {
			t.Errorf("%s must be sensitive", k)
		}
	}
	if got := opts["pra.host"].Env; !slices.Equal(got, []string{"INFRA_PRA_HOST", "BT_API_HOST"}) {
		t.Errorf("pra.host env = %v", got)
	}
	if got := opts["timeout"]; !slices.Equal(got.Env, []string{"INFRA_TIMEOUT"}) || got.Type != TypeDuration || got.Default != "30s" {
		t.Errorf("timeout = %+v", got)
	}
	if s := c.Secret("pra.host"); s.IsSet {
		t.Error("Secret must only answer for sensitive keys")
	}
	if v := mustGet(t, c, "pra.client_secret"); !v.Sensitive || v.Value != "s3cr3t" || v.Source != "env INFRA_PRA_CLIENT_SECRET" {
		t.Errorf("Get of a secret = %+v", v)
	}
}

func TestSetFindsProfileCaseInsensitivelyAndKeepsDottedNames(t *testing.T) {
	path := writeFile(t, filepath.Join(t.TempDir(), "config.yaml"), "profiles:\n  Lab:\n    pra: {host: a.example.com}\n", 0o600)
	c := mustLoad(t, LoadOptions{ConfigFile: path, Profile: "lab"})
	if c.String("pra.host") != "a.example.com" {
		t.Fatalf("pra.host = %q", c.String("pra.host"))
	}
	if err := c.Set("pra.client_id", "id1"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.Count(strings.ToLower(string(data)), "lab:") != 1 {
		t.Fatalf("a second lab section was created:\n%s", data)
	}

	c = mustLoad(t, LoadOptions{ConfigFile: path, Profile: "eu.prod"})
	if err := c.Set("virtomize.host", "10.1.2.3"); err != nil {
		t.Fatal(err)
	}
	re := mustLoad(t, LoadOptions{ConfigFile: path, Profile: "eu.prod"})
	if v := mustGet(t, re, "virtomize.host"); v.Value != "10.1.2.3" || v.Source != "config "+path+" (profile eu.prod)" {
		t.Fatalf("dotted profile: %+v", v)
	}
	if got := mustLoad(t, LoadOptions{ConfigFile: path, Profile: "lab"}).String("pra.client_id"); got != "id1" {
		t.Fatalf("lab pra.client_id = %q", got)
	}
}
