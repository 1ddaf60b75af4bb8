package cmd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/config"
	"github.com/infractl/infra/pkg/config/secrets"
)

// statusRow is one line of auth status: a part of a vendor's connection unit and where it comes from.
type statusRow struct {
	Vendor string `json:"vendor"`
	Part   string `json:"part"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

var statusColumns = []string{"vendor", "part", "value", "source"}

func newAuthStatusCmd(f *cmdutil.Factory) *cobra.Command {
	var check bool
	c := &cobra.Command{
		Use:   "status [VENDOR]",
		Short: "Show each vendor's effective site and where each part of its credentials comes from (never the secrets)",
		Long: `For each vendor, auth status shows the site commands would use and where each part of its connection unit
(host, identity, secret, TLS trust) comes from: one source, the environment, an --env-file or the profile. Settings
of other sources that the unit replaces are listed as ignored; mixed sources are refused (exit 2).

--check verifies the credentials against each site (PRA and Virtomize mint a token; Jotelulu calls a cheap
authenticated endpoint): exit 0 when every site accepts them, 3 when a site refuses them, 1 when a site cannot be
reached.`,
		Example: `  infra auth status
  infra auth status pra --check`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{"pra", "virtomize", "jotelulu"},
		RunE: func(c *cobra.Command, args []string) error {
			vendors := config.Vendors()
			if len(args) == 1 {
				if err := vendorArg(c, args); err != nil {
					return err
				}
				vendors = args
			}
			cfg, store, err := configAndStore(f)
			if err != nil {
				return err
			}
			var rows []statusRow
			var errs []error
			storeWarned := false
			for _, vendor := range vendors {
				vr, err := vendorStatus(c.Context(), f, store, vendor, check, &storeWarned)
				if len(vr) == 0 && check && len(args) == 1 {
					err = &api.AuthError{Err: fmt.Errorf("no %s credentials configured to check: run `infra auth login %s`", vendor, vendor)}
				}
				rows = append(rows, vr...)
				if err != nil {
					errs = append(errs, err)
				}
			}
			rows = append(rows, otherProfiles(cfg, store, vendors)...)
			if len(rows) == 0 {
				f.Infof("no credentials configured; run infra auth login VENDOR, or try infra sandbox serve")
			}
			for i := range rows {
				rows[i].Value, rows[i].Source = clip(rows[i].Value, 38), clip(rows[i].Source, 31)
			}
			if err := f.Print(rows, statusColumns); err != nil {
				return err
			}
			return worstError(errs)
		},
	}
	c.Flags().BoolVar(&check, "check", false, "verify the credentials against each site: exit 0 valid, 3 refused, 1 unreachable")
	return c
}

// vendorStatus lists the effective unit of one vendor, and checks it against the site when asked.
func vendorStatus(ctx context.Context, f *cmdutil.Factory, store secrets.Store, vendor string, check bool, storeWarned *bool) ([]statusRow, error) {
	unit, err := f.Unit(vendor)
	if err != nil {
		return []statusRow{{Vendor: vendor, Part: "site", Value: "refused: mixed sources"}}, fmt.Errorf("%s: %w", vendor, err)
	}
	var rows []statusRow
	for _, p := range unit.Parts() {
		v := p.Value
		if p.Sensitive {
			v = "set"
		}
		rows = append(rows, statusRow{Vendor: vendor, Part: p.Key[len(vendor)+1:], Value: v, Source: shortSource(p.Source)})
	}
	secretName := config.SecretName(vendor)
	secret := unit.String(secretName)
	if !unit.Get(secretName).IsSet && (unit.Kind == "" || unit.Kind == config.UnitProfile) {
		switch s, err := store.Get(vendor, unit.Profile); {
		case err == nil:
			secret = s
			rows = append(rows, statusRow{Vendor: vendor, Part: secretName, Value: "set", Source: storeLabel(store) + " (profile " + unit.Profile + ")"})
		case errors.Is(err, secrets.ErrUnavailable):
			if !*storeWarned {
				*storeWarned = true
				f.Warnf("the credential store (%s) cannot be read, so stored secrets are not listed; secrets from the environment or --env-file are still listed and used", store.Name())
			}
		case !errors.Is(err, secrets.ErrNotFound):
			f.Warnf("%v", err)
		}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	if secret == "" {
		rows = append(rows, statusRow{Vendor: vendor, Part: secretName, Value: "missing"})
	}
	for _, ig := range unit.Ignored {
		rows = append(rows, statusRow{Vendor: vendor, Part: "ignored", Value: shortSource(ig), Source: "replaced by " + shortSource(unit.Source)})
	}
	va := vendorAuths()[vendor]
	if secret != "" && va.status != nil {
		for _, r := range va.status(f, unit, secret) {
			r.Vendor = vendor
			rows = append(rows, r)
		}
	}
	if !check {
		return rows, nil
	}
	err = checkUnit(ctx, f, unit, secret)
	row := statusRow{Vendor: vendor, Part: "check", Value: "ok", Source: "the site"}
	switch {
	case err == nil:
		f.Infof("%s: %s accepted the credentials", vendor, unit.String("host"))
	case api.KindOf(err) == api.KindAuth:
		row.Value = "refused"
	case isUnreachable(err):
		row.Value = "unreachable"
	default:
		row.Value = "failed"
	}
	if err != nil {
		err = fmt.Errorf("%s: %w", vendor, err)
	}
	return append(rows, row), err
}

// checkUnit verifies the unit's credentials against its site.
func checkUnit(ctx context.Context, f *cmdutil.Factory, unit *cmdutil.Conn, secret string) error {
	if _, err := f.HTTPOptionsFor(unit.Unit); err != nil {
		return err
	}
	if unit.String("host") == "" {
		return cmdutil.UnitHint(unit, &api.UsageError{Err: fmt.Errorf("no %s host configured", unit.Vendor)})
	}
	if secret == "" {
		_, _, err := unit.Secret()
		return err
	}
	va := vendorAuths()[unit.Vendor]
	if va.check != nil {
		return va.check(ctx, f, unit, secret)
	}
	return va.verify(ctx, f, unit.Unit, secret)
}

func isUnreachable(err error) bool {
	var ue *api.UnreachableError
	return errors.As(err, &ue)
}

// worstError picks the error that decides the exit code: usage (2) before refused credentials (3) before anything
// else (unreachable sites: 1). The others are printed as warnings.
func worstError(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	rank := func(err error) int {
		switch api.KindOf(err) {
		case api.KindUsage:
			return 0
		case api.KindAuth:
			return 1
		}
		return 2
	}
	best := errs[0]
	for _, e := range errs[1:] {
		if rank(e) < rank(best) {
			best = e
		}
	}
	if len(errs) == 1 {
		return best
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	return &rankedError{err: best, msg: strings.Join(msgs, "\n")}
}

// rankedError carries several failures with the exit code of the worst.
type rankedError struct {
	err error
	msg string
}

func (e *rankedError) Error() string { return e.msg }
func (e *rankedError) Unwrap() error { return e.err }

// otherProfiles lists the sites saved in the profiles that are not selected, so that status shows what exists.
func otherProfiles(cfg *config.Config, store secrets.Store, vendors []string) []statusRow {
	var rows []statusRow
	for _, p := range cfg.Profiles() {
		if p.Current {
			continue
		}
		for _, vendor := range vendors {
			host := p.Vendors[vendor]["host"]
			if host == "" {
				continue
			}
			src := "profile " + p.Name
			if _, err := store.Get(vendor, p.Name); err == nil {
				src += ", secret in " + storeLabel(store)
			}
			rows = append(rows, statusRow{Vendor: vendor, Part: "other profile", Value: host, Source: src})
		}
	}
	return rows
}

// shortSource keeps a source readable in a narrow table: the config file path and the env file's directory go.
func shortSource(s string) string {
	switch {
	case strings.HasPrefix(s, "config "):
		if i := strings.LastIndex(s, "(profile "); i >= 0 {
			return strings.TrimSuffix(s[i+1:], ")")
		}
		if strings.HasPrefix(s, "config ") && strings.Contains(s, "profile ") {
			return s
		}
		return "config file"
	case strings.HasPrefix(s, "profile "):
		if i := strings.Index(s, " (config "); i >= 0 {
			return s[:i]
		}
	case strings.HasPrefix(s, "env-file "):
		rest := strings.TrimPrefix(s, "env-file ")
		path, tail, _ := strings.Cut(rest, " (")
		if tail != "" {
			return strings.TrimSuffix(tail, ")") + " in " + filepath.Base(path)
		}
		return "env-file " + filepath.Base(path)
	}
	return s
}

// clip keeps a table cell within n runes so that auth status fits a 100-column terminal.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// storeLabel names the credential store without its location: "keyring" or "file".
func storeLabel(store secrets.Store) string {
	name, _, _ := strings.Cut(store.Name(), " ")
	return name
}

// configAndStore loads the configuration and the credential store it selects.
func configAndStore(f *cmdutil.Factory) (*config.Config, secrets.Store, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, nil, err
	}
	store, err := f.SecretStore()
	return cfg, store, err
}
