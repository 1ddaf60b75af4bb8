package cmd_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/infractl/infra/cmd"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/sim/virtomizesim"
)

// TestVirtomizeWaitInterrupt: Ctrl-C while `vm install --wait` polls leaves the machine installing, exits 130 and
// prints the command that resumes waiting.
func TestVirtomizeWaitInterrupt(t *testing.T) {
	sim := virtomizesim.New(virtomizesim.Options{Username: "admin", Password: "pw-for-test", Seed: true, InstallPolls: 1000})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	polls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sim.ServeHTTP(w, r)
		if strings.HasSuffix(r.URL.Path, "/info") {
			mu.Lock()
			polls++
			if polls == 2 {
				cancel() // what Ctrl-C does in Main
			}
			mu.Unlock()
		}
	}))
	defer srv.Close()
	t.Setenv("INFRA_CONFIG_DIR", t.TempDir())
	t.Setenv("INFRA_CACHE_DIR", t.TempDir())
	env := map[string]string{
		"INFRA_VIRTOMIZE_HOST": srv.URL, "INFRA_VIRTOMIZE_USERNAME": "admin", "INFRA_VIRTOMIZE_PASSWORD": "pw-for-test",
		"INFRA_SECRET_STORE": "file",
	}
	io, _, out, errOut := cmdutil.Test()
	f := cmdutil.New(io, cmdutil.BuildInfo{Version: "t"}, func(k string) string { return env[k] })
	run := func(args ...string) int { return cmd.Run(context.Background(), f, args) }
	if code := run("virtomize", "vm", "create", "--name", "i1", "--owner", "1", "--cpu", "1", "--ram", "1GB", "--disc", "10GB",
		"--oskey", "1", "--clusterkey", "1", "--datastore", "auto", "--network", "1"); code != 0 {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	out.Reset()
	errOut.Reset()
	f = cmdutil.New(io, cmdutil.BuildInfo{Version: "t"}, func(k string) string { return env[k] })
	code := cmd.Run(ctx, f, []string{"virtomize", "vm", "install", "2", "--wait", "--poll-interval", "10ms"})
	if code != 130 {
		t.Fatalf("exit %d, want 130; stderr: %s", code, errOut)
	}
	for _, want := range []string{"stopped waiting; machine 2 is left as it is", "infra virtomize vm wait 2", "interrupted"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if out.Len() != 0 {
		t.Errorf("stdout: %q", out)
	}
	// The machine was left installing: not deployed, nothing deleted or powered off.
	f = cmdutil.New(io, cmdutil.BuildInfo{Version: "t"}, func(k string) string { return env[k] })
	if code := run("virtomize", "vm", "get", "2", "-o", "json"); code != 0 || !strings.Contains(out.String(), `"deployed":false`) {
		t.Fatalf("vm get: exit %d: %s %s", code, out, errOut)
	}
}
