package cmd_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/infractl/infra/internal/sim/prasim"
	"github.com/infractl/infra/pkg/kv"
)

// TestPRABtapiKeyValueEveryBody sends a valid body of every PRA create and update the btapi way: flattened to
// key=value (nested objects and lists as btapi's -K output writes them) and piped to `infra pra -k add|update PATH`.
func TestPRABtapiKeyValueEveryBody(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("INFRA_CONFIG_DIR", dir+"/config")
	t.Setenv("INFRA_CACHE_DIR", dir+"/cache")
	r := &e2eRunner{dir: dir}
	verbs := map[string]string{http.MethodPost: "add", http.MethodPatch: "update", http.MethodPut: "update"}
	n := 0
	for _, line := range readOpList(t, praOpsList) {
		method, tmpl, _ := strings.Cut(line, " ")
		verb, ok := verbs[method]
		if !ok {
			continue
		}
		t.Run(line, func(t *testing.T) {
			site := newPRASite(t)
			path, body, err := site.sim.ExampleRequest(method, tmpl)
			if err != nil {
				t.Fatal(err)
			}
			if len(body) == 0 {
				return // an action without a body (rotate, check-in, …): nothing to pipe; TestPRAEveryOperation runs it
			}
			var in bytes.Buffer
			if err := kv.Encode(&in, kv.Flatten(body)); err != nil {
				t.Fatal(err)
			}
			site.take()
			code, _, stderr := r.run(site, in.String(), "-k", verb, strings.TrimPrefix(path, "/"))
			if code != 0 {
				t.Fatalf("exit %d\nstdin:\n%s\nstderr: %s", code, in.String(), stderr)
			}
			var hit bool
			for _, s := range site.take() {
				if s.method == method && s.path == prasim.ConfigBase+path && s.status < 300 {
					hit = true
				}
			}
			if !hit {
				t.Fatalf("the simulator did not answer %s %s with a success", method, path)
			}
			n++
		})
	}
	if n == 0 {
		t.Fatal("no operation ran")
	}
}
