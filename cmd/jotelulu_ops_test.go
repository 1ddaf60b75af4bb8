package cmd_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infractl/infra/cmd"
	"github.com/infractl/infra/internal/sim/jotelulusim"
	jot "github.com/infractl/infra/pkg/api/jotelulu"
	"github.com/infractl/infra/pkg/cmdutil"
)

// recorder remembers "METHOD path status" of every request the simulator answered.
type recorder struct {
	mu   sync.Mutex
	seen []string
	h    http.Handler
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	observe(r.h, func(req *http.Request, code int) {
		r.mu.Lock()
		r.seen = append(r.seen, req.Method+" "+req.URL.EscapedPath()+" "+http.StatusText(code))
		r.mu.Unlock()
	}).ServeHTTP(w, req)
}

type joteluluHarness struct {
	t     *testing.T
	sim   *jotelulusim.Server
	rec   *recorder
	env   map[string]string
	input string
	tty   bool
}

func newJoteluluHarness(t *testing.T) *joteluluHarness {
	tok := jotelulusim.MakeToken("test", time.Now().Add(time.Hour))
	sim := jotelulusim.New(jotelulusim.Options{Token: tok, Seed: true})
	rec := &recorder{h: sim}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	return &joteluluHarness{t: t, sim: sim, rec: rec, env: map[string]string{
		"INFRA_JOTELULU_HOST": srv.URL, "INFRA_JOTELULU_TOKEN": tok, "INFRA_CONFIG_DIR": dir + "/config",
		"INFRA_CACHE_DIR": dir + "/cache", "INFRA_SECRET_STORE": "file", "HOME": dir, "NO_COLOR": "1",
	}}
}

// run drives the real command tree in process and returns exit code, stdout and stderr.
func (h *joteluluHarness) run(args ...string) (int, string, string) {
	streams, in, out, errOut := cmdutil.Test()
	in.WriteString(h.input)
	if h.tty {
		streams.InTTY, streams.ErrTTY, streams.NeverPrompt = true, true, false
	}
	f := cmdutil.New(streams, cmdutil.BuildInfo{Version: "test"}, func(k string) string { return h.env[k] })
	code := cmd.Run(context.Background(), f, append([]string{"jotelulu"}, args...))
	return code, out.String(), errOut.String()
}

func (h *joteluluHarness) ok(args ...string) string {
	h.t.Helper()
	code, out, errOut := h.run(args...)
	if code != 0 {
		h.t.Fatalf("infra jotelulu %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// TestJoteluluEveryOperation sends each of the 33 operations of the operation list through the binary's command
// tree and checks that the simulator received its method and path and answered with success.
func TestJoteluluEveryOperation(t *testing.T) {
	h := newJoteluluHarness(t)
	w := []string{"--poll-interval", "1ms"}
	h.ok("org", "list")
	h.ok("org", "user", "list")
	h.ok("org", "user", "create", "--email", "zoe@acme.example")
	h.ok("server", "subscription", "list")
	h.ok("server", "instance", "list", "--subscription", "Production")
	h.ok("server", "nic", "list", "--subscription", "Production", "--instance", "web-01")
	h.ok("server", "nic", "create", "--subscription", "Production", "--instance", "db-01", "--network", "frontend")
	h.ok("server", "nic", "ips", jotelulusim.SeedNICWebID, "--subscription", "Production", "--instance", "web-01")
	h.ok("network", "isolated", "list", "--subscription", "Production")
	h.ok("network", "isolated", "create", "--subscription", "Production", "--name", "dmz", "--network", "10.30.0.0", "--netmask", "255.255.255.0", "--gateway", "10.30.0.1")
	h.ok("network", "public-ip", "list", "--subscription", "Production")
	h.ok("network", "public-ip", "create", "--subscription", "Production", "--network", "backend")
	h.ok("firewall", "rule", "list", "--subscription", "Production", "--network", "backend")
	h.ok("firewall", "rule", "create", "--subscription", "Production", "--network", "backend", "--protocol", "UDP", "--source-ip", "0.0.0.0/0", "--public-port", "53", "--private-port", "53", "--nic-ip", "10.10.0.20")
	h.ok("firewall", "rule", "delete", jotelulusim.SeedRuleTCPID, "--subscription", "Production", "--network", "backend", "--yes")
	h.ok("firewall", "rule", "delete", jotelulusim.SeedRuleICMPID, "--subscription", "Production", "--network", "backend", "--yes")
	h.ok("rd", "catalog", "list")
	h.ok("rd", "catalog", "tags")
	h.ok("rd", "subscription", "list")
	h.ok(append([]string{"rd", "subscription", "create", "--name", "Sales", "--wait"}, w...)...)
	h.sim.FailNext("createremotedesktopsubscription")
	if code, _, _ := h.run(append([]string{"rd", "subscription", "create", "--name", "Broken", "--wait"}, w...)...); code != 1 {
		t.Fatalf("failed deployment: exit %d, want 1", code)
	}
	var insts []map[string]any
	if err := json.Unmarshal([]byte(h.ok("rd", "instance", "list", "--subscription", "Broken", "-o", "json")), &insts); err != nil || len(insts) != 1 {
		t.Fatalf("instances of Broken: %v %v", insts, err)
	}
	h.ok(append([]string{"rd", "instance", "retry", insts[0]["name"].(string), "--subscription", "Broken", "--wait"}, w...)...)
	h.ok("rd", "instance", "progress", "office-01", "--subscription", "Office")
	h.ok("rd", "user", "list", "--subscription", "Office", "--instance", "office-01")
	h.ok("rd", "user", "add", "--subscription", "Office", "--instance", "office-01", "--users", jotelulusim.SeedUserLuisID)
	h.ok("rd", "user", "update", jotelulusim.SeedRDUserID, "--subscription", "Office", "--instance", "office-01", "--rdp-access")
	h.ok("rd", "app", "list", "--subscription", "Office")
	h.ok(append([]string{"rd", "app", "deploy", "--subscription", "Office", "--instance", "office-01", "--application", jotelulusim.SeedCatalogGimpID, "--wait"}, w...)...)
	h.ok(append([]string{"rd", "app", "update", jotelulusim.SeedInstanceAppID, "--subscription", "Office", "--name", "Office suite", "--wait"}, w...)...)
	h.ok("rd", "app", "grant", jotelulusim.SeedInstanceAppID, "--subscription", "Office", "--users", "luis@acme.example")
	h.ok("rd", "app", "users", jotelulusim.SeedInstanceAppID, "--subscription", "Office")
	h.ok("rd", "app", "revoke", jotelulusim.SeedInstanceAppID, jotelulusim.SeedRDUserID, "--subscription", "Office", "--yes")
	h.ok("rd", "user", "remove", jotelulusim.SeedRDUserID, "--subscription", "Office", "--yes")

	ids := readOperationList(t, "../pkg/catalog/jotelulu/testdata/jotelulu-operations.txt")
	if len(ids) != 33 {
		t.Fatalf("operation list has %d entries, want 33", len(ids))
	}
	for _, id := range ids {
		op, ok := jot.Lookup(id)
		if !ok {
			t.Errorf("%s: not in the operation table", id)
			continue
		}
		re := regexp.MustCompile("^" + op.Method + " " + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(op.Path), `[^/]+`) + " (OK|Created|Accepted)$")
		found := false
		for _, s := range h.rec.seen {
			found = found || re.MatchString(s)
		}
		if !found {
			t.Errorf("%s: no successful %s %s was sent", id, op.Method, op.Path)
		}
	}
}

func readOperationList(t *testing.T, path string) []string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var ids []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if id, _, ok := strings.Cut(strings.TrimSpace(sc.Text()), "\t"); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// TestJoteluluConfirmOnTerminal: irreversible operations ask on a terminal; only "y" goes ahead.
func TestJoteluluConfirmOnTerminal(t *testing.T) {
	h := newJoteluluHarness(t)
	h.tty = true
	h.input = "n\n"
	code, _, errOut := h.run("rd", "user", "remove", jotelulusim.SeedRDUserID, "--subscription", "Office")
	if code != 2 || !strings.Contains(errOut, "This cannot be undone. [y/N]") || !strings.Contains(errOut, "cancelled") {
		t.Fatalf("answer n: exit %d, stderr %q", code, errOut)
	}
	if n := h.sim.Calls("deleteremotedesktopuser"); n != 0 {
		t.Fatalf("answer n: %d delete requests sent", n)
	}
	h.input = "y\n"
	code, _, errOut = h.run("rd", "app", "revoke", jotelulusim.SeedInstanceAppID, jotelulusim.SeedRDUserID, "--subscription", "Office")
	if code != 0 || h.sim.Calls("removeapplicationfromuser") != 1 {
		t.Fatalf("answer y: exit %d, %d requests, stderr %q", code, h.sim.Calls("removeapplicationfromuser"), errOut)
	}
	h.input = "yes\n"
	code, _, errOut = h.run("firewall", "rule", "delete", jotelulusim.SeedRuleICMPID, "--subscription", "Production", "--network", "backend")
	if code != 0 || h.sim.Calls("deletefirewallinboundruleicmp") != 1 {
		t.Fatalf("answer yes: exit %d, stderr %q", code, errOut)
	}
}

// TestJoteluluLoginPrompts: `infra auth login jotelulu` (the docs' first example) prompts for the token on a
// terminal, stores it, and commands use it.
func TestJoteluluLoginPrompts(t *testing.T) {
	h := newJoteluluHarness(t)
	tok := h.env["INFRA_JOTELULU_TOKEN"]
	host := h.env["INFRA_JOTELULU_HOST"]
	// The token is stored in the profile with its host: a unit comes from one source.
	delete(h.env, "INFRA_JOTELULU_TOKEN")
	delete(h.env, "INFRA_JOTELULU_HOST")
	h.tty = true
	h.input = tok + "\n"
	streams, in, out, errOut := cmdutil.Test()
	in.WriteString(h.input)
	streams.InTTY, streams.ErrTTY, streams.NeverPrompt = true, true, false
	f := cmdutil.New(streams, cmdutil.BuildInfo{Version: "test"}, func(k string) string { return h.env[k] })
	if code := cmd.Run(context.Background(), f, []string{"auth", "login", "jotelulu", "--host", host}); code != 0 {
		t.Fatalf("login: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "API token (JWT): ") || strings.Contains(errOut.String()+out.String(), tok) {
		t.Fatalf("prompt/echo: stderr %q", errOut)
	}
	h.tty, h.input = false, ""
	if out := h.ok("org", "list"); !strings.Contains(out, "Acme") {
		t.Fatalf("org list with the stored token: %q", out)
	}
}

// TestJoteluluWaitStatusOnTerminal: on a terminal --wait draws a status line on stderr, and stdout gets only the
// settled object.
func TestJoteluluWaitStatusOnTerminal(t *testing.T) {
	h := newJoteluluHarness(t)
	h.tty = true
	code, out, errOut := h.run("rd", "app", "deploy", "--subscription", "Office", "--instance", "office-01",
		"--application", jotelulusim.SeedCatalogGimpID, "--wait", "--poll-interval", "1ms", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "\rapplication ") || !strings.Contains(errOut, ": installing (") {
		t.Errorf("no status line on stderr: %q", errOut)
	}
	var app map[string]any
	if err := json.Unmarshal([]byte(out), &app); err != nil || app["state"] != "installed" {
		t.Errorf("stdout = %q (%v)", out, err)
	}
}
