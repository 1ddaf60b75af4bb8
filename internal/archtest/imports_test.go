// Package archtest holds the import rules of docs/architecture.md as a test, so a change that breaks a layer fails in
// CI instead of in review.
package archtest

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/infractl/infra/"

type pkgDeps struct {
	ImportPath string
	Deps       []string
	Standard   bool
}

// listDeps runs `go list -deps` on pattern and returns, for every package of this module it matched, its transitive
// dependencies.
func listDeps(t *testing.T, pattern string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps", pattern)
	cmd.Dir = "../.."
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list %s: %v\n%s", pattern, err, stderr.String())
	}
	res := map[string][]string{}
	dec := json.NewDecoder(&out)
	for dec.More() {
		var p pkgDeps
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		res[p.ImportPath] = p.Deps
	}
	if len(res) == 0 {
		t.Fatalf("go list %s matched no package", pattern)
	}
	return res
}

// rule: every package matched by pattern must not depend (directly or not) on a path starting with any of forbidden.
type rule struct {
	pattern   string
	why       string
	forbidden []string
	stdOnly   bool // only the standard library and this module's own leaf packages listed in allow
	allow     []string
}

var rules = []rule{
	{pattern: "./pkg/api/request", why: "the request model is a leaf: the standard library only", stdOnly: true},
	{pattern: "./pkg/api/...", why: "API clients execute calls and know nothing of the command line",
		forbidden: []string{"github.com/spf13/cobra", "github.com/spf13/viper", "github.com/spf13/pflag",
			module + "pkg/config", module + "pkg/engine", module + "pkg/cmdutil", module + "pkg/output",
			module + "pkg/catalog", module + "internal/sim", module + "cmd"}},
	{pattern: "./pkg/catalog/...", why: "catalogs are data over the request model",
		forbidden: []string{"github.com/spf13/cobra", "github.com/spf13/viper", module + "pkg/engine",
			module + "pkg/cmdutil", module + "pkg/config", module + "internal/sim", module + "cmd"}},
	{pattern: "./internal/sim/...", why: "simulators are independent oracles: never routed from the client's or the catalog's tables",
		forbidden: []string{module + "pkg/api/pra", module + "pkg/api/virtomize", module + "pkg/api/jotelulu",
			module + "pkg/catalog", module + "pkg/engine", module + "pkg/cmdutil", module + "cmd",
			"github.com/spf13/cobra"}},
	{pattern: "./pkg/engine/...", why: "the engine builds commands from catalogs; vendors plug in through hooks",
		forbidden: []string{module + "cmd", module + "internal/sim", module + "pkg/api/pra", module + "pkg/api/virtomize",
			module + "pkg/api/jotelulu", module + "pkg/catalog"}},
	{pattern: "./pkg/output/...", why: "renderers know nothing of flags or configuration",
		forbidden: []string{"github.com/spf13/cobra", "github.com/spf13/viper", module + "pkg/config", module + "pkg/cmdutil",
			module + "pkg/engine", module + "pkg/api"}},
	{pattern: "./pkg/kv", why: "the key=value codec serves input and output alike and depends on nothing",
		stdOnly: true},
	{pattern: "./pkg/jsonq", why: "JSON string quoting is shared by the renderers and the clients' streaming converters",
		stdOnly: true},
}

func TestImportRules(t *testing.T) {
	for _, r := range rules {
		for pkg, deps := range listDeps(t, r.pattern) {
			for _, d := range deps {
				if r.stdOnly {
					if strings.Contains(strings.SplitN(d, "/", 2)[0], ".") && !allowed(d, r.allow) {
						t.Errorf("%s depends on %s: %s", pkg, d, r.why)
					}
					continue
				}
				for _, f := range r.forbidden {
					if d == f || strings.HasPrefix(d, f+"/") {
						t.Errorf("%s depends on %s: %s", pkg, d, r.why)
					}
				}
			}
		}
	}
}

func allowed(d string, allow []string) bool {
	for _, a := range allow {
		if d == a {
			return true
		}
	}
	return false
}
