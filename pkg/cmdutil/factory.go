package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/config"
	"github.com/infractl/infra/pkg/config/secrets"
	"github.com/infractl/infra/pkg/output"
)

// BuildInfo identifies the binary.
type BuildInfo struct {
	Version, Commit, Date string
}

// Globals are the values of the global flags.
type Globals struct {
	Output     string
	JQ         string
	Template   string
	Columns    []string
	NoHeaders  bool
	Wide       bool // --wide: tables show every cell whole on a terminal
	Profile    string
	ConfigFile string
	EnvFile    string
	Debug      bool
	Insecure   bool
	CACert     string
	Timeout    time.Duration
	NoColor    bool
	Quiet      bool
	Yes        bool
	KVIn       bool // -k: read key=value input from stdin
	KVOut      bool // -K: same as -o kv
	Sandbox    bool // --sandbox: settings come from the running sandbox and flags only

	// Changed maps config keys to flag values for the flags the user set explicitly (highest precedence).
	Changed map[string]string
}

// Factory builds what commands need, lazily, once.
type Factory struct {
	IO     *IOStreams
	Build  BuildInfo
	Getenv func(string) string
	G      *Globals

	// Transport, when set, replaces the HTTP transport of every client (tests, fault injection).
	Transport http.RoundTripper
	// GlobalFlags are the root command's persistent flags, set as the root is built: a command's own flags must not
	// take their names.
	GlobalFlags *pflag.FlagSet
	// Args are the command-line arguments being run (nil when the whole command tree is wanted, as for generated
	// documentation); vendors with many commands build only the parts these arguments name.
	Args []string
	// KeyringTimeout bounds every OS keyring call.
	KeyringTimeout time.Duration
	// SharedLimits, when set, paces the clients of every factory that carries it together (a server running many
	// commands in one process); nil = each client paces itself (one command per process).
	SharedLimits *api.SharedLimits

	cfgOnce sync.Once
	cfg     *config.Config
	cfgErr  error

	warnOnce sync.Once

	outOnce sync.Once
	out     resolvedOutput
}

// New returns a factory over the given streams.
func New(io *IOStreams, build BuildInfo, getenv func(string) string) *Factory {
	if getenv == nil {
		getenv = os.Getenv
	}
	return &Factory{IO: io, Build: build, Getenv: getenv, G: &Globals{Changed: map[string]string{}}, KeyringTimeout: 5 * time.Second}
}

// Config loads the configuration once (flags > env > env-file > file > defaults).
func (f *Factory) Config() (*config.Config, error) {
	f.cfgOnce.Do(func() {
		o := config.LoadOptions{
			ConfigFile: f.G.ConfigFile,
			EnvFile:    f.G.EnvFile,
			Profile:    f.G.Profile,
			Flags:      f.G.Changed,
			Getenv:     f.Getenv,
		}
		if f.G.Sandbox {
			o, f.cfgErr = f.sandboxLoadOptions(o)
		}
		if f.cfgErr == nil {
			f.cfg, f.cfgErr = config.Load(o)
		}
		if f.cfgErr != nil {
			f.cfgErr = &api.UsageError{Err: f.cfgErr}
		}
	})
	return f.cfg, f.cfgErr
}

// SandboxEnvFile is the name of the running sandbox's settings file in SandboxDir.
const SandboxEnvFile = "sandbox.env"

// SandboxDir is where `infra sandbox serve` keeps its pid file, settings and log: the cache directory's "sandbox".
func (f *Factory) SandboxDir() string {
	return config.CacheDirFrom(f.Getenv) + string(os.PathSeparator) + "sandbox"
}

// sandboxLoadOptions points the configuration at the running sandbox alone (--sandbox): its settings file replaces
// --env-file, and the site settings of the environment (INFRA_*, BT_*), the config file and its profiles are ignored,
// so that nothing meant for the sandbox can reach a configured site.
func (f *Factory) sandboxLoadOptions(o config.LoadOptions) (config.LoadOptions, error) {
	if f.G.EnvFile != "" || f.G.Profile != "" || f.G.ConfigFile != "" {
		return o, errors.New("--sandbox uses the sandbox's settings only: it cannot be combined with --env-file, --profile or --config")
	}
	dir := f.SandboxDir()
	o.EnvFile = dir + string(os.PathSeparator) + SandboxEnvFile
	if _, err := os.Stat(o.EnvFile); err != nil {
		return o, fmt.Errorf("--sandbox: no sandbox is running (no %s): start one with `infra sandbox serve --detach`", o.EnvFile)
	}
	o.ConfigFile = dir + string(os.PathSeparator) + "config.yaml" // never written: an empty configuration
	o.Getenv = func(k string) string {
		if k != "INFRA_CACHE_DIR" && (strings.HasPrefix(k, "INFRA_") || strings.HasPrefix(k, "BT_")) {
			return ""
		}
		return f.Getenv(k)
	}
	return o, nil
}

// SecretStore returns the credential store chosen by the secret_store setting.
func (f *Factory) SecretStore() (secrets.Store, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	switch s := cfg.String("secret_store"); s {
	case "", "keyring":
		return secrets.NewKeyring(f.KeyringTimeout), nil
	case "file":
		return secrets.NewFile(config.ConfigDirFrom(f.Getenv) + string(os.PathSeparator) + "secrets.json"), nil
	default:
		return nil, &api.UsageError{Err: fmt.Errorf("secret_store %q is not valid (use keyring or file)", s)}
	}
}

// HTTPOptions returns the HTTP core options of a vendor: its connection unit's TLS trust (else the global settings),
// timeouts, debug trace and rate limits from configuration.
func (f *Factory) HTTPOptions(vendor string) (api.Options, error) {
	unit, err := f.Unit(vendor)
	if err != nil {
		return api.Options{}, err
	}
	return f.HTTPOptionsFor(unit.Unit)
}

// HTTPOptionsFor is HTTPOptions for a given connection unit (auth login checks a unit before it is saved).
func (f *Factory) HTTPOptionsFor(unit *config.Unit) (api.Options, error) {
	vendor := unit.Vendor
	cfg, err := f.Config()
	if err != nil {
		return api.Options{}, err
	}
	// The vendor's TLS trust belongs to its connection unit; the global settings apply when the unit sets none.
	pick := func(key string) string {
		if v := unit.Get(key); v.IsSet {
			return v.Value
		}
		return cfg.String(key)
	}
	o := api.Options{
		UserAgent:  "infra/" + f.Build.Version,
		Timeout:    cfg.Duration("timeout"),
		CACertFile: pick("ca_cert"),
		Insecure:   pick("insecure") == "true",
		Warn:       api.SafeWriter(f.IO.ErrOut),
		Transport:  f.Transport,
		Shared:     f.SharedLimits,
	}
	if v := cfg.String("max_response_bytes"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return api.Options{}, &api.UsageError{Err: fmt.Errorf("max_response_bytes: %q is not a positive number of bytes", v)}
		}
		o.MaxResponseBytes = n
	}
	if cfg.Bool("debug") {
		o.Debug = api.SafeWriter(f.IO.ErrOut)
	}
	// Client-side rate limits (unset or 0: the vendor client's documented default, none for most vendors).
	if v := cfg.String(vendor + ".rate_limit"); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 {
			return api.Options{}, &api.UsageError{Err: fmt.Errorf("%s.rate_limit: %q is not a number of requests per second", vendor, v)}
		}
		if n > 0 {
			o.RatePerSec = n
		}
	}
	if v := cfg.String(vendor + ".rate_limit_hour"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return api.Options{}, &api.UsageError{Err: fmt.Errorf("%s.rate_limit_hour: %q is not a number of requests per hour", vendor, v)}
		}
		if n > 0 {
			o.RatePerHour = n
		}
	}
	if o.Insecure {
		// api.New prints the warning; make sure it is printed once per process.
		w := o.Warn
		o.Warn = io.Discard
		f.warnOnce.Do(func() { o.Warn = w })
	}
	return o, nil
}

// TokenCacheDir is where bearer tokens are cached between invocations.
func (f *Factory) TokenCacheDir() string {
	return config.CacheDirFrom(f.Getenv) + string(os.PathSeparator) + "tokens"
}

// Print renders v on stdout with the resolved output options.
func (f *Factory) Print(v any, defaultColumns []string) error {
	o, err := f.OutputOptions(defaultColumns)
	if err != nil {
		return err
	}
	return output.Render(f.IO.Out, v, o)
}

// Infof prints a status line on stderr unless --quiet.
func (f *Factory) Infof(format string, a ...any) {
	if f.G.Quiet {
		return
	}
	fmt.Fprintf(f.IO.ErrOut, format+"\n", a...)
}

// Warnf prints a warning on stderr (even with --quiet). Warnings may quote server text: secrets are scrubbed and
// terminal controls escaped.
func (f *Factory) Warnf(format string, a ...any) {
	fmt.Fprintln(f.IO.ErrOut, "warning: "+api.ForTerminal(fmt.Sprintf(format, a...)))
}

// Context is the command context key holder; commands use cmd.Context().
type Context = context.Context

// ShowProgress reports whether progress bars and status lines may be drawn: stderr is a terminal and -q is not set.
func (f *Factory) ShowProgress() bool { return f.IO.ErrTTY && !f.G.Quiet }
