package cmd_test

import (
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infractl/infra/internal/sim/virtomizesim"
)

// TestTerminalConfirmationNamesTheObject: the question names the verb, the object, its id and its name (fetched
// with the resource's get); answering no cancels (exit 2) and nothing is deleted.
func TestTerminalConfirmationNamesTheObject(t *testing.T) {
	t.Parallel()
	env := terminalEnv(t)
	r := startOnPTY(t, env, "pra", "jump-group", "delete", "1")
	r.waitFor(`Delete jump-group 1 "Production Servers"? This cannot be undone. [y/N]`)
	if _, err := io.WriteString(r.ptmx, "n\r"); err != nil {
		t.Fatal(err)
	}
	if code := r.finish(); code != 2 || !strings.Contains(r.screen(), "cancelled") {
		t.Fatalf("exit %d, want 2 (cancelled); terminal: %q", code, r.screen())
	}
	if res := runInfra(t, env, "", "pra", "jump-group", "get", "1", "-o", "json"); res.code != 0 {
		t.Fatalf("the jump group was deleted after no: exit %d", res.code)
	}
	// A nested resource reads as "shell-jump item"; a missing object is asked about by id alone.
	r = startOnPTY(t, env, "pra", "jump-item", "delete", "shell-jump", "999")
	r.waitFor(`Delete shell-jump item 999? This cannot be undone. [y/N]`)
	_, _ = io.WriteString(r.ptmx, "n\r")
	r.finish()
	// Bulk: the count and the objects.
	ids := filepath.Join(t.TempDir(), "ids.csv")
	if err := os.WriteFile(ids, []byte("id\n2\n3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = startOnPTY(t, env, "pra", "jump-group", "delete", "--from-file", ids)
	r.waitFor(`Delete 2 jump-groups? This cannot be undone. [y/N]`)
	_, _ = io.WriteString(r.ptmx, "n\r")
	r.finish()
}

// TestTerminalWaitTicksAndWaitTimeout: while waiting, the status line's elapsed time moves every second even when the
// appliance is asked far less often, and --wait-timeout bounds the wait.
func TestTerminalWaitTicksAndWaitTimeout(t *testing.T) {
	t.Parallel()
	sim := virtomizesim.New(virtomizesim.Options{Username: "admin", Password: "tty-pass", Seed: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	env := append(terminalEnv(t), "INFRA_VIRTOMIZE_HOST="+srv.URL, "INFRA_VIRTOMIZE_USERNAME=admin",
		"INFRA_VIRTOMIZE_PASSWORD=tty-pass", "INFRA_VIRTOMIZE_POLL_INTERVAL=1h")
	res := runInfra(t, env, "", "virtomize", "vm", "create", "--name", "tick", "--owner", "1", "--cpu", "2", "--ram", "4GB",
		"--disc", "40GB", "--oskey", "3", "--clusterkey", "1", "--datastore", "auto", "--network", "1", "--jq", ".key")
	if res.code != 0 {
		t.Fatalf("vm create: exit %d: %s", res.code, res.stderr)
	}
	key := strings.TrimSpace(res.stdout)
	r := startOnPTY(t, env, "virtomize", "vm", "wait", key, "--wait-timeout", "3s")
	r.waitFor("installing (1s)")
	r.waitFor("installing (2s)")
	if code := r.finish(); code != 1 || !strings.Contains(r.screen(), "is not ready after 3s") || !strings.Contains(r.screen(), "--wait-timeout 30m") {
		t.Fatalf("exit %d, want 1 with the limit named; terminal: %q", code, r.screen())
	}
}
