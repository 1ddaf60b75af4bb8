package cmd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infractl/infra/pkg/config"
	"github.com/infractl/infra/pkg/config/secrets"
)

// When the profile cannot be written, login puts the credential store back as it was: nothing of a failed login
// remains, and a secret stored before survives.
func TestSaveLoginRollsBackTheSecretWhenTheConfigCannotBeWritten(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg, err := config.Load(config.LoadOptions{ConfigFile: cfgPath, Profile: "lab", Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	// The config file's path becomes a directory after loading: the write fails.
	if err := os.Mkdir(cfgPath, 0o700); err != nil {
		t.Fatal(err)
	}
	unit := cfg.ProfileUnit("pra").With("host", "lab.example.com", "flag --host").With("client_id", "lab-id", "flag --client-id")

	store := secrets.NewFile(filepath.Join(dir, "secrets.json"))
	err = saveLogin(cfg, store, unit, "new-secret")
	if err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("err = %v, want the rollback reported", err)
	}
	if _, err := store.Get("pra", "lab"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("after a failed login the store holds a secret (err %v)", err)
	}

	if err := store.Set("pra", "lab", "old-secret"); err != nil {
		t.Fatal(err)
	}
	if err := saveLogin(cfg, store, unit, "new-secret"); err == nil {
		t.Fatal("second login succeeded")
	}
	if s, err := store.Get("pra", "lab"); err != nil || s != "old-secret" {
		t.Errorf("store holds %q (%v), want the earlier secret back", s, err)
	}
}
