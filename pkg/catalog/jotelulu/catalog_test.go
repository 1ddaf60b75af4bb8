package jotelulu

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	jot "github.com/infractl/infra/pkg/api/jotelulu"
	"github.com/infractl/infra/pkg/api/request"
)

// The operation list is a copy of the vendor index (testdata), so the test runs without the shared documents.
func operationList(t *testing.T) []string {
	t.Helper()
	fh, err := os.Open("testdata/jotelulu-operations.txt")
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

func TestEveryOperationHasOneCommand(t *testing.T) {
	c := New()
	byAPI := map[string][]string{}
	for _, g := range c.Groups {
		g.Walk(func(path []string, op *request.Op) {
			meta, ok := c.Meta[op.ID]
			if !ok {
				t.Errorf("%s: no meta for %s", strings.Join(path, " "), op.ID)
			}
			for _, id := range meta.APIOps {
				byAPI[id] = append(byAPI[id], strings.Join(path, " "))
				api, ok := jot.Lookup(id)
				if !ok {
					t.Errorf("%s: unknown operation %s", strings.Join(path, " "), id)
					continue
				}
				// The command sends the table's method; its path is the table's with :params.
				if op.Method != api.Method {
					t.Errorf("%s: method %s, table says %s for %s", strings.Join(path, " "), op.Method, api.Method, id)
				}
				if len(meta.APIOps) == 1 && op.Path != displayPath(api.Path) {
					t.Errorf("%s: path %s, table says %s", strings.Join(path, " "), op.Path, api.Path)
				}
				// Every path parameter is either an argument or a context flag.
				for _, p := range api.PathParams() {
					arg := slices.ContainsFunc(op.Args, func(a request.Arg) bool { return a.Param == p })
					if arg == slices.Contains(meta.Context, p) {
						t.Errorf("%s: parameter %s must be exactly one of argument or context (arg=%v)", strings.Join(path, " "), p, arg)
					}
				}
			}
		})
	}
	ids := operationList(t)
	if len(ids) != 33 {
		t.Fatalf("list has %d operations", len(ids))
	}
	for _, id := range ids {
		if n := len(byAPI[id]); n != 1 {
			t.Errorf("%s: %d commands %v, want exactly 1", id, n, byAPI[id])
		}
	}
	if len(byAPI) != len(ids) {
		t.Errorf("commands cover %d operations, list has %d", len(byAPI), len(ids))
	}
}

func TestCommandNamesFromTheIssue(t *testing.T) {
	want := []string{"org list", "org user list", "org user create", "server subscription list", "server instance list",
		"server nic list", "server nic create", "server nic ips", "network isolated list", "network isolated create",
		"network public-ip list", "network public-ip create", "firewall rule list", "firewall rule create",
		"firewall rule delete", "rd subscription list", "rd subscription create", "rd instance list", "rd instance progress",
		"rd instance retry", "rd user list", "rd user add", "rd user update", "rd user remove", "rd app list", "rd app deploy",
		"rd app update", "rd app grant", "rd app users", "rd app revoke", "rd catalog list", "rd catalog tags"}
	var got []string
	for _, g := range New().Groups {
		g.Walk(func(path []string, _ *request.Op) { got = append(got, strings.Join(path, " ")) })
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("commands:\n got %v\nwant %v", got, want)
	}
}

func TestFieldsAndSafety(t *testing.T) {
	c := New()
	ops := map[string]*request.Op{}
	for _, g := range c.Groups {
		g.Walk(func(path []string, op *request.Op) { ops[strings.Join(path, " ")] = op })
	}
	for _, name := range []string{"firewall rule delete", "rd user remove", "rd app revoke"} {
		if ops[name].Confirm != request.ConfirmIrreversible {
			t.Errorf("%s must confirm", name)
		}
	}
	for name, op := range ops {
		for _, f := range op.Body {
			if strings.Contains(strings.ToLower(f.Name), "password") {
				t.Errorf("%s: password field %s is a flag", name, f.Name)
			}
			if strings.ToLower(f.FlagName()) != f.FlagName() {
				t.Errorf("%s: flag %q is not kebab-case", name, f.FlagName())
			}
		}
	}
	deploy := ops["rd app deploy"]
	flags := map[string]request.Field{}
	for _, f := range deploy.Body {
		flags[f.FlagName()] = f
	}
	if f := flags["instance"]; f.Name != "instanceId" || !f.Required {
		t.Errorf("rd app deploy --instance = %+v", f)
	}
	for _, n := range []string{"application", "name", "tag", "directory", "executable", "arguments"} {
		if _, ok := flags[n]; !ok {
			t.Errorf("rd app deploy has no --%s", n)
		}
	}
	waits := map[string]Wait{}
	for name, op := range ops {
		if w := c.Meta[op.ID].Wait; w != NoWait {
			waits[name] = w
		}
	}
	if len(waits) != 4 || waits["rd subscription create"] != WaitSubscription || waits["rd instance retry"] != WaitInstance ||
		waits["rd app deploy"] != WaitApplication || waits["rd app update"] != WaitApplication {
		t.Errorf("waits = %v", waits)
	}
}

func TestKebab(t *testing.T) {
	for in, want := range map[string]string{"lastName": "last-name", "twoFactorAuthRequired": "two-factor-auth-required", "sourceIp": "source-ip", "name": "name"} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}
