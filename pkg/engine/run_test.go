package engine

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/cmdutil"
)

// fakeBackend records the calls it is sent and answers from answers (by the last path parameter), failing the ids
// in fail.
type fakeBackend struct {
	mu      sync.Mutex
	calls   []*request.Call
	answers map[string]any
	fail    map[string]bool
	items   []any
}

func (b *fakeBackend) Invoke(_ context.Context, c *request.Call) (any, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, c)
	id := c.PathParams["id"]
	if b.fail[id] {
		return nil, errors.New("refused")
	}
	return b.answers[id], nil
}

func (b *fakeBackend) List(_ context.Context, c *request.Call, _ request.ListOptions, each func(any) error) error {
	b.mu.Lock()
	b.calls = append(b.calls, c)
	b.mu.Unlock()
	for _, it := range b.items {
		if err := each(it); err != nil {
			return err
		}
	}
	return nil
}

// testRun builds the run of op as its command would, with the flags given already parsed, over be. It returns the
// run and the standard output.
func testRun(t *testing.T, op *request.Op, hooks *Hooks, be request.Backend, args []string, flags ...string) (*opRun, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	t.Setenv("INFRA_CONFIG_DIR", t.TempDir())
	ios, in, out, _ := cmdutil.Test()
	f := cmdutil.New(ios, cmdutil.BuildInfo{Version: "t"}, func(string) string { return "" })
	f.G.Output = "json" // as -o json
	env := &Env{F: f, Noun: "Test", Backend: func(context.Context) (request.Backend, error) { return be, nil }}
	if hooks != nil {
		env.Hooks = func(*request.Op) *Hooks { return hooks }
	}
	r := env.newRun(op, "thing")
	c := &cobra.Command{Use: op.Name}
	r.buildFlags(c)
	if err := c.Flags().Parse(flags); err != nil {
		t.Fatal(err)
	}
	r.bind(c, args)
	return r, in, out
}

var (
	thingCreate = &request.Op{Name: "create", Method: "POST", Path: "/things", Kind: request.KindObject,
		Body:  []request.Field{{Name: "name", Type: request.String, Required: true}, {Name: "size", Type: request.Integer}, {Name: "password", Type: request.String}},
		Query: []request.Field{{Name: "dry_run", Type: request.Boolean}}}
	thingUpdate = &request.Op{Name: "update", Method: "PATCH", Path: "/things/{id}", Kind: request.KindObject,
		Args: []request.Arg{{Param: "id", Name: "ID"}}, Body: []request.Field{{Name: "name", Type: request.String}}}
	thingDelete = &request.Op{Name: "delete", Method: "DELETE", Path: "/things/{id}", Kind: request.KindNone, MultiID: true,
		Confirm: request.ConfirmIrreversible, Args: []request.Arg{{Param: "id", Name: "ID"}}}
	thingGet = &request.Op{Name: "get", Method: "GET", Path: "/things/{id}", Kind: request.KindObject,
		Args: []request.Arg{{Param: "id", Name: "ID"}}, Columns: []string{"id"},
		Query: []request.Field{{Name: "view", Type: request.String, Required: true}}}
)

func TestBuildFlags(t *testing.T) {
	var extra string
	h := &Hooks{
		AdditionalFlags: func(fs *pflag.FlagSet) { fs.StringVar(&extra, "extra", "", "") },
		Secrets:         []string{"password"},
		Configure:       func(c *cobra.Command) { c.Example = "configured" },
	}
	t.Setenv("INFRA_CONFIG_DIR", t.TempDir())
	ios, _, _, _ := cmdutil.Test()
	env := &Env{F: cmdutil.New(ios, cmdutil.BuildInfo{}, func(string) string { return "" }), Hooks: func(*request.Op) *Hooks { return h }}
	c := env.OpCommand(thingCreate, "thing")
	for _, name := range []string{"name", "size", "password", "dry-run", "json", "from-file", "extra"} {
		if c.Flags().Lookup(name) == nil {
			t.Errorf("no --%s", name)
		}
	}
	if !c.Flags().Lookup("password").Hidden || c.Flags().Lookup("name").Hidden {
		t.Error("only the secret field's flag is hidden")
	}
	if c.Flags().Lookup("limit") != nil || c.Flags().Lookup("file") != nil {
		t.Error("a create has no paging or download flags")
	}
	if c.Example != "configured" {
		t.Errorf("Configure not applied: %q", c.Example)
	}
}

func TestPrecheckRefusesSecretFlags(t *testing.T) {
	r, _, _ := testRun(t, thingCreate, &Hooks{Secrets: []string{"password"}}, &fakeBackend{}, nil, "--name", "a", "--password", "hunter2")
	err := r.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "--password is not accepted on the command line") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("got %v", err)
	}
}

func TestPrecheckRequiredQuery(t *testing.T) {
	be := &fakeBackend{}
	r, _, _ := testRun(t, thingGet, nil, be, []string{"5"})
	r.env.Rules.RequiredQuery = true
	if err := r.run(context.Background()); err == nil || !strings.Contains(err.Error(), "--view is required") {
		t.Fatalf("got %v", err)
	}
	if len(be.calls) != 0 {
		t.Fatal("a call was sent")
	}
}

func TestGatherInputPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(file, []byte(`{"name":"from-json","size":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r, in, _ := testRun(t, thingCreate, nil, &fakeBackend{}, nil, "--json", file, "--size", "3")
	r.env.F.G.KVIn = true
	in.WriteString("name=from-kv\nsize=2\n")
	raw, order, err := r.gatherInput(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := rawText(raw["name"]); got != "from-kv" {
		t.Errorf("name = %q, want key=value over --json", got)
	}
	if got := rawText(raw["size"]); got != "3" {
		t.Errorf("size = %q, want the flag over key=value", got)
	}
	if !reflect.DeepEqual(order, []string{"name", "size"}) {
		t.Errorf("order = %v", order)
	}
}

func TestGatherInputJSONAndKVBothOnStdin(t *testing.T) {
	r, _, _ := testRun(t, thingCreate, nil, &fakeBackend{}, nil, "--json", "-")
	r.env.F.G.KVIn = true
	if _, _, err := r.gatherInput(context.Background()); err == nil || !strings.Contains(err.Error(), "both read stdin") {
		t.Fatalf("got %v", err)
	}
}

func TestBuildCall(t *testing.T) {
	r, _, _ := testRun(t, thingCreate, nil, &fakeBackend{}, nil, "--name", "web", "--size", "2", "--dry-run")
	call, err := r.buildCall(r.flagInput())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(call.Body, map[string]any{"name": "web", "size": int64(2)}) {
		t.Errorf("body = %#v", call.Body)
	}
	if call.Query.Get("dry_run") != "true" {
		t.Errorf("query = %v", call.Query)
	}

	r, _, _ = testRun(t, thingCreate, nil, &fakeBackend{}, nil, "--size", "x")
	if _, err := r.buildCall(r.flagInput()); !isUsage(err) || !strings.Contains(err.Error(), "name") || !strings.Contains(err.Error(), "size") {
		t.Errorf("want every problem as a usage error, got %v", err)
	}

	r, _, _ = testRun(t, thingUpdate, nil, &fakeBackend{}, []string{"5"})
	if _, err := r.buildCall(r.flagInput()); err == nil || !strings.Contains(err.Error(), "nothing to update") {
		t.Errorf("empty PATCH: got %v", err)
	}
}

func TestConfirmRun(t *testing.T) {
	r, _, _ := testRun(t, thingDelete, nil, &fakeBackend{}, []string{"1"})
	if err := r.confirmRun(context.Background()); err == nil || !strings.Contains(err.Error(), "pass --yes") {
		t.Fatalf("without a terminal: got %v", err)
	}
	r.env.F.G.Yes = true
	if err := r.confirmRun(context.Background()); err != nil {
		t.Fatalf("--yes: %v", err)
	}
	r, _, _ = testRun(t, thingGet, nil, &fakeBackend{}, []string{"1"})
	if err := r.confirmRun(context.Background()); err != nil {
		t.Fatalf("reversible: %v", err)
	}
}

func TestExecuteMultiIDGoesOn(t *testing.T) {
	be := &fakeBackend{fail: map[string]bool{"2": true}}
	r, _, _ := testRun(t, thingDelete, nil, be, []string{"1", "2", "3"})
	r.env.F.G.Yes = true
	err := r.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "2: refused") {
		t.Fatalf("got %v", err)
	}
	var ids []string
	for _, c := range be.calls {
		ids = append(ids, c.PathParams["id"])
	}
	if !reflect.DeepEqual(ids, []string{"1", "2", "3"}) {
		t.Fatalf("calls for %v", ids)
	}
}

func TestExecuteList(t *testing.T) {
	be := &fakeBackend{items: []any{map[string]any{"id": "1"}, map[string]any{"id": "2"}}}
	op := &request.Op{Name: "list", Method: "GET", Path: "/things", Kind: request.KindList}
	r, _, out := testRun(t, op, nil, be, nil, "--limit", "5")
	if err := r.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"id":"2"`) {
		t.Fatalf("output %q", out)
	}
	if r.list.Limit != 5 {
		t.Fatalf("limit %d", r.list.Limit)
	}
}

// TestHooksAroundTheCall: the per-call hooks run in order on a copy of the call, Run replaces sending it, and After
// decides what is rendered and with which columns.
func TestHooksAroundTheCall(t *testing.T) {
	var seen []string
	be := &fakeBackend{answers: map[string]any{"5": map[string]any{"id": "5"}}}
	h := &Hooks{
		Validate: func(_ context.Context, inv *Invocation) error {
			seen = append(seen, "validate")
			if inv.Backend != nil {
				t.Error("Validate runs before the backend is built")
			}
			return nil
		},
		Resolve: func(_ context.Context, inv *Invocation, c *request.Call) error {
			seen = append(seen, "resolve")
			c.PathParams["id"] = "5"
			return nil
		},
		Before: func(_ context.Context, _ *Invocation, c *request.Call) error {
			seen = append(seen, "before:"+c.PathParams["id"])
			return nil
		},
		After: func(_ context.Context, inv *Invocation, _ *request.Call, res any) (any, error) {
			seen = append(seen, "after")
			inv.Columns = []string{"state"}
			return map[string]any{"state": "ready", "was": res}, nil
		},
	}
	r, _, out := testRun(t, thingGet, h, be, []string{"web"}, "--view", "full")
	if err := r.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"validate", "resolve", "before:5", "after"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("hooks ran %v, want %v", seen, want)
	}
	if len(be.calls) != 1 || be.calls[0].PathParams["id"] != "5" {
		t.Errorf("sent %+v", be.calls)
	}
	if !strings.Contains(out.String(), `"state":"ready"`) || !reflect.DeepEqual(r.inv.Columns, []string{"state"}) {
		t.Errorf("rendered %q with %v", out, r.inv.Columns)
	}

	h.Run = func(context.Context, *Invocation, *request.Call) (any, error) {
		return map[string]any{"id": "ran"}, nil
	}
	be.calls = nil
	r, _, out = testRun(t, thingGet, h, be, []string{"web"}, "--view", "full")
	if err := r.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(be.calls) != 0 || !strings.Contains(out.String(), `"ran"`) {
		t.Errorf("Run did not replace the call: sent %d, printed %q", len(be.calls), out)
	}
}

func TestIntercept(t *testing.T) {
	be := &fakeBackend{}
	h := &Hooks{Intercept: func(context.Context, *Invocation) (bool, error) { return true, nil }}
	r, _, out := testRun(t, thingGet, h, be, []string{"1"})
	if err := r.run(context.Background()); err != nil || len(be.calls) != 0 || out.Len() != 0 {
		t.Fatalf("err %v, %d calls, output %q", err, len(be.calls), out)
	}
}

func TestRunPath(t *testing.T) {
	be := &fakeBackend{answers: map[string]any{"7": map[string]any{"id": 7}}}
	r, _, out := testRun(t, thingDelete, nil, be, nil)
	if err := r.env.RunPath(context.Background(), thingDelete, map[string]string{"id": "7"}, request.ListOptions{}, request.DownloadOptions{}); err != nil {
		t.Fatalf("generic verbs do not confirm: %v", err)
	}
	if len(be.calls) != 1 || be.calls[0].PathParams["id"] != "7" || out.Len() != 0 {
		t.Fatalf("sent %+v, printed %q", be.calls, out)
	}
}

func isUsage(err error) bool {
	var ue *api.UsageError
	return errors.As(err, &ue)
}

func TestBulkStages(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "things.jsonl")
	if err := os.WriteFile(file, []byte("{\"id\":\"1\"}\n{\"id\":\"2\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	be := &fakeBackend{}
	r, _, _ := testRun(t, thingDelete, nil, be, nil, "--from-file", file)
	recs, err := r.readRecords(context.Background(), nil, nil)
	if err != nil || len(recs) != 2 || recs[0].Key == "" || recs[0].Key == recs[1].Key {
		t.Fatalf("records %+v, %v", recs, err)
	}
	if err := r.confirmBulk(context.Background(), 2); err == nil || !strings.Contains(err.Error(), "delete of 2 items is irreversible") {
		t.Fatalf("confirm: %v", err)
	}
	j, err := r.openJournal()
	if err != nil || j == nil || j.Path() != file+".journal" {
		t.Fatalf("journal %v, %v", j, err)
	}
	j.Close()
	r.bulk.noJournal = true
	if j, err := r.openJournal(); j != nil || err != nil {
		t.Fatalf("--no-journal: %v, %v", j, err)
	}
	r.env.F.G.Yes = true
	if err := r.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(be.calls) != 2 {
		t.Fatalf("%d calls", len(be.calls))
	}
}

func TestCheckArgs(t *testing.T) {
	for _, c := range []struct {
		op   *request.Op
		args []string
		from bool
		want string // "" = accepted
	}{
		{thingGet, []string{"1"}, false, ""},
		{thingGet, nil, false, "expected ID, got 0 argument(s)"},
		{thingCreate, []string{"x"}, false, "takes no arguments"},
		{thingDelete, []string{"1", "2"}, false, ""},
		{thingDelete, nil, false, "expected ID"},
		{thingDelete, nil, true, ""},
		{thingDelete, []string{"1"}, true, "each record names its own ID"},
		{thingCreate, []string{"x"}, true, "--from-file takes no arguments"},
	} {
		r := (&Env{}).newRun(c.op, "thing")
		if c.from {
			r.bulk.from = "f.jsonl"
		}
		err := r.checkArgs("infra thing "+c.op.Name, c.args)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s %v (from-file %v): got %v, want %q", c.op.Name, c.args, c.from, err, c.want)
		}
	}
}

func TestCommandAddsDeclaredCommands(t *testing.T) {
	g := &request.Group{Name: "thing", Ops: []*request.Op{thingGet}, Groups: []*request.Group{{Name: "part"}}}
	env := &Env{Commands: func(g *request.Group) []*cobra.Command {
		if g.Name == "thing" {
			return []*cobra.Command{{Use: "wait"}}
		}
		return nil
	}}
	c := env.Command(g)
	var names []string
	for _, s := range c.Commands() {
		names = append(names, s.Name())
	}
	if !reflect.DeepEqual(names, []string{"get", "part", "wait"}) {
		t.Fatalf("sub-commands %v", names)
	}
}

// downloader is a fakeBackend that saves files.
type downloader struct {
	fakeBackend
	got request.DownloadOptions
}

func (d *downloader) Download(_ context.Context, c *request.Call, o request.DownloadOptions) (*request.Download, error) {
	d.calls = append(d.calls, c)
	d.got = o
	return &request.Download{File: "backup.tar.gz", Bytes: 42}, nil
}

func TestExecuteDownloadThroughHooks(t *testing.T) {
	op := &request.Op{Name: "download", Method: "GET", Path: "/backup", Kind: request.KindDownload}
	be := &downloader{}
	var before int
	h := &Hooks{Before: func(context.Context, *Invocation, *request.Call) error { before++; return nil }}
	r, _, out := testRun(t, op, h, be, nil, "--file", "b.tgz", "--force")
	if err := r.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if before != 1 || len(be.calls) != 1 || be.got.Path != "b.tgz" || !be.got.Force {
		t.Fatalf("before %d, calls %d, options %+v", before, len(be.calls), be.got)
	}
	if !strings.Contains(out.String(), `"bytes":42`) {
		t.Fatalf("output %q", out)
	}

	r, _, _ = testRun(t, op, h, &fakeBackend{}, nil)
	if err := r.run(context.Background()); err == nil || !strings.Contains(err.Error(), "Test cannot download files") {
		t.Fatalf("a backend without downloads: %v", err)
	}
}

func TestListThroughHooks(t *testing.T) {
	be := &fakeBackend{items: []any{map[string]any{"id": "1"}}}
	op := &request.Op{Name: "list", Method: "GET", Path: "/things", Kind: request.KindList}
	h := &Hooks{Resolve: func(_ context.Context, _ *Invocation, c *request.Call) error {
		c.Query.Set("org", "7")
		return nil
	}}
	r, _, _ := testRun(t, op, h, be, nil)
	if err := r.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(be.calls) != 1 || be.calls[0].Query.Get("org") != "7" {
		t.Fatalf("sent %+v", be.calls)
	}
}

// TestHookedBackendCopiesTheCall: hooks change their own copy; the calls of a multi-id or bulk run stay as built.
func TestHookedBackendCopiesTheCall(t *testing.T) {
	h := &Hooks{Resolve: func(_ context.Context, _ *Invocation, c *request.Call) error {
		c.PathParams["id"] = "9"
		c.Query.Set("org", "7")
		c.Body["name"] = "changed"
		return nil
	}}
	be := &fakeBackend{}
	hb := &hookedBackend{be: be, h: h, inv: &Invocation{}}
	call := &request.Call{Op: thingGet, PathParams: map[string]string{"id": "1"}, Query: url.Values{}, Body: map[string]any{"name": "a"}}
	if _, err := hb.Invoke(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	if call.PathParams["id"] != "1" || call.Query.Get("org") != "" || call.Body["name"] != "a" {
		t.Fatalf("the caller's call changed: %+v", call)
	}
	if sent := be.calls[0]; sent.PathParams["id"] != "9" || sent.Query.Get("org") != "7" || sent.Body["name"] != "changed" {
		t.Fatalf("sent %+v", sent)
	}
}
