package config

import (
	"slices"
	"testing"
)

func TestChildEnvDropsSecrets(t *testing.T) {
	names := SecretEnvNames()
	for _, want := range []string{"INFRA_PRA_CLIENT_SECRET", "BT_CLIENT_SECRET", "INFRA_VIRTOMIZE_PASSWORD", "INFRA_VIRTOMIZE_CLIENT_SECRET", "INFRA_JOTELULU_TOKEN"} {
		if !slices.Contains(names, want) {
			t.Errorf("SecretEnvNames lacks %s: %v", want, names)
		}
	}
	in := []string{
		"PATH=/bin", "INFRA_PRA_CLIENT_SECRET=s", "BT_CLIENT_SECRET=s", "BT_CLIENT_ID=id", "INFRA_PRA_CLIENT_ID=id",
		"INFRA_VIRTOMIZE_PASSWORD=p", "infra_jotelulu_token=t", "INFRA_FUTURE_API_KEY=k", "INFRA_X_PASSPHRASE=p",
		"INFRA_PRA_HOST=h", "HOME=/h", "GITHUB_TOKEN=keep", "=C:=C:\\",
	}
	got := ChildEnv(in)
	want := []string{"PATH=/bin", "BT_CLIENT_ID=id", "INFRA_PRA_CLIENT_ID=id", "INFRA_PRA_HOST=h", "HOME=/h", "GITHUB_TOKEN=keep", "=C:=C:\\"}
	if !slices.Equal(got, want) {
		t.Errorf("ChildEnv = %q, want %q", got, want)
	}
}
