package cmd_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/infractl/infra/cmd"
	"github.com/infractl/infra/internal/sim/virtomizesim"
	"github.com/infractl/infra/pkg/cmdutil"
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

// lineReader hands out one line per Read, as a terminal does.
type lineReader struct{ lines []string }

func (r *lineReader) Read(p []byte) (int, error) {
	if len(r.lines) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.lines[0])
	r.lines[0] = r.lines[0][n:]
	if r.lines[0] == "" {
		r.lines = r.lines[1:]
	}
	return n, nil
}

// TestVirtomizeLoginPromptsToPin: on a terminal, login shows the certificate and pins it only after "y".
func TestVirtomizeLoginPromptsToPin(t *testing.T) {
	cert, fp, err := selfSignedCert("appliance.test")
	if err != nil {
		t.Fatal(err)
	}
	sim := virtomizesim.New(virtomizesim.Options{Username: "admin", Password: "pw-for-test", Seed: true})
	srv := httptest.NewUnstartedServer(sim)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	cfgDir := t.TempDir()
	t.Setenv("INFRA_CONFIG_DIR", cfgDir)
	t.Setenv("INFRA_CACHE_DIR", t.TempDir())
	env := map[string]string{"INFRA_SECRET_STORE": "file", "INFRA_CONFIG_DIR": cfgDir}
	login := func(answers ...string) (int, string) {
		ios, _, _, errOut := cmdutil.Test()
		ios.In = &lineReader{lines: answers}
		ios.InTTY, ios.ErrTTY, ios.NeverPrompt = true, true, false
		f := cmdutil.New(ios, cmdutil.BuildInfo{Version: "t"}, func(k string) string { return env[k] })
		code := cmd.Run(context.Background(), f, []string{"auth", "login", "virtomize", "--host", srv.URL, "--client-id", "admin"})
		return code, errOut.String()
	}
	code, stderr := login("n\n")
	if code != 2 || !strings.Contains(stderr, "fingerprint: "+fp) || !strings.Contains(stderr, "Trust this certificate") ||
		!strings.Contains(stderr, "certificate not trusted") {
		t.Fatalf("answer n: exit %d\n%s", code, stderr)
	}
	cfg, _ := os.ReadFile(filepath.Join(cfgDir, "config.yaml"))
	if strings.Contains(string(cfg), "sha256:") {
		t.Fatalf("pinned after n:\n%s", cfg)
	}
	code, stderr = login("y\n", "pw-for-test\n")
	if code != 0 || !strings.Contains(stderr, "pinned the certificate") {
		t.Fatalf("answer y: exit %d\n%s", code, stderr)
	}
	cfg, _ = os.ReadFile(filepath.Join(cfgDir, "config.yaml"))
	if !strings.Contains(string(cfg), fp) {
		t.Fatalf("fingerprint not in the profile:\n%s", cfg)
	}
	// Logging in again with the same certificate asks nothing about it.
	code, stderr = login("pw-for-test\n")
	if code != 0 || !strings.Contains(stderr, "matches the pinned fingerprint") || strings.Contains(stderr, "Trust this") {
		t.Fatalf("second login: exit %d\n%s", code, stderr)
	}
}

// TestVirtomizePasswordPrompts: on a terminal a required password is prompted for (never echoed to stdout), and
// --password-prompt asks for the root password, which is sent hashed.
func TestVirtomizePasswordPrompts(t *testing.T) {
	sim := virtomizesim.New(virtomizesim.Options{Username: "admin", Password: "pw-for-test", Seed: true, InstallPolls: -1})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	t.Setenv("INFRA_CONFIG_DIR", t.TempDir())
	t.Setenv("INFRA_CACHE_DIR", t.TempDir())
	env := map[string]string{
		"INFRA_VIRTOMIZE_HOST": srv.URL, "INFRA_VIRTOMIZE_USERNAME": "admin", "INFRA_VIRTOMIZE_PASSWORD": "pw-for-test",
		"INFRA_SECRET_STORE": "file",
	}
	run := func(answers []string, args ...string) (int, string, string) {
		ios, _, out, errOut := cmdutil.Test()
		ios.In = &lineReader{lines: answers}
		ios.InTTY, ios.ErrTTY, ios.NeverPrompt = true, true, false
		f := cmdutil.New(ios, cmdutil.BuildInfo{Version: "t"}, func(k string) string { return env[k] })
		code := cmd.Run(context.Background(), f, args)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run([]string{"alice-pw\n"}, "virtomize", "user", "create", "--username", "alice", "-o", "json")
	if code != 0 || !strings.Contains(errOut, "Password: ") || strings.Contains(out+errOut, "alice-pw") {
		t.Fatalf("user create: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	// The new user can log in with the prompted password.
	env["INFRA_VIRTOMIZE_USERNAME"], env["INFRA_VIRTOMIZE_PASSWORD"] = "alice", "alice-pw"
	if code, _, errOut := run(nil, "virtomize", "user", "current"); code != 0 {
		t.Fatalf("login as alice: exit %d: %s", code, errOut)
	}
	env["INFRA_VIRTOMIZE_USERNAME"], env["INFRA_VIRTOMIZE_PASSWORD"] = "admin", "pw-for-test"
	if code, _, errOut := run(nil, "virtomize", "vm", "create", "--name", "p1", "--owner", "1", "--cpu", "1", "--ram", "1GB",
		"--disc", "10GB", "--oskey", "1", "--clusterkey", "1", "--datastore", "auto", "--network", "1"); code != 0 {
		t.Fatalf("vm create: exit %d: %s", code, errOut)
	}
	code, _, errOut = run([]string{"root-pw\n"}, "virtomize", "vm", "install", "2", "--password-prompt")
	if code != 0 || !strings.Contains(errOut, "Root password: ") {
		t.Fatalf("install: exit %d: %s", code, errOut)
	}
	code, out, errOut = run(nil, "virtomize", "vm", "get", "2", "-o", "json", "--jq", ".installparameters")
	if code != 0 {
		t.Fatalf("vm get: %d %s", code, errOut)
	}
	code, out, errOut = run(nil, "virtomize", "vm", "params", strings.TrimSpace(out), "-o", "json")
	if code != 0 || !strings.Contains(out, `"password":"$6$`) || strings.Contains(out, "root-pw") {
		t.Fatalf("params: exit %d: %s %s", code, out, errOut)
	}
}
