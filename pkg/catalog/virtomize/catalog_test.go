package virtomize_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
	vapi "github.com/infractl/infra/pkg/api/virtomize"
	vcat "github.com/infractl/infra/pkg/catalog/virtomize"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/engine"
)

type wireRequest struct {
	method, path string
	form         url.Values
	contentType  string
}

var keyParam = regexp.MustCompile(`:([a-z]+)`)

// TestEveryOperationHasACommand runs, for each line of the operation table, the command declared for it
// (with its required flags filled) through the engine and the real client, and checks that exactly that method and
// path reached a recording server, with a form body for POST and PUT.
func TestEveryOperationHasACommand(t *testing.T) {
	list := vcat.Operations()
	root := vcat.Root()
	byLine := map[string][]string{}
	ops := map[string]*request.Op{}
	root.Walk(func(p []string, op *request.Op) {
		k := op.Method + " " + op.Path
		if _, dup := ops[k]; dup {
			t.Errorf("%s is declared twice", k)
		}
		ops[k] = op
		byLine[k] = p[1:]
	})
	if len(ops) != len(list) {
		t.Errorf("catalog declares %d operations, the list has %d", len(ops), len(list))
	}

	var mu sync.Mutex
	var got []wireRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, vapi.APIPrefix)
		if p == "" {
			p = "/"
		}
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		if r.Method == "POST" && p == "/token" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"access_token":"tok-1","expires_in":3600,"token_type":"Bearer"}`)
		}
		mu.Lock()
		got = append(got, wireRequest{r.Method, p, form, r.Header.Get("Content-Type")})
		mu.Unlock()
		if r.Method == "POST" && p == "/token" {
			return
		}
		if r.Method == "GET" && p == "/backup" {
			w.Header().Set("Content-Disposition", `attachment; filename="b.tar.gz"`)
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = io.WriteString(w, "archive")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"key":1,"msg":"ok"}`)
	}))
	defer srv.Close()

	dir := t.TempDir()
	backupFile := filepath.Join(dir, "restore.tar.gz")
	if err := os.WriteFile(backupFile, []byte("archive"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("INFRA_CONFIG_DIR", filepath.Join(dir, "cfg"))
	t.Setenv("INFRA_CACHE_DIR", filepath.Join(dir, "cache"))
	cache := api.NewFileTokenCache(filepath.Join(dir, "tokens"))

	for _, line := range list {
		method, path, _ := strings.Cut(line, " ")
		key := method + " " + keyParam.ReplaceAllString(path, "{$1}")
		op := ops[key]
		if op == nil {
			t.Errorf("%s: no command", line)
			continue
		}
		t.Run(strings.Join(byLine[key], "_"), func(t *testing.T) {
			ios, _, _, errOut := cmdutil.Test()
			f := cmdutil.New(ios, cmdutil.BuildInfo{Version: "t"}, func(string) string { return "" })
			f.G.Yes = true
			f.G.Output = "json"
			cl, err := vapi.New(api.Options{}, vapi.Settings{Host: srv.URL, Username: "admin", Password: "pw", Cache: cache})
			if err != nil {
				t.Fatal(err)
			}
			// A token is cached first so that /destroy has one to revoke.
			if _, err := cl.Token(context.Background()); err != nil {
				t.Fatal(err)
			}
			env := &engine.Env{F: f, Noun: "Virtomize", Backend: func(context.Context) (request.Backend, error) { return cl, nil }}
			c := env.OpCommand(op, "x")
			args := []string{}
			for _, a := range op.Args {
				if op.Upload != nil && a.Param == op.Upload.Arg {
					args = append(args, backupFile)
				} else {
					args = append(args, "7")
				}
			}
			for _, fl := range append(append([]request.Field{}, op.Body...), op.Query...) {
				if !fl.Required {
					continue
				}
				args = append(args, "--"+fl.FlagName()+"="+sample(fl))
			}
			if op.Kind == request.KindDownload {
				args = append(args, "--file", filepath.Join(dir, "backup-"+strings.ReplaceAll(t.Name(), "/", "_")))
			}
			mu.Lock()
			got = nil
			mu.Unlock()
			if err := run(c, args); err != nil {
				t.Fatalf("%s %v: %v (%s)", line, args, err, errOut)
			}
			mu.Lock()
			defer mu.Unlock()
			var sent []wireRequest
			for _, r := range got {
				if r.method+" "+r.path == "POST /token" && line != "POST /token" {
					continue
				}
				sent = append(sent, r)
			}
			if line == "POST /token" {
				// The token was cached; the command reuses it (it mints through POST /token when none is cached).
				return
			}
			if len(sent) != 1 {
				t.Fatalf("%s: sent %d requests: %+v", line, len(sent), sent)
			}
			r := sent[0]
			want := keyParam.ReplaceAllString(path, "7")
			if r.method != method || r.path != want {
				t.Fatalf("sent %s %s, want %s %s", r.method, r.path, method, want)
			}
			if (method == "POST" || method == "PUT") && line != "POST /backup" && r.contentType != "application/x-www-form-urlencoded" {
				t.Errorf("%s: content type %q, want a form", line, r.contentType)
			}
			for _, fl := range op.Body {
				if !fl.Required {
					continue
				}
				name := fl.Name
				if fl.Type == request.Array {
					name += "[0]"
				}
				if r.form.Get(name) == "" {
					t.Errorf("%s: required %s not sent (form %v)", line, name, r.form)
				}
			}
		})
	}
}

// TestTokenMintsThroughPOSTToken: with nothing cached, `token` sends POST /token with the form the reference shows.
func TestTokenMintsThroughPOSTToken(t *testing.T) {
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/rest/v1/token" {
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		}
		_ = r.ParseForm()
		form = r.PostForm
		_, _ = io.WriteString(w, `{"access_token":"tok-2","expires_in":3600,"token_type":"Bearer"}`)
	}))
	defer srv.Close()
	cl, err := vapi.New(api.Options{}, vapi.Settings{Host: srv.URL, Username: "admin", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	op := vcat.Find(vcat.Root(), "token")
	res, err := cl.Invoke(context.Background(), &request.Call{Op: op})
	if err != nil {
		t.Fatal(err)
	}
	if res.(map[string]any)["access_token"] != "tok-2" {
		t.Fatalf("got %v", res)
	}
	want := url.Values{"grant_type": {"client_credentials"}, "client_id": {"admin"}, "client_secret": {"pw"}}
	if form.Encode() != want.Encode() {
		t.Fatalf("form %v, want %v", form, want)
	}
}

func sample(f request.Field) string {
	if len(f.Enum) > 0 {
		return f.Enum[0]
	}
	switch f.Type {
	case request.Integer:
		return "3"
	case request.Boolean:
		return "true"
	case request.Array:
		if f.Items == request.Integer {
			return "3"
		}
		return "a"
	case request.DateTime:
		return "2026-01-02T03:04:05Z"
	}
	return "value"
}

func run(c *cobra.Command, args []string) error {
	c.SetArgs(args)
	c.SetOut(io.Discard)
	c.SetErr(io.Discard)
	c.SilenceErrors = true
	c.SilenceUsage = true
	return c.ExecuteContext(context.Background())
}

// TestTreeNames: the command names the issue asks for exist.
func TestTreeNames(t *testing.T) {
	root := vcat.Root()
	var names []string
	root.Walk(func(p []string, _ *request.Op) { names = append(names, strings.Join(p[1:], " ")) })
	sort.Strings(names)
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for _, n := range []string{
		"vm list", "vm get", "vm create", "vm update", "vm delete", "vm info", "vm install", "vm poweron", "vm poweroff",
		"vm snapshot list", "vm snapshot get", "vm snapshot create", "vm snapshot update", "vm snapshot delete",
		"vm snapshot restore", "vm snapshot update-hardware", "vm params", "cluster datastores", "cluster imagesync",
		"cluster import list", "cluster import run", "cluster networksync", "cluster synchronize", "cluster-credentials test",
		"cluster-defaults list", "callback list", "network free-ip", "vm-network list", "profile create-vm",
		"resource-contingent list", "user permissions", "user current", "usergroup list", "permission-groups", "os list",
		"os get", "notification-filter list", "settings get", "service-settings get", "license get", "eula show",
		"eula accept", "update check", "update run", "logs", "backup download", "backup restore", "version", "api-paths",
	} {
		if !have[n] {
			t.Errorf("no command %q", n)
		}
	}
}

// TestParametersAsTheReference: each operation's flags (plus its path keys and the password read from stdin) are
// exactly the parameters the reference document lists, with its types and required markers. POST /token and POST /destroy are
// handled by the client (credentials from the configuration, the cached token), POST /backup takes the file as an
// argument.
func TestParametersAsTheReference(t *testing.T) {
	want := map[string]map[string]string{} // "METHOD /path" -> name -> "type required"
	for op, params := range readReference(t).params {
		method, path, _ := strings.Cut(op, " ")
		want[method+" "+keyParam.ReplaceAllString(path, "{$1}")] = params
	}
	typeOf := func(f request.Field) string {
		switch f.Type {
		case request.Integer:
			return "int"
		case request.Boolean:
			return "bool"
		case request.DateTime:
			return "timestamp"
		case request.Array:
			if f.Items == request.Integer {
				return "[]int"
			}
			return "[]string"
		}
		if f.Pattern != "" && strings.Contains(f.Help, "duration") {
			return "duration"
		}
		return "string"
	}
	special := map[string]bool{"POST /token": true, "POST /destroy": true, "POST /backup": true}
	vcat.Root().Walk(func(p []string, op *request.Op) {
		k := op.Method + " " + op.Path
		if special[k] {
			return
		}
		got := map[string]string{}
		for _, f := range append(append([]request.Field{}, op.Body...), op.Query...) {
			got[f.Name] = typeOf(f) + " " + fmt.Sprint(f.Required)
		}
		if sf, ok := vcat.SecretField(op); ok {
			got[sf.Name] = typeOf(sf) + " " + fmt.Sprint(sf.Required)
		}
		for _, m := range regexp.MustCompile(`\{([a-z]+)\}`).FindAllStringSubmatch(op.Path, -1) {
			got[m[1]] = "int true"
		}
		w := want[k]
		if w == nil {
			w = map[string]string{}
		}
		for n, v := range w {
			if got[n] != v {
				t.Errorf("%s (%s): parameter %s is %q, the reference says %q", k, strings.Join(p[1:], " "), n, got[n], v)
			}
		}
		for n := range got {
			if _, ok := w[n]; !ok {
				t.Errorf("%s: parameter %s is not in the reference", k, n)
			}
		}
	})
}
