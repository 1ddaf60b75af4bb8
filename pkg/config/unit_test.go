package config

import (
	"path/filepath"
	"strings"
	"testing"
)

const unitConfig = `default_profile: lab
profiles:
  lab:
    pra: {host: lab.example.com, client_id: lab-id, fingerprint: "sha256:` + "aa" + `"}
    virtomize: {host: 10.0.0.5, username: admin}
  prod:
    pra: {host: prod.example.com, client_id: prod-id}
`

func TestUnitResolvesFromOneSource(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeFile(t, filepath.Join(dir, "config.yaml"), strings.Replace(unitConfig, `"sha256:aa"`, "x", 1), 0o600)
	envPath := writeFile(t, filepath.Join(dir, "site.env"), "BT_API_HOST=file.example.com\nBT_CLIENT_ID=file-id\nBT_CLIENT_SECRET=file-secret\n", 0o600)
	full := map[string]string{"INFRA_PRA_HOST": "env.example.com", "INFRA_PRA_CLIENT_ID": "env-id", "INFRA_PRA_CLIENT_SECRET": "env-secret"}
	tests := []struct {
		name             string
		opts             LoadOptions
		environ          map[string]string
		kind, host, id   string
		refused, message string
	}{
		{name: "profile alone", kind: UnitProfile, host: "lab.example.com", id: "lab-id"},
		{name: "complete environment replaces the default profile", environ: full, kind: UnitEnv, host: "env.example.com", id: "env-id"},
		{name: "complete btapi variables", environ: map[string]string{"BT_API_HOST": "bt.example.com", "BT_CLIENT_ID": "bt-id", "BT_CLIENT_SECRET": "s"},
			kind: UnitBTEnv, host: "bt.example.com", id: "bt-id"},
		{name: "env file", opts: LoadOptions{EnvFile: envPath}, kind: UnitEnvFile, host: "file.example.com", id: "file-id"},
		{name: "btapi id and secret with the profile's host", environ: map[string]string{"BT_CLIENT_ID": "a", "BT_CLIENT_SECRET": "b"},
			refused: "mixed", message: `the environment (btapi) sets BT_CLIENT_ID, BT_CLIENT_SECRET, while profile "lab"`},
		{name: "INFRA host with btapi id and secret", environ: map[string]string{"INFRA_PRA_HOST": "h", "BT_CLIENT_ID": "a", "BT_CLIENT_SECRET": "b"},
			refused: "mixed", message: "either set INFRA_PRA_CLIENT_ID, INFRA_PRA_CLIENT_SECRET in the environment too, or unset INFRA_PRA_HOST"},
		{name: "environment trust with the profile's site", environ: map[string]string{"INFRA_PRA_INSECURE": "true"},
			refused: "mixed", message: "the environment sets INFRA_PRA_INSECURE"},
		{name: "explicit --profile with a complete environment", opts: LoadOptions{Profile: "prod"}, environ: full,
			refused: "profile", message: "--profile prod selects profile \"prod\", but the environment also sets PRA connection settings"},
		{name: "INFRA_PROFILE with an env file", opts: LoadOptions{EnvFile: envPath}, environ: map[string]string{"INFRA_PROFILE": "prod"},
			refused: "profile", message: "INFRA_PROFILE=prod selects profile \"prod\", but env-file " + envPath},
		{name: "explicit --profile alone", opts: LoadOptions{Profile: "prod"}, kind: UnitProfile, host: "prod.example.com", id: "prod-id"},
		{name: "non-connection settings still layer", opts: LoadOptions{Profile: "prod"}, environ: map[string]string{"INFRA_PRA_RATE_LIMIT": "5"},
			kind: UnitProfile, host: "prod.example.com", id: "prod-id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.ConfigFile, o.Getenv = cfgPath, env(tt.environ)
			c := mustLoad(t, o)
			u, err := c.Unit("pra")
			if tt.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tt.message) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.Kind != tt.kind || u.String("host") != tt.host || u.String("client_id") != tt.id {
				t.Errorf("unit = %s %q %q, want %s %q %q", u.Kind, u.String("host"), u.String("client_id"), tt.kind, tt.host, tt.id)
			}
			// Nothing of another source leaks into the unit.
			if u.Kind != UnitProfile && u.Get("fingerprint").IsSet {
				t.Errorf("the profile's pin leaked into a %s unit", u.Kind)
			}
		})
	}
}

func TestUnitIgnoredAndMissing(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeFile(t, filepath.Join(dir, "config.yaml"), strings.Replace(unitConfig, `"sha256:aa"`, "x", 1), 0o600)
	c := mustLoad(t, LoadOptions{ConfigFile: cfgPath, Getenv: env(map[string]string{
		"INFRA_VIRTOMIZE_HOST": "v.example.com", "INFRA_VIRTOMIZE_USERNAME": "u", "INFRA_VIRTOMIZE_PASSWORD": "p"})})
	u, err := c.Unit("virtomize")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Ignored) != 1 || !strings.HasPrefix(u.Ignored[0], `profile "lab"`) || len(u.Missing()) != 0 {
		t.Errorf("ignored %v, missing %v", u.Ignored, u.Missing())
	}
	p := c.ProfileUnit("virtomize")
	if p.String("host") != "10.0.0.5" || strings.Join(p.Missing(), ",") != "password" {
		t.Errorf("profile unit: host %q, missing %v", p.String("host"), p.Missing())
	}
	if w := p.With("host", "other", "flag --host").Without("username"); w.String("host") != "other" || w.Get("username").IsSet || p.String("host") != "10.0.0.5" {
		t.Errorf("With/Without changed the original or did not apply")
	}
}
