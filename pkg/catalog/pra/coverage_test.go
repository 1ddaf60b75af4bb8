package pra_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/infractl/infra/cmd"
	"github.com/infractl/infra/pkg/api/request"
	praCatalog "github.com/infractl/infra/pkg/catalog/pra"
	"github.com/infractl/infra/pkg/cmdutil"
)

// wireRequest is one API call seen by the recorder.
type wireRequest struct {
	Method, Path, Query string
	Body                []byte
}

// recorder is a stand-in PRA site: it mints tokens and answers every Configuration API call with a minimal success,
// remembering what it was sent.
type recorder struct {
	mu   sync.Mutex
	reqs []wireRequest
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path == "/oauth2/token" {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok","token_type":"Bearer","expires_in":3600}`)
		return
	}
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, wireRequest{req.Method, strings.TrimPrefix(req.URL.Path, "/api/config/v1"), req.URL.RawQuery, body})
	r.mu.Unlock()
	p := strings.TrimPrefix(req.URL.Path, "/api/config/v1")
	switch {
	case req.Method == http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	case downloadPath.MatchString(p):
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="../../evil/file.bin"`)
		fmt.Fprint(w, "payload")
	case req.URL.Query().Get("per_page") != "":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-BT-Pagination-Total", "42")
		fmt.Fprint(w, `[]`)
	default:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{}`)
	}
}

var downloadPath = regexp.MustCompile(`^/(openapi\.yaml|cli/[^/]+|jumpoint/[^/]+/installer|jump-client/installer/[^/]+/[^/]+)$`)

func (r *recorder) take() []wireRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

type site struct {
	rec *recorder
	url string
	dir string
}

func newSite(t *testing.T) *site {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "dl"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("INFRA_CACHE_DIR", filepath.Join(dir, "cache"))
	t.Setenv("INFRA_CONFIG_DIR", filepath.Join(dir, "config"))
	return &site{rec: rec, url: srv.URL, dir: dir}
}

// run executes `infra pra args...` in process against the recorder.
func (s *site) run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ios, in, out, errOut := cmdutil.Test()
	in.WriteString(stdin)
	env := map[string]string{
		"INFRA_PRA_HOST":          s.url,
		"INFRA_PRA_CLIENT_ID":     "id",
		"INFRA_PRA_CLIENT_SECRET": "secret",
		"INFRA_SECRET_STORE":      "file",
		"INFRA_CONFIG_DIR":        filepath.Join(s.dir, "config"),
		"INFRA_CACHE_DIR":         filepath.Join(s.dir, "cache"),
	}
	f := cmdutil.New(ios, cmdutil.BuildInfo{Version: "test"}, func(k string) string { return env[k] })
	code = cmd.Run(context.Background(), f, append([]string{"pra"}, args...))
	return code, out.String(), errOut.String()
}

func readOps(t *testing.T, name string) [][2]string {
	t.Helper()
	fh, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out [][2]string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 {
			out = append(out, [2]string{f[0], f[1]})
		}
	}
	return out
}

func findOp(method, path string) *praCatalog.Operation {
	for _, o := range praCatalog.Operations() {
		if o.Op.Method == method && o.Op.Path == path {
			o := o
			return &o
		}
	}
	return nil
}

// argValue is a valid sample for a positional argument.
func argValue(a request.Arg) string {
	if a.Integer {
		return "7"
	}
	if strings.HasPrefix(a.Help, "one of: ") {
		return strings.Split(strings.TrimPrefix(a.Help, "one of: "), ", ")[0]
	}
	return "0123456789abcdef0123456789abcdef"
}

// sample is a valid value for a required body field.
func sample(f request.Field) any {
	if len(f.Enum) > 0 {
		if f.Type == request.Array {
			return []any{f.Enum[0]}
		}
		return f.Enum[0]
	}
	switch f.Type {
	case request.Integer:
		n := int64(3)
		if f.Min != nil && n < *f.Min {
			n = *f.Min
		}
		if f.Max != nil && n > *f.Max {
			n = *f.Max
		}
		return n
	case request.Number:
		return 1.5
	case request.Boolean:
		return true
	case request.DateTime:
		return "2026-01-02T03:04:05Z"
	case request.Array:
		switch f.Items {
		case request.Integer:
			return []any{1}
		case request.Object:
			return []any{map[string]any{}}
		}
		return []any{"a"}
	case request.Object:
		return map[string]any{}
	}
	return strings.Repeat("a", max(f.MinLen, 1))
}

func substitute(op *request.Op, vals []string) string {
	p := op.Path
	for i, a := range op.Args {
		p = strings.Replace(p, "{"+a.Param+"}", vals[i], 1)
	}
	return p
}

// TestEveryOperationIsACommand drives the real command tree for every operation of the guide (154) and of the 1.10
// document (222): the typed command and the btapi-style generic verb each send exactly that method and path.
func TestEveryOperationIsACommand(t *testing.T) {
	guide := readOps(t, "pra-config-operations.txt")
	all := readOps(t, "pra-config-openapi-1.10-operations.txt")
	if len(guide) != 154 || len(all) != 222 {
		t.Fatalf("testdata: %d guide operations (want 154), %d document operations (want 222)", len(guide), len(all))
	}
	if n := len(praCatalog.Operations()); n != 222 || praCatalog.OperationCount != 222 {
		t.Fatalf("catalog has %d operations (OperationCount %d), want 222", n, praCatalog.OperationCount)
	}
	inAll := map[[2]string]bool{}
	for _, o := range all {
		inAll[o] = true
	}
	for _, o := range guide {
		if !inAll[o] {
			t.Errorf("guide operation %s %s is missing from the document list", o[0], o[1])
		}
	}
	s := newSite(t)
	for _, line := range all {
		method, path := line[0], line[1]
		t.Run(method+" "+path, func(t *testing.T) {
			o := findOp(method, path)
			if o == nil {
				t.Fatalf("no command for %s %s", method, path)
			}
			op := o.Op
			var vals []string
			for _, a := range op.Args {
				vals = append(vals, argValue(a))
			}
			want := substitute(op, vals)
			args := append(append([]string(nil), o.Command...), vals...)
			body := map[string]any{}
			for _, f := range op.Body {
				if f.Required && !f.ReadOnly {
					body[f.Name] = sample(f)
				}
			}
			if len(op.Body) > 0 && (method == "PATCH" || method == "PUT") && len(body) == 0 {
				// An update needs at least one field: the first settable one.
				for _, f := range op.Body {
					if !f.ReadOnly && !praCatalog.IsSecret(f.Name) {
						body[f.Name] = sample(f)
						break
					}
				}
			}
			stdin := ""
			if len(op.Body) > 0 && method != "GET" {
				b, _ := json.Marshal(body)
				stdin = string(b)
				args = append(args, "--json", "-")
			}
			if op.Confirm == request.ConfirmIrreversible {
				args = append(args, "--yes")
			}
			dl := filepath.Join(s.dir, "dl", strings.ReplaceAll(strings.Trim(want, "/"), "/", "_"))
			if op.Kind == request.KindDownload {
				args = append(args, "--file", dl)
			}
			code, stdout, stderr := s.run(t, stdin, append(args, "-o", "json")...)
			if code != 0 {
				t.Fatalf("infra pra %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
			}
			check := func(how string) wireRequest {
				reqs := s.rec.take()
				if len(reqs) != 1 {
					t.Fatalf("%s: %d requests sent, want 1: %+v", how, len(reqs), reqs)
				}
				r := reqs[0]
				if r.Method != method || r.Path != want {
					t.Fatalf("%s sent %s %s, want %s %s", how, r.Method, r.Path, method, want)
				}
				return r
			}
			r := check("infra pra " + strings.Join(args, " "))
			if op.Kind == request.KindList && !strings.Contains(r.Query, "per_page=") {
				t.Errorf("list sent no per_page: %q", r.Query)
			}
			if len(body) > 0 {
				var got map[string]any
				d := json.NewDecoder(bytes.NewReader(r.Body))
				d.UseNumber()
				if err := d.Decode(&got); err != nil {
					t.Fatalf("body %q: %v", r.Body, err)
				}
				for k, v := range body {
					g, ok := got[k]
					if !ok {
						t.Errorf("body lacks %s: %s", k, r.Body)
						continue
					}
					if _, isInt := v.(int64); isInt {
						if _, isNum := g.(json.Number); !isNum {
							t.Errorf("%s sent as %T, want a JSON number: %s", k, g, r.Body)
						}
					}
				}
			}
			if op.Kind == request.KindDownload {
				var res struct {
					File  string `json:"file"`
					Bytes int64  `json:"bytes"`
				}
				if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.File != dl || res.Bytes != 7 {
					t.Fatalf("download printed %q, want {file: %s, bytes: 7}", stdout, dl)
				}
			}

			// The btapi verb for the same operation.
			verb := map[string]string{"GET": "get", "POST": "add", "PATCH": "update", "PUT": "update", "DELETE": "delete"}[method]
			if method == "GET" && (op.Kind == request.KindList || op.Kind == request.KindRaw && len(op.Args) == 0) {
				verb = "list"
			}
			gargs := []string{verb, strings.TrimPrefix(want, "/")}
			if op.Kind == request.KindDownload {
				verb = "download"
				gargs = []string{verb, strings.TrimPrefix(want, "/"), "--file", dl + ".btapi"}
			}
			kvIn := ""
			if len(body) > 0 {
				kvIn = toKV(body)
				gargs = append([]string{"-k"}, gargs...)
			}
			code, _, stderr = s.run(t, kvIn, gargs...)
			if code != 0 {
				t.Fatalf("infra pra %s: exit %d\n%s", strings.Join(gargs, " "), code, stderr)
			}
			check("infra pra " + strings.Join(gargs, " "))
		})
	}
}

// toKV writes a body as btapi key=value input.
func toKV(body map[string]any) string {
	var b strings.Builder
	for k, v := range body {
		switch x := v.(type) {
		case string:
			fmt.Fprintf(&b, "%s=%q\n", k, x)
		case []any:
			for i, e := range x {
				if _, isMap := e.(map[string]any); isMap {
					e = "{}"
				}
				fmt.Fprintf(&b, "%s__%d=%v\n", k, i, e)
			}
		case map[string]any:
			fmt.Fprintf(&b, "%s={}\n", k)
		default:
			fmt.Fprintf(&b, "%s=%v\n", k, x)
		}
	}
	return b.String()
}
