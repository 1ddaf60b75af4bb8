package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/config"
	"github.com/infractl/infra/pkg/config/secrets"
)

// Conn is a vendor's connection unit (host, identity, TLS trust) resolved from one source, with access to its secret.
type Conn struct {
	*config.Unit
	f *Factory
}

// Unit resolves the connection unit of vendor. Mixed sources, or an explicit profile together with environment or
// env-file connection settings, are a usage error (exit 2) raised before anything is sent.
func (f *Factory) Unit(vendor string) (*Conn, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	u, err := cfg.Unit(vendor)
	if err != nil {
		return nil, &api.UsageError{Err: err}
	}
	return &Conn{Unit: u, f: f}, nil
}

// Identity returns the client id or user name of the unit ("" for vendors identified by their token alone).
func (c *Conn) Identity() string {
	if n := config.IdentityName(c.Vendor); n != "" {
		return c.String(n)
	}
	return ""
}

// Secret returns the unit's secret and where it came from. A unit from the profile (or one that no source sets)
// takes it from the profile's credential store entry; a unit from the environment, an env file or flags must carry
// its own: the profile's stored secret belongs to the profile's site.
func (c *Conn) Secret() (string, string, error) {
	name := config.SecretName(c.Vendor)
	if v := c.Get(name); v.IsSet && v.Value != "" {
		return v.Value, v.Source, nil
	}
	if c.Kind != "" && c.Kind != config.UnitProfile {
		return "", "", &api.AuthError{Err: fmt.Errorf("no %s %s: %s sets %s but not %s; set it there too, or unset "+
			"those settings to use profile %q (`infra auth login %s`)", c.Vendor, strings.ReplaceAll(name, "_", " "),
			c.Source, strings.Join(c.Names(), ", "), c.NameOf(name), c.Profile, c.Vendor)}
	}
	store, err := c.f.SecretStore()
	if err != nil {
		return "", "", err
	}
	s, err := store.Get(c.Vendor, c.Profile)
	if err == nil && s != "" {
		return s, store.Name() + " (profile " + c.Profile + ")", nil
	}
	env := config.EnvName(c.Vendor + "." + name)
	hint := fmt.Sprintf("run `infra auth login %s --profile %s`, or set %s (or pass --env-file)", c.Vendor, c.Profile, env)
	if errors.Is(err, secrets.ErrUnavailable) {
		return "", "", &api.AuthError{Err: fmt.Errorf("no %s credential: %v; %s", c.Vendor, err, hint)}
	}
	return "", "", &api.AuthError{Err: fmt.Errorf("no %s credential for profile %q: %s", c.Vendor, c.Profile, hint)}
}
