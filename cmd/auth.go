package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	pracmd "github.com/infractl/infra/cmd/pra"
	virtomizecmd "github.com/infractl/infra/cmd/virtomize"
	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/pra"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/config"
	"github.com/infractl/infra/pkg/config/secrets"
)

// vendorAuth says what each vendor's secret is and which setting holds it.
type vendorAuth struct {
	secretKey  string // config key of the secret
	secretName string // for prompts
	idKey      string // config key of the client id / user name ("" when none)
	idFlag     string

	// prepare completes the unit to be saved after host and client id are known and before the secret is read
	// (certificate pinning). It writes nothing.
	prepare func(ctx context.Context, f *cmdutil.Factory, unit *config.Unit, o loginOptions) (*config.Unit, error)
	// verify checks a secret against the site of a unit (login before it stores anything; auth status --check).
	// nil: nothing to check.
	verify func(ctx context.Context, f *cmdutil.Factory, unit *config.Unit, secret string) error
	// check verifies the credentials of an effective unit against its site for auth status --check (nil: verify).
	check func(ctx context.Context, f *cmdutil.Factory, unit *cmdutil.Conn, secret string) error
	// logout runs before the stored secret is removed: revoke sessions, drop cached tokens (nil: nothing to do).
	logout func(ctx context.Context, f *cmdutil.Factory, unit *config.Unit) error
	// status adds vendor-specific rows (pin, token expiry) for the effective unit, given its secret.
	status func(f *cmdutil.Factory, unit *cmdutil.Conn, secret string) []statusRow
}

var vendorAuths = sync.OnceValue(func() map[string]vendorAuth {
	return map[string]vendorAuth{
		"pra":       {secretKey: "pra.client_secret", secretName: "client secret", idKey: "pra.client_id", idFlag: "client-id", verify: verifyPRA, logout: logoutPRA},
		"virtomize": {secretKey: "virtomize.password", secretName: "password", idKey: "virtomize.username", idFlag: "client-id", prepare: pinVirtomize, verify: verifyVirtomize, logout: logoutVirtomize, status: statusVirtomize},
		"jotelulu":  {secretKey: "jotelulu.token", secretName: "API token (JWT)", verify: verifyJotelulu, check: checkJotelulu, status: statusJotelulu},
	}
})

func vendorArg(c *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usageErrorf("%s: expected VENDOR (pra, virtomize or jotelulu)", c.CommandPath())
	}
	if _, ok := vendorAuths()[args[0]]; !ok {
		return usageErrorf("unknown vendor %q: use pra, virtomize or jotelulu", args[0])
	}
	return nil
}

// authShort summarises `infra auth` in the command listing, before its tree is built.
const authShort = "Log in, check and remove vendor credentials"

func newAuthCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: authShort,
		Long: `Credentials are kept in the OS keyring (Secret Service, macOS Keychain, Windows Credential Manager), one entry per
vendor and profile. Secrets are never taken as command-line arguments: login prompts without echo, or reads the secret
from stdin with --secret-stdin. Without a keyring (a headless Linux host), use the environment (INFRA_PRA_CLIENT_SECRET,
BT_CLIENT_SECRET, …), --env-file, or opt in to a plain 0600 file: infra config set secret_store file.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newAuthLoginCmd(f), newAuthStatusCmd(f), newAuthLogoutCmd(f), newAuthTokenCmd(f))
	return cmd
}

// loginOptions are the login flags a vendor's prepare hook may use.
type loginOptions struct {
	Fingerprint string // expected certificate fingerprint (--fingerprint)
}

func newAuthLoginCmd(f *cmdutil.Factory) *cobra.Command {
	var host, clientID string
	var secretStdin, noVerify bool
	var lo loginOptions
	c := &cobra.Command{
		Use:   "login VENDOR",
		Short: "Check a vendor secret, then store it in the keyring and save host and client id in the profile",
		Long: `Login saves one connection unit in the selected profile: the host and client id (or user name) in the
configuration file, the secret in the credential store, and for Virtomize the pinned certificate. The credentials are
checked against the site first (unless --no-verify); nothing is written unless the whole login succeeds.`,
		Example: `  infra auth login pra --host access.example.com --client-id 1f2e…      # prompts for the client secret
  infra auth login virtomize --host 10.0.0.5 --client-id admin        # shows and pins the appliance certificate
  printf '%s' "$SECRET" | infra auth login pra --profile lab --secret-stdin`,
		Args:      vendorArg,
		ValidArgs: []string{"pra", "virtomize", "jotelulu"},
		RunE: func(c *cobra.Command, args []string) error {
			vendor := args[0]
			va := vendorAuths()[vendor]
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			if clientID != "" && va.idKey == "" {
				return usageErrorf("%s has no client id; only the API token is stored", vendor)
			}
			if lo.Fingerprint != "" && va.prepare == nil {
				return usageErrorf("--fingerprint applies to virtomize only")
			}
			unit, err := loginUnit(cfg, vendor, va, host, clientID)
			if err != nil {
				return err
			}
			if va.prepare != nil {
				if unit, err = va.prepare(c.Context(), f, unit, lo); err != nil {
					return err
				}
			}
			secret, err := cmdutil.ReadSecret(c.Context(), f, va.secretName, secretStdin)
			if err != nil {
				return err
			}
			if va.verify != nil && !noVerify {
				if err := va.verify(c.Context(), f, unit, secret); err != nil {
					return err
				}
			}
			store, err := f.SecretStore()
			if err != nil {
				return err
			}
			if err := saveLogin(cfg, store, unit, secret); err != nil {
				return err
			}
			f.Infof("stored the %s %s for profile %q in %s", vendor, va.secretName, cfg.Profile(), store.Name())
			if pin := unit.Get("fingerprint"); pin.IsSet && pin.Source == pinnedNow {
				f.Infof("pinned the certificate of %s (%s) for profile %q", unit.String("host"), pin.Value, cfg.Profile())
			}
			if u, err := cfg.Unit(vendor); err != nil || u.Kind != config.UnitProfile {
				f.Warnf("%s connection settings in the environment or --env-file take the place of profile %q, or are refused with it: unset them to use what was just saved", vendor, cfg.Profile())
			}
			return nil
		},
	}
	c.Flags().StringVar(&host, "host", "", "site host name or URL, saved in the profile")
	c.Flags().StringVar(&clientID, "client-id", "", "OAuth client id (PRA) or appliance user name (Virtomize), saved in the profile")
	c.Flags().BoolVar(&secretStdin, "secret-stdin", false, "read the secret from stdin instead of prompting")
	c.Flags().BoolVar(&noVerify, "no-verify", false, "store without checking the credentials against the site")
	c.Flags().StringVar(&lo.Fingerprint, "fingerprint", "", "Virtomize: pin this TLS certificate fingerprint (sha256:…) instead of asking to trust the one presented")
	return c
}

// pinnedNow is the source login gives a certificate pin it has just accepted.
const pinnedNow = "auth login"

// loginUnit is the profile's unit with --host and --client-id applied: login never takes the site or the identity
// from the environment.
func loginUnit(cfg *config.Config, vendor string, va vendorAuth, host, clientID string) (*config.Unit, error) {
	unit := cfg.ProfileUnit(vendor)
	if host != "" {
		if err := cfg.Check(vendor+".host", host); err != nil {
			return nil, usageErrorf("--host: %v", err)
		}
		if old := unit.String("host"); old != "" && old != host {
			// Another site: the previous site's pin does not carry over.
			unit = unit.Without("fingerprint")
		}
		unit = unit.With("host", host, "flag --host")
	}
	if clientID != "" {
		unit = unit.With(strings.TrimPrefix(va.idKey, vendor+"."), clientID, "flag --client-id")
	}
	if unit.String("host") == "" {
		return nil, usageErrorf("no %s host in profile %q: pass --host", vendor, cfg.Profile())
	}
	if va.idKey != "" && unit.String(strings.TrimPrefix(va.idKey, vendor+".")) == "" {
		return nil, usageErrorf("no %s %s in profile %q: pass --client-id", vendor, strings.TrimPrefix(va.idKey, vendor+"."), cfg.Profile())
	}
	return unit, nil
}

// saveLogin writes the secret and then the unit's settings; when the configuration cannot be written the credential
// store is put back as it was, so a failed login leaves nothing behind.
func saveLogin(cfg *config.Config, store secrets.Store, unit *config.Unit, secret string) error {
	vendor, profile := unit.Vendor, cfg.Profile()
	prev, prevErr := store.Get(vendor, profile)
	if err := store.Set(vendor, profile, secret); err != nil {
		return fmt.Errorf("cannot store the %s secret (nothing was saved): %w", vendor, err)
	}
	var pairs [][2]string
	for _, p := range unit.Parts() {
		if !p.Sensitive {
			pairs = append(pairs, [2]string{p.Key, p.Value})
		}
	}
	if err := cfg.SetAll(pairs); err != nil {
		if prevErr == nil {
			_ = store.Set(vendor, profile, prev)
		} else {
			_ = store.Delete(vendor, profile)
		}
		return fmt.Errorf("saving the profile failed, the stored secret was rolled back: %w", err)
	}
	return nil
}

func verifyPRA(ctx context.Context, f *cmdutil.Factory, unit *config.Unit, secret string) error {
	o, err := f.HTTPOptionsFor(unit)
	if err != nil {
		return err
	}
	cl, err := pra.New(o, pra.Settings{
		Host:         unit.String("host"),
		ClientID:     unit.String("client_id"),
		ClientSecret: secret,
		// No cache: the secret itself must be checked, not a token minted earlier with another one.
	})
	if err != nil {
		return err
	}
	if _, err := cl.Token(ctx); err != nil {
		return refusedCredentials(err)
	}
	return nil
}

// refusedCredentials words a failed credential check: the site refused (exit 3) or could not be reached (exit 1).
func refusedCredentials(err error) error {
	if api.KindOf(err) == api.KindAuth {
		return fmt.Errorf("the site refused the credentials (nothing stored; use --no-verify to store anyway): %w", err)
	}
	return err
}

// logoutPRA forgets the cached token of the profile's site and client id.
func logoutPRA(_ context.Context, f *cmdutil.Factory, unit *config.Unit) error {
	if base, err := pra.BaseURL(unit.String("host")); err == nil {
		_ = api.NewFileTokenCache(f.TokenCacheDir()).Delete(pra.CacheKey(base, unit.String("client_id")))
	}
	return nil
}

func newAuthLogoutCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:       "logout VENDOR",
		Short:     "Remove the stored secret and cached tokens of a vendor for the selected profile",
		Args:      vendorArg,
		ValidArgs: []string{"pra", "virtomize", "jotelulu"},
		RunE: func(c *cobra.Command, args []string) error {
			vendor := args[0]
			cfg, store, err := configAndStore(f)
			if err != nil {
				return err
			}
			if va := vendorAuths()[vendor]; va.logout != nil {
				if err := va.logout(c.Context(), f, cfg.ProfileUnit(vendor)); err != nil {
					return err
				}
			}
			err = store.Delete(vendor, cfg.Profile())
			if errors.Is(err, secrets.ErrNotFound) {
				f.Infof("no stored %s secret for profile %q", vendor, cfg.Profile())
				return nil
			}
			if err != nil {
				return err
			}
			f.Infof("removed the %s secret for profile %q from %s", vendor, cfg.Profile(), store.Name())
			return nil
		},
	}
}

func newAuthTokenCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:       "token VENDOR",
		Short:     "Print a bearer token for scripts (cached and reused)",
		Args:      vendorArg,
		ValidArgs: []string{"pra", "virtomize"},
		RunE: func(c *cobra.Command, args []string) error {
			var src interface {
				Token(context.Context) (*oauth2.Token, error)
			}
			var err error
			switch args[0] {
			case "virtomize":
				src, err = virtomizecmd.Client(f)
			case "pra":
				src, err = pracmd.Client(c.Context(), f)
			default:
				return usageErrorf("auth token supports pra and virtomize")
			}
			if err != nil {
				return err
			}
			t, err := src.Token(c.Context())
			if err != nil {
				return err
			}
			fmt.Fprintln(f.IO.Out, t.AccessToken)
			return nil
		},
	}
}
