package cmd_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/infractl/infra/cmd"
	praCatalog "github.com/infractl/infra/pkg/catalog/pra"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/engine"
	"github.com/infractl/infra/pkg/sim/prasim"
)

// praOpsList is the operation list of the PRA Configuration API document 1.10 kept with the catalog; the guide's
// list names the 154 operations the API guide documents.
const (
	praOpsList   = "../pkg/catalog/pra/testdata/pra-config-openapi-1.10-operations.txt"
	praGuideList = "../pkg/catalog/pra/testdata/pra-config-operations.txt"
)

// e2eSecret is the simulator's client secret in these tests.
const e2eSecret = "e2e-secret-0123456789"

// praSite is a seeded PRA simulator behind a test server, with what it was asked.
type praSite struct {
	sim *prasim.Server
	url string

	mu   sync.Mutex
	seen []seenRequest
}

type seenRequest struct {
	method, path string
	status       int
}

func newPRASite(t *testing.T) *praSite {
	t.Helper()
	s := &praSite{sim: prasim.New(prasim.Options{ClientID: "e2e-client", ClientSecret: e2eSecret, Seed: true})}
	srv := httptest.NewServer(observe(s.sim, func(r *http.Request, status int) {
		s.mu.Lock()
		s.seen = append(s.seen, seenRequest{r.Method, r.URL.Path, status})
		s.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// take returns the Configuration API requests seen since the last call.
func (s *praSite) take() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []seenRequest
	for _, r := range s.seen {
		if strings.HasPrefix(r.path, prasim.ConfigBase) {
			out = append(out, r)
		}
	}
	s.seen = nil
	return out
}

// e2eRunner runs `infra pra …` in process, through the real command tree, with an isolated configuration, token
// cache and credential store.
type e2eRunner struct {
	dir string
}

func (e *e2eRunner) run(site *praSite, stdin string, args ...string) (code int, stdout, stderr string) {
	ios, in, out, errOut := cmdutil.Test()
	in.WriteString(stdin)
	env := map[string]string{
		"INFRA_PRA_HOST":          site.url,
		"INFRA_PRA_CLIENT_ID":     "e2e-client",
		"INFRA_PRA_CLIENT_SECRET": e2eSecret,
		"INFRA_SECRET_STORE":      "file",
		"INFRA_CONFIG_DIR":        filepath.Join(e.dir, "config"),
		"INFRA_CACHE_DIR":         filepath.Join(e.dir, "cache"),
	}
	f := cmdutil.New(ios, cmdutil.BuildInfo{Version: "test"}, func(k string) string { return env[k] })
	code = cmd.Run(context.Background(), f, append([]string{"pra"}, args...))
	return code, out.String(), errOut.String()
}

func readOpList(t *testing.T, name string) []string {
	t.Helper()
	fh, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if line := strings.Join(strings.Fields(sc.Text()), " "); line != "" {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// pathArgs extracts the positional arguments of op from a concrete path of its template.
func pathArgs(op *engine.Op, path string) ([]string, error) {
	tmpl := strings.Split(strings.Trim(op.Path, "/"), "/")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(tmpl) != len(segs) {
		return nil, fmt.Errorf("path %s does not fit %s", path, op.Path)
	}
	params := map[string]string{}
	for i, t := range tmpl {
		if strings.HasPrefix(t, "{") {
			params[strings.Trim(t, "{}")] = segs[i]
		} else if t != segs[i] {
			return nil, fmt.Errorf("path %s does not fit %s", path, op.Path)
		}
	}
	var args []string
	for _, a := range op.Args {
		v, ok := params[a.Param]
		if !ok {
			return nil, fmt.Errorf("argument %s names no parameter of %s", a.Name, op.Path)
		}
		args = append(args, v)
	}
	if len(args) != len(params) {
		return nil, fmt.Errorf("%d positional arguments for %d path parameters of %s", len(args), len(params), op.Path)
	}
	return args, nil
}

var e2eFormats = []string{"table", "json", "yaml", "csv", "kv"}

// TestPRAEveryOperation drives each of the 222 operations of the PRA Configuration API document 1.10 (the guide's
// 154 and the other 68) through its typed `infra pra` command against the simulator: a valid request (ids of
// existing items, a valid body passed with --json), exit code 0, the simulator answering that very method and path
// with a success; reads are rendered in every output format, downloads saved with --file.
//
// Reads share one simulator; every other operation gets a fresh one, so no operation depends on another's outcome.
func TestPRAEveryOperation(t *testing.T) {
	all := readOpList(t, praOpsList)
	guide := readOpList(t, praGuideList)
	if len(all) != 222 || len(guide) != 154 {
		t.Fatalf("%d document operations (want 222), %d guide operations (want 154)", len(all), len(guide))
	}
	if sim := prasim.Operations(); !slices.Equal(sim, sortedCopy(all)) {
		t.Fatalf("the simulator's document has %d operations, not the list's %d (or different ones)", len(sim), len(all))
	}
	commands := map[string]praCatalog.Operation{}
	for _, o := range praCatalog.Operations() {
		commands[o.Op.Method+" "+o.Op.Path] = o
	}
	for _, g := range guide {
		if !slices.Contains(all, g) {
			t.Errorf("guide operation %s is not in the document list", g)
		}
	}

	dir := t.TempDir()
	// The token cache and the file credential store are found through the process environment.
	t.Setenv("INFRA_CONFIG_DIR", filepath.Join(dir, "config"))
	t.Setenv("INFRA_CACHE_DIR", filepath.Join(dir, "cache"))
	r := &e2eRunner{dir: dir}
	reads := newPRASite(t)
	inGuide := map[string]bool{}
	for _, g := range guide {
		inGuide[g] = true
	}
	passed := 0
	for _, line := range all {
		method, tmpl, _ := strings.Cut(line, " ")
		t.Run(line, func(t *testing.T) {
			o, ok := commands[line]
			if !ok {
				t.Fatalf("no infra pra command for %s", line)
			}
			op := o.Op
			site := reads
			if method != http.MethodGet {
				site = newPRASite(t)
			}
			path, body, err := site.sim.ExampleRequest(method, tmpl)
			if err != nil {
				t.Fatal(err)
			}
			pos, err := pathArgs(op, path)
			if err != nil {
				t.Fatal(err)
			}
			args := append(slices.Clone(o.Command), pos...)
			stdin := ""
			if body != nil {
				if len(op.Body) == 0 {
					t.Fatalf("infra pra %s takes no request body, but the operation needs %v", strings.Join(o.Command, " "), body)
				}
				b, err := json.Marshal(body)
				if err != nil {
					t.Fatal(err)
				}
				if hasSecret(body) {
					// Credentials never go through a file name or a flag in the examples: stdin.
					stdin = string(b)
					args = append(args, "--json", "-")
				} else {
					file := filepath.Join(t.TempDir(), "body.json")
					if err := os.WriteFile(file, b, 0o600); err != nil {
						t.Fatal(err)
					}
					args = append(args, "--json", file)
				}
			}
			if op.Confirm == engine.ConfirmIrreversible {
				args = append(args, "--yes")
			}
			var dl string
			if op.Kind == engine.KindDownload {
				dl = filepath.Join(t.TempDir(), "download.bin")
				args = append(args, "--file", dl)
			}
			site.take()
			code, stdout, stderr := r.run(site, stdin, append(args, "-o", "json")...)
			cmdline := "infra pra " + strings.Join(args, " ") + " -o json"
			if code != 0 {
				t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", cmdline, code, stdout, stderr)
			}
			reqs := site.take()
			var answered bool
			for _, q := range reqs {
				if q.method != method || q.path != prasim.ConfigBase+path {
					t.Errorf("%s sent %s %s, want only %s %s", cmdline, q.method, q.path, method, prasim.ConfigBase+path)
				}
				answered = answered || q.status/100 == 2
			}
			if !answered {
				t.Fatalf("%s: the simulator answered no %s %s with a success: %+v", cmdline, method, path, reqs)
			}
			var data any
			if strings.TrimSpace(stdout) != "" {
				if err := json.Unmarshal([]byte(stdout), &data); err != nil {
					t.Fatalf("%s printed no JSON: %v\n%s", cmdline, err, stdout)
				}
			}
			if op.Kind == engine.KindDownload {
				checkDownload(t, cmdline, dl, data)
			}
			if method == http.MethodGet && op.Kind != engine.KindDownload {
				renderEveryFormat(t, r, site, args, data)
			}
			passed++
		})
	}
	if passed != len(all) {
		t.Errorf("%d of %d operations work through infra pra", passed, len(all))
	}
	// Reported for the record: the guide's operations are part of the count above.
	t.Logf("%d operations (%d of the guide) run through infra pra against the simulator", passed, len(inGuide))
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func hasSecret(body map[string]any) bool {
	for k := range body {
		if praCatalog.IsSecret(k) {
			return true
		}
	}
	return false
}

// checkDownload checks that the file was saved whole and reported as {file, bytes}.
func checkDownload(t *testing.T, cmdline, file string, printed any) {
	t.Helper()
	st, err := os.Stat(file)
	if err != nil {
		t.Fatalf("%s saved no file: %v", cmdline, err)
	}
	if st.Size() == 0 {
		t.Fatalf("%s saved an empty file", cmdline)
	}
	res, _ := printed.(map[string]any)
	if res["file"] != file || res["bytes"] != float64(st.Size()) {
		t.Fatalf("%s printed %v, want {file: %s, bytes: %d}", cmdline, printed, file, st.Size())
	}
}

// isEmpty reports whether a decoded answer holds no data.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// renderEveryFormat runs a read again in each output format and checks each parses as what it claims to be and
// shows the data when there is some.
func renderEveryFormat(t *testing.T, r *e2eRunner, site *praSite, args []string, data any) {
	t.Helper()
	for _, format := range e2eFormats {
		code, stdout, stderr := r.run(site, "", append(slices.Clone(args), "-o", format)...)
		cmdline := "infra pra " + strings.Join(args, " ") + " -o " + format
		if code != 0 {
			t.Errorf("%s: exit %d\n%s", cmdline, code, stderr)
			continue
		}
		out := strings.TrimSpace(stdout)
		if out == "" {
			if !isEmpty(data) {
				t.Errorf("%s printed nothing for %v", cmdline, data)
			}
			continue
		}
		switch format {
		case "json":
			var v any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Errorf("%s: not JSON: %v\n%s", cmdline, err, out)
			}
		case "yaml":
			var v any
			if err := yaml.Unmarshal([]byte(out), &v); err != nil {
				t.Errorf("%s: not YAML: %v\n%s", cmdline, err, out)
			}
		case "csv":
			recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
			switch {
			case err != nil:
				t.Errorf("%s: not CSV: %v\n%s", cmdline, err, out)
			case !isEmpty(data) && len(recs) < 2:
				t.Errorf("%s: a header and no rows for %v\n%s", cmdline, data, out)
			}
		case "kv":
			for _, l := range strings.Split(out, "\n") {
				if l != "" && !strings.Contains(l, "=") {
					t.Errorf("%s: line %q is not key=value", cmdline, l)
					break
				}
			}
		case "table":
			if !isEmpty(data) && !bytes.ContainsAny([]byte(out), "\n ") {
				t.Errorf("%s: %q is no table", cmdline, out)
			}
		}
	}
}
