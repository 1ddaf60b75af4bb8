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
	"github.com/infractl/infra/internal/sim/prasim"
	"github.com/infractl/infra/pkg/api/request"
	praCatalog "github.com/infractl/infra/pkg/catalog/pra"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/kv"
)

// The operation lists kept with the catalog: every operation of the PRA Configuration API document 1.10, and the 154
// the API guide documents.
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
	data         bool // the answer is JSON holding something (not null, [] or {})
}

// recordWriter remembers the status and body of an answer.
type recordWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *recordWriter) WriteHeader(c int) { w.status = c; w.ResponseWriter.WriteHeader(c) }

func (w *recordWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

// holdsData reports whether an answer is JSON with something in it.
func (w *recordWriter) holdsData() bool {
	var v any
	return strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") && json.Unmarshal(w.body.Bytes(), &v) == nil && !isEmpty(v)
}

func newPRASite(t *testing.T) *praSite {
	t.Helper()
	s := &praSite{sim: prasim.New(prasim.Options{ClientID: "e2e-client", ClientSecret: e2eSecret, Seed: true})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &recordWriter{ResponseWriter: w, status: http.StatusOK}
		s.sim.ServeHTTP(rw, r)
		s.mu.Lock()
		s.seen = append(s.seen, seenRequest{r.Method, r.URL.Path, rw.status, rw.holdsData()})
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
func pathArgs(op *request.Op, path string) ([]string, error) {
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

// e2eFormats are the output formats; json comes first, as the reference the others are compared with.
var e2eFormats = []string{"json", "table", "yaml", "csv", "kv"}

// TestPRAEveryOperation drives each of the 222 operations of the PRA Configuration API document 1.10 (the guide's
// 154 and the other 68) through its typed `infra pra` command against the simulator, once in each output format: a
// valid request (ids of existing items, a valid body passed with --json, --yes where confirmation is asked, --file for
// downloads), exit code 0, the simulator answering that very method and path with a success, and output that parses
// as the format and holds the answer (the same items or fields as the JSON output).
//
// Reads share one simulator; every other run gets a fresh one, so no operation depends on another's outcome.
func TestPRAEveryOperation(t *testing.T) {
	all := readOpList(t, praOpsList)
	guide := readOpList(t, praGuideList)
	if len(all) != 222 || len(guide) != 154 {
		t.Fatalf("%d document operations (want 222), %d guide operations (want 154)", len(all), len(guide))
	}
	if sim := prasim.Operations(); !slices.Equal(sim, sortedCopy(all)) {
		t.Fatalf("the simulator's document has %d operations, not the list's %d (or different ones)", len(sim), len(all))
	}
	for _, g := range guide {
		if !slices.Contains(all, g) {
			t.Errorf("guide operation %s is not in the document list", g)
		}
	}
	commands := map[string]praCatalog.Operation{}
	for _, o := range praCatalog.Operations() {
		commands[o.Op.Method+" "+o.Op.Path] = o
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
	passed, guidePassed := 0, 0
	for _, line := range all {
		method, tmpl, _ := strings.Cut(line, " ")
		t.Run(line, func(t *testing.T) {
			o, ok := commands[line]
			if !ok {
				t.Fatalf("no infra pra command for %s", line)
			}
			var ref any // the JSON answer
			for _, format := range e2eFormats {
				site := reads
				if method != http.MethodGet {
					site = newPRASite(t)
				}
				out := runOperation(t, r, site, o, method, tmpl, format)
				if format == "json" {
					ref = checkJSON(t, o.Op, out)
					continue
				}
				checkFormat(t, o.Op, format, out, ref)
			}
			if !t.Failed() {
				passed++
				if inGuide[line] {
					guidePassed++
				}
			}
		})
	}
	if passed != len(all) {
		t.Errorf("%d of %d operations work through infra pra in every output format: %d of the guide's %d, %d of the other %d",
			passed, len(all), guidePassed, len(guide), passed-guidePassed, len(all)-len(guide))
	}
}

// runOperation runs the command of one operation with a valid request in one output format and checks that it
// exits 0 after the simulator answered that operation with a success. It returns stdout.
func runOperation(t *testing.T, r *e2eRunner, site *praSite, o praCatalog.Operation, method, tmpl, format string) string {
	t.Helper()
	op := o.Op
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
			// Credentials go on stdin, as users are told to pass them.
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
	if op.Confirm == request.ConfirmIrreversible {
		args = append(args, "--yes")
	}
	var dl string
	if op.Kind == request.KindDownload {
		dl = filepath.Join(t.TempDir(), "download.bin")
		args = append(args, "--file", dl)
	}
	args = append(args, "-o", format)
	cmdline := "infra pra " + strings.Join(args, " ")
	site.take()
	code, stdout, stderr := r.run(site, stdin, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", cmdline, code, stdout, stderr)
	}
	reqs := site.take()
	answered, withData := false, false
	for _, q := range reqs {
		if q.method != method || q.path != prasim.ConfigBase+path {
			t.Errorf("%s sent %s %s, want only %s %s", cmdline, q.method, q.path, method, prasim.ConfigBase+path)
		}
		answered = answered || q.status/100 == 2
		withData = withData || q.status/100 == 2 && q.data
	}
	if !answered {
		t.Fatalf("%s: the simulator answered no %s %s with a success: %+v", cmdline, method, path, reqs)
	}
	// A read shows what it reads. (Additions the document answers without a body — a Group Policy's new member —
	// report "done" on stderr whatever the simulator sends back.)
	if withData && method == http.MethodGet && op.Kind != request.KindDownload && strings.TrimSpace(stdout) == "" {
		t.Errorf("%s printed nothing, though the simulator answered with data", cmdline)
	}
	if dl != "" {
		checkDownload(t, cmdline, dl, format, stdout)
	}
	return stdout
}

// checkJSON checks the JSON output against what the operation answers and returns it decoded.
func checkJSON(t *testing.T, op *request.Op, out string) any {
	t.Helper()
	if strings.TrimSpace(out) == "" {
		if op.Kind != request.KindNone {
			t.Fatalf("-o json printed nothing")
		}
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("-o json printed no JSON: %v\n%s", err, out)
	}
	switch op.Kind {
	case request.KindNone:
		t.Fatalf("an operation answering nothing printed %s", out)
	case request.KindList:
		if _, ok := v.([]any); !ok {
			t.Fatalf("a list printed %s", out)
		}
	case request.KindDownload:
		if m, ok := v.(map[string]any); !ok || m["file"] == nil || m["bytes"] == nil {
			t.Fatalf("a download printed %s, want {file, bytes}", out)
		}
	case request.KindObject:
		// Documented as an object; a few answer with a list, as their prose says (the nodes of a Jumpoint).
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 {
				t.Fatalf("an object answer printed %s", out)
			}
		case []any:
		default:
			t.Fatalf("an object answer printed %s", out)
		}
	}
	return v
}

// shape is what two renderings of one answer must share: the number of items of a list, the field names of an
// object.
func shape(v any) string {
	switch x := v.(type) {
	case []any:
		return fmt.Sprintf("%d items", len(x))
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return "fields " + strings.Join(keys, ",")
	}
	return "a value"
}

// checkFormat checks one rendering of an answer against the JSON one.
func checkFormat(t *testing.T, op *request.Op, format, out string, ref any) {
	t.Helper()
	trimmed := strings.TrimSpace(out)
	if ref == nil || isEmpty(ref) {
		if op.Kind == request.KindNone && trimmed != "" {
			t.Errorf("-o %s: an operation answering nothing printed %q", format, out)
		}
		return
	}
	if trimmed == "" {
		t.Errorf("-o %s printed nothing for %s", format, shape(ref))
		return
	}
	switch format {
	case "yaml":
		var v any
		if err := yaml.Unmarshal([]byte(out), &v); err != nil {
			t.Errorf("-o yaml: not YAML: %v\n%s", err, out)
		} else if shape(v) != shape(ref) {
			t.Errorf("-o yaml shows %s, -o json %s\n%s", shape(v), shape(ref), out)
		}
	case "kv":
		pairs, err := kv.Parse(strings.NewReader(out))
		if err != nil {
			t.Errorf("-o kv: not key=value: %v\n%s", err, out)
			return
		}
		v, err := kv.Unflatten(pairs)
		if err != nil {
			t.Errorf("-o kv: %v\n%s", err, out)
		} else if shape(v) != shape(ref) {
			t.Errorf("-o kv shows %s, -o json %s\n%s", shape(v), shape(ref), out)
		}
	case "csv":
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Errorf("-o csv: not CSV: %v\n%s", err, out)
			return
		}
		if want := rows(ref) + 1; len(recs) != want {
			t.Errorf("-o csv: %d records for %s, want a header and %d rows\n%s", len(recs), shape(ref), want-1, out)
		}
	case "table":
		lines := strings.Split(trimmed, "\n")
		if want := rows(ref) + 1; len(lines) < want {
			t.Errorf("-o table: %d lines for %s, want a header and at least %d more\n%s", len(lines), shape(ref), want-1, out)
		}
		if lines[0] != strings.ToUpper(lines[0]) {
			t.Errorf("-o table: first line %q is no header", lines[0])
		}
	}
}

// rows is the number of rows a table or CSV shows for an answer: one per item of a list, one for an object.
func rows(v any) int {
	if l, ok := v.([]any); ok {
		return len(l)
	}
	return 1
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

// checkDownload checks that the download saved a non-empty file and, in JSON, reported it as {file, bytes}.
func checkDownload(t *testing.T, cmdline, file, format, stdout string) {
	t.Helper()
	st, err := os.Stat(file)
	if err != nil {
		t.Fatalf("%s saved no file: %v", cmdline, err)
	}
	if st.Size() == 0 {
		t.Fatalf("%s saved an empty file", cmdline)
	}
	if format != "json" {
		return
	}
	var res struct {
		File  string `json:"file"`
		Bytes int64  `json:"bytes"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.File != file || res.Bytes != st.Size() {
		t.Fatalf("%s printed %q, want {file: %s, bytes: %d}", cmdline, stdout, file, st.Size())
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
