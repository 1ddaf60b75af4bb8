package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

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

	// prepare runs after host and client id are saved and before the secret is read (certificate pinning).
	prepare func(ctx context.Context, f *cmdutil.Factory, cfg *config.Config, o loginOptions) error
	// verify checks a new secret against the site before login stores it (nil: nothing to check).
	verify func(ctx context.Context, f *cmdutil.Factory, cfg *config.Config, secret string) error
	// logout runs before the stored secret is removed: revoke sessions, drop cached tokens (nil: nothing to do).
	logout func(ctx context.Context, f *cmdutil.Factory, cfg *config.Config) error
	// status adds vendor-specific columns to an auth status row of the current profile, given its secret.
	status func(f *cmdutil.Factory, cfg *config.Config, secret string, row map[string]any)
}

var vendorAuths = map[string]vendorAuth{
	"pra":       {secretKey: "pra.client_secret", secretName: "client secret", idKey: "pra.client_id", idFlag: "client-id", verify: verifyPRA, logout: logoutPRA},
	"virtomize": {secretKey: "virtomize.password", secretName: "password", idKey: "virtomize.username", idFlag: "client-id", prepare: pinVirtomize, verify: verifyVirtomize, logout: logoutVirtomize, status: statusVirtomize},
	"jotelulu":  {secretKey: "jotelulu.token", secretName: "API token (JWT)", verify: verifyJotelulu, status: statusJotelulu},
}

func vendorArg(c *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usageErrorf("%s: expected VENDOR (pra, virtomize or jotelulu)", c.CommandPath())
	}
	if _, ok := vendorAuths[args[0]]; !ok {
		return usageErrorf("unknown vendor %q: use pra, virtomize or jotelulu", args[0])
	}
	return nil
}

func newAuthCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Log in, check and remove vendor credentials",
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
		Short: "Store a vendor secret in the keyring and save host and client id in the profile",
		Example: `  infra auth login pra --host access.example.com --client-id 1f2e…      # prompts for the client secret
  infra auth login virtomize --host 10.0.0.5 --client-id admin        # shows and pins the appliance certificate
  printf '%s' "$SECRET" | infra auth login pra --profile lab --secret-stdin`,
		Args:      vendorArg,
		ValidArgs: []string{"pra", "virtomize", "jotelulu"},
		RunE: func(c *cobra.Command, args []string) error {
			vendor := args[0]
			va := vendorAuths[vendor]
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
			if host != "" {
				if err := cfg.Set(vendor+".host", host); err != nil {
					return usageErrorf("%v", err)
				}
			}
			if clientID != "" {
				if err := cfg.Set(va.idKey, clientID); err != nil {
					return usageErrorf("%v", err)
				}
			}
			if va.prepare != nil {
				if err := va.prepare(c.Context(), f, cfg, lo); err != nil {
					return err
				}
			}
			secret, err := readSecret(c.Context(), f, va.secretName, secretStdin)
			if err != nil {
				return err
			}
			if va.verify != nil && !noVerify {
				if err := va.verify(c.Context(), f, cfg, secret); err != nil {
					return err
				}
			}
			store, err := f.SecretStore()
			if err != nil {
				return err
			}
			if err := store.Set(vendor, cfg.Profile(), secret); err != nil {
				if errors.Is(err, secrets.ErrUnavailable) {
					return fmt.Errorf("cannot store the %s: %w", va.secretName, err)
				}
				return err
			}
			f.Infof("stored the %s %s for profile %q in %s", vendor, va.secretName, cfg.Profile(), store.Name())
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

// readSecret prompts without echo on a terminal or reads stdin with --secret-stdin.
func readSecret(ctx context.Context, f *cmdutil.Factory, what string, fromStdin bool) (string, error) {
	if fromStdin {
		b, err := cmdutil.ReadAll(ctx, io.LimitReader(f.IO.In, 1<<20))
		if err != nil {
			return "", err
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return "", usageErrorf("--secret-stdin: nothing was read from stdin")
		}
		return s, nil
	}
	if !f.IO.CanPrompt() {
		return "", usageErrorf("no terminal to prompt for the %s: pipe it in with --secret-stdin", what)
	}
	s, err := f.IO.ReadSecret(ctx, strings.ToUpper(what[:1])+what[1:]+": ")
	if err != nil {
		return "", fmt.Errorf("reading the %s: %w", what, err)
	}
	if s == "" {
		return "", usageErrorf("empty %s", what)
	}
	return s, nil
}

func verifyPRA(ctx context.Context, f *cmdutil.Factory, cfg *config.Config, secret string) error {
	o, err := f.HTTPOptions("pra")
	if err != nil {
		return err
	}
	cl, err := pra.New(o, pra.Settings{
		Host:         cfg.String("pra.host"),
		ClientID:     cfg.String("pra.client_id"),
		ClientSecret: secret,
		// No cache: the new secret itself must be checked, not a token minted earlier with another one.
	})
	if err != nil {
		return err
	}
	if _, err := cl.Token(ctx); err != nil {
		return fmt.Errorf("the site refused the credentials (nothing stored; use --no-verify to store anyway): %w", err)
	}
	return nil
}

// logoutPRA forgets the cached token of the profile's client id.
func logoutPRA(_ context.Context, f *cmdutil.Factory, cfg *config.Config) error {
	if base, err := pra.BaseURL(cfg.String("pra.host")); err == nil {
		_ = api.NewFileTokenCache(f.TokenCacheDir()).Delete("pra|" + base + "|" + cfg.String("pra.client_id"))
	}
	return nil
}

func newAuthStatusCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show which profiles have credentials and where they come from (never the secrets)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			store, err := f.SecretStore()
			if err != nil {
				return err
			}
			profiles := map[string]bool{cfg.Profile(): true}
			names := []string{cfg.Profile()}
			for _, p := range cfg.Profiles() {
				if !profiles[p.Name] {
					profiles[p.Name] = true
					names = append(names, p.Name)
				}
			}
			var rows []map[string]any
			var storeErr error
			for _, prof := range names {
				for _, vendor := range config.Vendors() {
					va := vendorAuths[vendor]
					row := map[string]any{"profile": prof, "vendor": vendor, "host": "", "client_id": "", "secret": "none"}
					current := prof == cfg.Profile()
					if current {
						row["host"] = cfg.String(vendor + ".host")
						if va.idKey != "" {
							row["client_id"] = cfg.String(va.idKey)
						}
						if v := cfg.Secret(va.secretKey); v.IsSet && v.Value != "" {
							row["secret"] = v.Source
						}
					} else {
						for _, p := range cfg.Profiles() {
							if p.Name == prof {
								row["host"] = p.Vendors[vendor]["host"]
								if va.idKey != "" {
									row["client_id"] = p.Vendors[vendor][strings.SplitN(va.idKey, ".", 2)[1]]
								}
							}
						}
					}
					secret := ""
					if v := cfg.Secret(va.secretKey); current && v.IsSet {
						secret = v.Value
					}
					if row["secret"] == "none" && storeErr == nil {
						if v, err := store.Get(vendor, prof); err == nil {
							row["secret"] = store.Name()
							if current {
								secret = v
							}
						} else if !errors.Is(err, secrets.ErrNotFound) {
							storeErr = err
						}
					}
					if row["host"] == "" && row["client_id"] == "" && row["secret"] == "none" {
						continue
					}
					row["detail"] = ""
					if current && secret != "" && va.status != nil {
						va.status(f, cfg, secret, row)
					}
					row["current"] = current
					rows = append(rows, row)
				}
			}
			if storeErr != nil {
				if errors.Is(storeErr, secrets.ErrUnavailable) {
					f.Warnf("the credential store (%s) cannot be read, so stored secrets are not listed; secrets from the environment or --env-file are", store.Name())
				} else {
					f.Warnf("%v", storeErr)
				}
			}
			if len(rows) == 0 {
				f.Infof("no credentials configured; run infra auth login VENDOR, or try infra sandbox serve")
			}
			return f.Print(rows, []string{"profile", "vendor", "host", "client_id", "secret", "current", "detail"})
		},
	}
}

func newAuthLogoutCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:       "logout VENDOR",
		Short:     "Remove the stored secret and cached tokens of a vendor for the selected profile",
		Args:      vendorArg,
		ValidArgs: []string{"pra", "virtomize", "jotelulu"},
		RunE: func(c *cobra.Command, args []string) error {
			vendor := args[0]
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			store, err := f.SecretStore()
			if err != nil {
				return err
			}
			if va := vendorAuths[vendor]; va.logout != nil {
				if err := va.logout(c.Context(), f, cfg); err != nil {
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
			if args[0] == "virtomize" {
				cl, err := virtomizeClient(f)
				if err != nil {
					return err
				}
				t, err := cl.Token(c.Context())
				if err != nil {
					return err
				}
				fmt.Fprintln(f.IO.Out, t.AccessToken)
				return nil
			}
			if args[0] != "pra" {
				return usageErrorf("auth token supports pra and virtomize")
			}
			cl, err := praClient(c.Context(), f)
			if err != nil {
				return err
			}
			t, err := cl.Token(c.Context())
			if err != nil {
				return err
			}
			fmt.Fprintln(f.IO.Out, t.AccessToken)
			return nil
		},
	}
}
