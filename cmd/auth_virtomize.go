package cmd

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	virtomizecmd "github.com/infractl/infra/cmd/virtomize"
	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/virtomize"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/config"
)

// pinVirtomize is trust on first use for the appliance's (usually self-signed) certificate: it reads the certificate
// the appliance presents, shows its fingerprint and, once confirmed, saves it as virtomize.fingerprint in the profile.
// Later connections accept exactly that certificate and refuse any other with a warning.
//
// Confirmation: a prompt on a terminal; without one, --fingerprint (checked against what is presented) or --yes.
func pinVirtomize(ctx context.Context, f *cmdutil.Factory, unit *config.Unit, o loginOptions) (*config.Unit, error) {
	base, err := virtomize.BaseURL(unit.String("host"))
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(base)
	if u.Scheme != "https" {
		if o.Fingerprint != "" {
			return nil, usageErrorf("--fingerprint: %s uses plain HTTP, there is no certificate to pin", base)
		}
		f.Warnf("%s uses plain HTTP: the password and tokens travel unencrypted", base)
		return unit, nil
	}
	hopts, err := f.HTTPOptionsFor(unit)
	if err != nil {
		return nil, err
	}
	if hopts.Insecure && o.Fingerprint == "" {
		f.Warnf("--insecure: not pinning the certificate of %s; every connection will skip certificate verification", u.Host)
		return unit, nil
	}
	fp, cert, err := api.FetchLeafFingerprint(ctx, u.Host, hopts.Timeout)
	if err != nil {
		return nil, fmt.Errorf("reading the certificate of %s: %w", u.Host, err)
	}
	old := unit.String("fingerprint")
	if old != "" {
		if n, err := api.NormalizePin(old); err == nil {
			old = n
		}
	}
	// The pin is saved with the rest of the unit once the whole login has succeeded.
	save := func(how string) (*config.Unit, error) {
		if how != "" {
			f.Infof("accepted the certificate of %s (%s)%s", u.Host, fp, how)
		}
		return unit.With("fingerprint", fp, pinnedNow), nil
	}
	if o.Fingerprint != "" {
		want, err := api.NormalizePin(o.Fingerprint)
		if err != nil {
			return nil, usageErrorf("--fingerprint: %v", err)
		}
		if want != fp {
			return nil, &api.AuthError{Err: fmt.Errorf("the appliance %s presents the certificate %s, not the expected %s: nothing was saved "+
				"(someone may be intercepting the connection, or the fingerprint was copied wrongly)", u.Host, fp, want)}
		}
		return save("")
	}
	if old == fp {
		f.Infof("the certificate of %s matches the pinned fingerprint %s", u.Host, fp)
		return unit, nil
	}
	fmt.Fprint(f.IO.ErrOut, describeCert(u.Host, fp, cert))
	if old != "" {
		fmt.Fprintf(f.IO.ErrOut, "WARNING: this is NOT the certificate pinned for profile %q:\n  pinned:    %s\n  presented: %s\n"+
			"Accept it only if you know the appliance's certificate was replaced.\n", unit.Profile, old, fp)
	}
	switch {
	case f.G.Yes:
		return save(" (accepted with --yes)")
	case f.IO.CanPrompt():
		ok, err := f.IO.Confirm(ctx, fmt.Sprintf("Trust this certificate and pin it for profile %q?", unit.Profile))
		if err != nil && ctx.Err() != nil {
			return nil, err
		}
		if ok {
			return save("")
		}
		return nil, usageErrorf("certificate not trusted: nothing was saved")
	}
	return nil, usageErrorf("cannot ask whether to trust the certificate of %s without a terminal: compare the fingerprint with the "+
		"appliance console and pass --fingerprint %s (or --yes to accept whatever is presented)", u.Host, fp)
}

func describeCert(host, fp string, c *x509.Certificate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The appliance %s presents this certificate:\n", host)
	fmt.Fprintf(&b, "  subject:     %s\n", c.Subject.String())
	if c.Issuer.String() == c.Subject.String() {
		fmt.Fprintf(&b, "  issuer:      (self-signed)\n")
	} else {
		fmt.Fprintf(&b, "  issuer:      %s\n", c.Issuer.String())
	}
	if len(c.DNSNames) > 0 || len(c.IPAddresses) > 0 {
		var names []string
		names = append(names, c.DNSNames...)
		for _, ip := range c.IPAddresses {
			names = append(names, ip.String())
		}
		fmt.Fprintf(&b, "  names:       %s\n", strings.Join(names, ", "))
	}
	fmt.Fprintf(&b, "  valid:       %s to %s\n", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "  fingerprint: %s\n", fp)
	return b.String()
}

// verifyVirtomize checks the user name and password by minting a token (not cached: the password itself is tested).
func verifyVirtomize(ctx context.Context, f *cmdutil.Factory, unit *config.Unit, secret string) error {
	o, err := virtomizecmd.HTTPOptions(f, unit)
	if err != nil {
		return err
	}
	cl, err := virtomize.New(o, virtomize.Settings{Host: unit.String("host"), Username: unit.String("username"), Password: secret})
	if err != nil {
		return err
	}
	if _, err := cl.Token(ctx); err != nil {
		return refusedCredentials(err)
	}
	return nil
}

// logoutVirtomize revokes the profile's cached token at the appliance (POST /destroy) and deletes it. When the
// appliance cannot be reached the token is still forgotten locally, with a warning.
func logoutVirtomize(ctx context.Context, f *cmdutil.Factory, unit *config.Unit) error {
	base, err := virtomize.BaseURL(unit.String("host"))
	if err != nil {
		return nil
	}
	cache := api.NewFileTokenCache(f.TokenCacheDir())
	key := virtomize.CacheKey(base, unit.String("username"))
	cl, err := virtomizecmd.NewClient(f, unit, func() (string, error) {
		return "", &api.AuthError{Err: errors.New("no cached token to revoke")}
	})
	if err == nil {
		var res map[string]any
		res, err = cl.Logout(ctx)
		if err == nil {
			f.Infof("%v", res["message"])
		}
	}
	if err != nil {
		var ue *api.UsageError
		if errors.As(err, &ue) {
			return err
		}
		f.Warnf("could not revoke the token at the appliance: %v", err)
	}
	_ = cache.Delete(key)
	return nil
}

// statusVirtomize reports the pinned certificate and whether a token is cached for the unit's site and user.
func statusVirtomize(f *cmdutil.Factory, unit *cmdutil.Conn, _ string) []statusRow {
	var rows []statusRow
	base, err := virtomize.BaseURL(unit.String("host"))
	if !unit.Get("fingerprint").IsSet && err == nil && strings.HasPrefix(base, "https://") {
		rows = append(rows, statusRow{Part: "certificate", Value: "not pinned"})
	}
	if err == nil {
		if t, err := api.NewFileTokenCache(f.TokenCacheDir()).Load(virtomize.CacheKey(base, unit.String("username"))); err == nil && t != nil && t.Valid() {
			rows = append(rows, statusRow{Part: "token", Value: "cached until " + t.Expiry.UTC().Format(time.RFC3339), Source: "token cache"})
		}
	}
	return rows
}
