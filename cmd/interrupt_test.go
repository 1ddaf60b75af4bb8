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
)

// TestInterruptExitCode: cancelling the context (what Ctrl-C does in Main) stops a request in flight and exits 130.
func TestInterruptExitCode(t *testing.T) {
	arrived := make(chan struct{})
	stop := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		select { // never answers
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer srv.Close()
	defer close(stop)
	t.Setenv("INFRA_CONFIG_DIR", t.TempDir())
	t.Setenv("INFRA_CACHE_DIR", t.TempDir())
	env := map[string]string{
		"INFRA_PRA_HOST": srv.URL, "INFRA_PRA_CLIENT_ID": "id", "INFRA_PRA_CLIENT_SECRET": "secret", "INFRA_SECRET_STORE": "file",
	}
	io, _, _, errOut := cmdutil.Test()
	f := cmdutil.New(io, cmdutil.BuildInfo{Version: "t"}, func(k string) string { return env[k] })
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	code := cmd.Run(ctx, f, []string{"pra", "jump-group", "list"})
	if code != 130 {
		t.Fatalf("exit %d, want 130; stderr: %s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "interrupted") {
		t.Fatalf("stderr: %q", errOut)
	}
}
