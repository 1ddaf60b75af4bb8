package mcp_test

import (
	"bufio"
	"bytes"
	"context"
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
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/infractl/infra/cmd"
	"github.com/infractl/infra/internal/sim/jotelulusim"
	"github.com/infractl/infra/internal/sim/prasim"
	"github.com/infractl/infra/internal/sim/praxmlsim"
	"github.com/infractl/infra/internal/sim/virtomizesim"
	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/mcp"
)

const (
	praSecret   = "mcp-test-pra-secret-value"
	vmPassword  = "mcp-test-virtomize-pass"
	rootPWValue = "mcp-test-root-password"
)

// env is one server over fresh simulators, with a client connected in process.
type env struct {
	t       *testing.T
	cs      *sdk.ClientSession
	pra     *prasim.Server
	audit   string
	secrets []string // values that must never appear in a result or an audit line
	getenv  func(string) string
	srv     *mcp.Server
}

type setup struct {
	allowWrite bool
	elicit     func(context.Context, *sdk.ElicitRequest) (*sdk.ElicitResult, error)
	vendors    []string
	progress   func(context.Context, *sdk.ProgressNotificationClientRequest)
	manualMRT  bool              // the test answers input requests itself
	vars       map[string]string // more environment
	siteFiles  map[string]string // pra_plan's site files, by name
}

func newEnv(t *testing.T, s setup) *env {
	t.Helper()
	psim := prasim.New(prasim.Options{ClientID: "mcp-client", ClientSecret: praSecret, Seed: true})
	praxmlsim.New(praxmlsim.Options{Seed: true}).MountOn(psim)
	psrv := httptest.NewServer(psim)
	t.Cleanup(psrv.Close)
	vsrv := httptest.NewServer(virtomizesim.New(virtomizesim.Options{Username: "admin", Password: vmPassword, Seed: true}))
	t.Cleanup(vsrv.Close)
	jtoken := jotelulusim.MakeToken("mcp", time.Now().Add(time.Hour))
	jsrv := httptest.NewServer(jotelulusim.New(jotelulusim.Options{Token: jtoken, Seed: true}))
	t.Cleanup(jsrv.Close)
	dir := t.TempDir()
	vars := map[string]string{
		"INFRA_PRA_HOST": psrv.URL, "INFRA_PRA_CLIENT_ID": "mcp-client", "INFRA_PRA_CLIENT_SECRET": praSecret,
		"INFRA_VIRTOMIZE_HOST": vsrv.URL, "INFRA_VIRTOMIZE_USERNAME": "admin", "INFRA_VIRTOMIZE_PASSWORD": vmPassword,
		"INFRA_JOTELULU_HOST": jsrv.URL, "INFRA_JOTELULU_TOKEN": jtoken,
		"INFRA_CONFIG_DIR": filepath.Join(dir, "config"), "INFRA_CACHE_DIR": filepath.Join(dir, "cache"),
		"INFRA_SECRET_STORE": "file", "HOME": dir, "NO_COLOR": "1", "INFRA_VIRTOMIZE_POLL_INTERVAL": "10ms",
		"ROOT_PW": rootPWValue,
	}
	for k, v := range s.vars {
		vars[k] = v
	}
	getenv := func(k string) string { return vars[k] }
	shared := &api.SharedLimits{}
	x := &mcp.CLIExecutor{
		Run:  cmd.Run,
		Root: cmd.NewRoot,
		NewFactory: func(io *cmdutil.IOStreams) *cmdutil.Factory {
			f := cmdutil.New(io, cmdutil.BuildInfo{Version: "test"}, getenv)
			f.SharedLimits = shared
			return f
		},
	}
	auditPath := filepath.Join(dir, "audit.jsonl")
	audit, err := mcp.OpenAudit(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { audit.Close() })
	field, src, err := mcp.ParseSecret("password=env:ROOT_PW", getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mcp.New(mcp.Options{Vendors: s.vendors, AllowWrite: s.allowWrite, Executor: x, Audit: audit,
		Secrets: map[string]mcp.SecretSource{field: src}, SiteFiles: s.siteFiles, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, ct := sdk.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	client := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, &sdk.ClientOptions{ElicitationHandler: s.elicit,
		ProgressNotificationHandler: s.progress, MultiRoundTrip: &sdk.MultiRoundTripOptions{Disabled: s.manualMRT}})
	cs, err := client.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return &env{t: t, cs: cs, pra: psim, audit: auditPath, getenv: getenv, srv: srv,
		secrets: []string{praSecret, vmPassword, jtoken, rootPWValue}}
}

// call calls a tool and returns its structured result (nil on a tool error) and its text.
func (e *env) call(tool string, args map[string]any) (map[string]any, string, bool) {
	e.t.Helper()
	res, err := e.cs.CallTool(context.Background(), &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		e.t.Fatalf("%s: %v", tool, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	e.noSecret(tool+" result", text.String())
	if res.IsError {
		return nil, text.String(), true
	}
	var out map[string]any
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil {
		e.t.Fatalf("%s: structured content: %v (%s)", tool, err, b)
	}
	return out, text.String(), false
}

func (e *env) mustCall(tool string, args map[string]any) map[string]any {
	e.t.Helper()
	out, text, isErr := e.call(tool, args)
	if isErr {
		e.t.Fatalf("%s %v: %s", tool, args, text)
	}
	return out
}

func (e *env) noSecret(where, text string) {
	e.t.Helper()
	for _, s := range e.secrets {
		if strings.Contains(text, s) {
			e.t.Fatalf("%s shows a secret: %s", where, text)
		}
	}
}

// auditLines reads the audit file, checking every line is complete and free of secrets.
func (e *env) auditLines() []map[string]any {
	e.t.Helper()
	st, err := os.Stat(e.audit)
	if err != nil {
		e.t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		e.t.Fatalf("audit file mode %v, want 0600", st.Mode().Perm())
	}
	f, err := os.Open(e.audit)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		e.noSecret("audit line", sc.Text())
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			e.t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		for _, k := range []string{"time", "tool", "arguments", "outcome", "duration_ms"} {
			if _, ok := m[k]; !ok {
				e.t.Fatalf("audit line without %s: %s", k, sc.Text())
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, m["time"].(string)); err != nil {
			e.t.Fatalf("audit time: %v", err)
		}
		out = append(out, m)
	}
	return out
}

func (e *env) lastAudit() map[string]any {
	e.t.Helper()
	l := e.auditLines()
	if len(l) == 0 {
		e.t.Fatal("no audit line")
	}
	return l[len(l)-1]
}

func TestMcpListTools(t *testing.T) {
	e := newEnv(t, setup{})
	res, err := e.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	for _, want := range []string{"find_operations", "describe_operation", "call_operation", "pra_report", "virtomize_vm_install_and_wait"} {
		if !slices.Contains(names, want) {
			t.Errorf("tools %v lack %s", names, want)
		}
	}
	// Vendors not served have no workflow tools and no operations.
	e2 := newEnv(t, setup{vendors: []string{"jotelulu"}})
	res, err = e2.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range res.Tools {
		if tl.Name == "pra_report" || tl.Name == "virtomize_vm_install_and_wait" {
			t.Errorf("jotelulu-only server lists %s", tl.Name)
		}
	}
	out, text, isErr := e2.call("describe_operation", map[string]any{"operation": "pra jump-group list"})
	if !isErr || !strings.Contains(text, "unknown operation") {
		t.Errorf("pra operation on a jotelulu-only server: %v %s", out, text)
	}
}

func TestMcpFindAndDescribe(t *testing.T) {
	e := newEnv(t, setup{})
	out := e.mustCall("find_operations", map[string]any{"words": "list", "vendor": "pra", "resource": "jump-group"})
	ops := out["operations"].([]any)
	found := false
	for _, o := range ops {
		m := o.(map[string]any)
		if m["name"] == "pra jump-group list" {
			found = m["access"] == "read" && m["kind"] == "list"
		}
		if !strings.Contains(m["name"].(string), " jump-group ") {
			t.Errorf("resource filter let %s through", m["name"])
		}
	}
	if !found {
		t.Fatalf("find: no read list pra jump-group list in %v", ops)
	}
	out = e.mustCall("find_operations", map[string]any{"words": "snapshot", "vendor": "virtomize"})
	if out["total"].(float64) < 1 {
		t.Fatalf("no virtomize snapshot operation: %v", out)
	}

	out = e.mustCall("describe_operation", map[string]any{"operation": "pra jump-group create"})
	if out["access"] != "write" || out["method"] != "POST" {
		t.Fatalf("describe: %v", out)
	}
	schema := out["input_schema"].(map[string]any)
	fields := schema["properties"].(map[string]any)["fields"].(map[string]any)
	name := fields["properties"].(map[string]any)["name"].(map[string]any)
	if name["type"] != "string" || !slices.Contains(toStrings(fields["required"]), "name") {
		t.Fatalf("jump-group create: name is not a required string: %v", fields)
	}
	// Enums and integer arguments come from the catalog.
	out = e.mustCall("describe_operation", map[string]any{"operation": "pra jump-item create shell-jump"})
	props := out["input_schema"].(map[string]any)["properties"].(map[string]any)["fields"].(map[string]any)["properties"].(map[string]any)
	if enum := toStrings(props["protocol"].(map[string]any)["enum"]); !slices.Contains(enum, "ssh") {
		t.Fatalf("shell-jump protocol enum: %v", props["protocol"])
	}
	out = e.mustCall("describe_operation", map[string]any{"operation": "pra jump-group delete"})
	if out["irreversible"] != true {
		t.Fatalf("delete is not irreversible: %v", out)
	}
	args := out["input_schema"].(map[string]any)["properties"].(map[string]any)["args"].(map[string]any)
	if !slices.Contains(toStrings(args["required"]), "id") {
		t.Fatalf("delete args: %v", args)
	}
	// Secret fields are not offered to the model.
	out = e.mustCall("describe_operation", map[string]any{"operation": "pra vault account create"})
	b, _ := json.Marshal(out["input_schema"])
	if strings.Contains(string(b), `"password":{`) || !strings.Contains(string(b), `"secrets"`) {
		t.Fatalf("vault account create offers a secret field: %s", b)
	}
	// Jotelulu context flags are options.
	out = e.mustCall("describe_operation", map[string]any{"operation": "jotelulu server instance list"})
	b, _ = json.Marshal(out["input_schema"])
	if !strings.Contains(string(b), `"subscription"`) {
		t.Fatalf("jotelulu instance list has no subscription option: %s", b)
	}
	_, text, isErr := e.call("describe_operation", map[string]any{"operation": "pra jump-grop list"})
	if !isErr || !strings.Contains(text, "did you mean") {
		t.Fatalf("misspelt operation: %s", text)
	}
	for _, l := range e.auditLines() {
		if l["outcome"] == "" {
			t.Fatalf("audit: %v", l)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, e := range l {
		out = append(out, e.(string))
	}
	return out
}

func TestMcpReadCalls(t *testing.T) {
	e := newEnv(t, setup{})
	e.pra.SeedJumpGroups(10)
	out := e.mustCall("call_operation", map[string]any{"operation": "pra jump-group list", "per_page": 5})
	items := out["items"].([]any)
	if len(items) != 5 || out["next_cursor"] == nil {
		t.Fatalf("first page: %v", out)
	}
	first := items[0].(map[string]any)["id"]
	out = e.mustCall("call_operation", map[string]any{"operation": "pra jump-group list", "cursor": out["next_cursor"]})
	items = out["items"].([]any)
	if len(items) == 0 || items[0].(map[string]any)["id"] == first || out["page"].(float64) != 2 {
		t.Fatalf("second page: %v", out)
	}
	id := items[0].(map[string]any)["id"]
	out = e.mustCall("call_operation", map[string]any{"operation": "pra jump-group get", "args": map[string]any{"id": id}})
	if out["result"].(map[string]any)["id"] != id {
		t.Fatalf("get: %v", out)
	}
	out = e.mustCall("call_operation", map[string]any{"operation": "virtomize vm list"})
	if out["count"].(float64) < 1 {
		t.Fatalf("virtomize vm list: %v", out)
	}
	out = e.mustCall("call_operation", map[string]any{"operation": "jotelulu org list"})
	if out["count"].(float64) < 1 {
		t.Fatalf("jotelulu org list: %v", out)
	}
	// Query filters are validated by the command line.
	_, text, isErr := e.call("call_operation", map[string]any{"operation": "pra jump-group list", "fields": map[string]any{"bogus": 1}})
	if !isErr || !strings.Contains(text, "bogus") {
		t.Fatalf("unknown filter: %s", text)
	}
	// Nothing the model gives becomes a flag of its choosing.
	_, text, isErr = e.call("call_operation", map[string]any{"operation": "pra jump-group list", "fields": map[string]any{"profile": "other"}})
	if !isErr || !strings.Contains(text, "unknown field(s) profile") {
		t.Fatalf("profile as a field: %s", text)
	}
	_, text, isErr = e.call("call_operation", map[string]any{"operation": "pra jump-group get", "args": map[string]any{"id": "--help"}})
	if !isErr || !strings.Contains(text, `must be a positive integer, got "--help"`) {
		t.Fatalf("flag as an argument: %s", text)
	}
	// Connection settings never come from the model.
	_, text, isErr = e.call("call_operation", map[string]any{"operation": "jotelulu org list", "options": map[string]any{"profile": "other"}})
	if !isErr || !strings.Contains(text, "connection setting") {
		t.Fatalf("profile option: %s", text)
	}
	_, text, isErr = e.call("call_operation", map[string]any{"operation": "pra jump-group list", "host": "https://evil.example"})
	if !isErr {
		t.Fatalf("host argument accepted: %s", text)
	}
	lines := e.auditLines()
	if l := lines[len(lines)-2]; l["outcome"] != "refused" || l["operation"] != "jotelulu org list" {
		t.Fatalf("audit of the refused option: %v", l)
	}
}

// sameAsCLI runs the command line with the input on stdin and returns its error message.
func (e *env) cliError(args []string, stdin string) string {
	e.t.Helper()
	io, in, _, errOut := cmdutil.Test()
	in.WriteString(stdin)
	f := cmdutil.New(io, cmdutil.BuildInfo{Version: "test"}, e.getenv)
	if code := cmd.Run(context.Background(), f, args); code == 0 {
		e.t.Fatalf("%v succeeded", args)
	}
	return strings.TrimSpace(errOut.String())
}

func TestMcpWrites(t *testing.T) {
	ro := newEnv(t, setup{})
	_, text, isErr := ro.call("call_operation", map[string]any{"operation": "pra jump-group create",
		"fields": map[string]any{"name": "from-agent", "code_name": "from_agent"}})
	if !isErr || !strings.Contains(text, "refused") || !strings.Contains(text, "--allow-write") {
		t.Fatalf("write on a read-only server: %s", text)
	}
	if l := ro.lastAudit(); l["outcome"] != "refused" || l["tool"] != "call_operation" {
		t.Fatalf("audit: %v", l)
	}
	out := ro.mustCall("call_operation", map[string]any{"operation": "pra jump-group list", "fields": map[string]any{"name": "from-agent"}})
	if out["count"].(float64) != 0 {
		t.Fatalf("refused write reached the simulator: %v", out)
	}

	rw := newEnv(t, setup{allowWrite: true})
	out = rw.mustCall("call_operation", map[string]any{"operation": "pra jump-group create",
		"fields": map[string]any{"name": "from-agent", "code_name": "from_agent"}})
	res := out["result"].(map[string]any)
	if res["name"] != "from-agent" || res["id"] == nil {
		t.Fatalf("create: %v", out)
	}
	if l := rw.lastAudit(); l["outcome"] != "ok" || l["operation"] != "pra jump-group create" {
		t.Fatalf("audit: %v", l)
	}
	// Invalid input: the command line's own message.
	input := map[string]any{"name": "", "code_name": "x", "ecm_group_id": "nope"}
	_, text, isErr = rw.call("call_operation", map[string]any{"operation": "pra jump-group create", "fields": input})
	b, _ := json.Marshal(input)
	want := strings.TrimPrefix(rw.cliError([]string{"pra", "jump-group", "create", "--json", "-"}, string(b)), "error: ")
	if !isErr || !strings.Contains(text, want) {
		t.Fatalf("invalid input:\n got %s\nwant %s", text, want)
	}
	// A secret from the model is refused; one from the server is used and never shown.
	_, text, isErr = rw.call("call_operation", map[string]any{"operation": "pra vault account create",
		"fields": map[string]any{"name": "db", "type": "username_password", "username": "root", "password": "from-the-model"}})
	if !isErr || !strings.Contains(text, "password holds a secret") {
		t.Fatalf("secret from the model: %s", text)
	}
	out = rw.mustCall("call_operation", map[string]any{"operation": "pra vault account create",
		"fields": map[string]any{"name": "db", "type": "username_password", "username": "root"}, "secrets": []any{"password"}})
	acct := out["result"].(map[string]any)["id"]
	out = rw.mustCall("call_operation", map[string]any{"operation": "pra vault account check-out", "args": map[string]any{"id": acct}})
	if pw := out["result"].(map[string]any)["password"]; pw != mcp.Redacted {
		t.Fatalf("check-out password: %v", out)
	}
	rw.auditLines() // no secret in any line
}

func TestMcpIrreversible(t *testing.T) {
	var asked []string
	answer := "decline"
	e := newEnv(t, setup{allowWrite: true, elicit: func(_ context.Context, r *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
		asked = append(asked, r.Params.Message)
		if answer == "accept" {
			return &sdk.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
		}
		return &sdk.ElicitResult{Action: answer}, nil
	}})
	out := e.mustCall("call_operation", map[string]any{"operation": "pra jump-group create",
		"fields": map[string]any{"name": "doomed", "code_name": "doomed"}})
	id := out["result"].(map[string]any)["id"]
	del := map[string]any{"operation": "pra jump-group delete", "args": map[string]any{"id": id}}
	_, text, isErr := e.call("call_operation", del)
	if !isErr || !strings.Contains(text, "did not confirm") || len(asked) != 1 || !strings.Contains(asked[0], "cannot be undone") {
		t.Fatalf("declined delete: %s (asked %v)", text, asked)
	}
	if l := e.auditLines(); l[len(l)-2]["outcome"] != "asked" || l[len(l)-1]["outcome"] != "declined" {
		t.Fatalf("audit: %v", l[len(l)-2:])
	}
	e.mustCall("call_operation", map[string]any{"operation": "pra jump-group get", "args": map[string]any{"id": id}})
	answer = "accept"
	out = e.mustCall("call_operation", del)
	if out["done"] != true {
		t.Fatalf("confirmed delete: %v", out)
	}
	if _, text, isErr := e.call("call_operation", map[string]any{"operation": "pra jump-group get", "args": map[string]any{"id": id}}); !isErr || !strings.Contains(text, "404") && !strings.Contains(strings.ToLower(text), "not found") {
		t.Fatalf("deleted group still there: %s", text)
	}

	// A client that cannot confirm: refused.
	noElicit := newEnv(t, setup{allowWrite: true})
	_, text, isErr = noElicit.call("call_operation", map[string]any{"operation": "pra jump-group delete", "args": map[string]any{"id": 1}})
	if !isErr || !strings.Contains(text, "needs the user's confirmation") {
		t.Fatalf("delete without elicitation: %s", text)
	}
	noElicit.mustCall("call_operation", map[string]any{"operation": "pra jump-group get", "args": map[string]any{"id": 1}})
}

func TestMcpPRAReport(t *testing.T) {
	var mu sync.Mutex
	var progress []float64
	e := newEnv(t, setup{progress: func(_ context.Context, r *sdk.ProgressNotificationClientRequest) {
		mu.Lock()
		defer mu.Unlock()
		progress = append(progress, r.Params.Progress)
	}})
	params := &sdk.CallToolParams{Name: "pra_report", Arguments: map[string]any{"type": "AccessSessionListing", "since": "2026-01-01", "sample": 2}}
	params.SetProgressToken("report-1")
	res, err := e.cs.CallTool(context.Background(), params)
	if err != nil || res.IsError {
		t.Fatalf("report: %v %v", err, res)
	}
	var out map[string]any
	b, _ := json.Marshal(res.StructuredContent)
	_ = json.Unmarshal(b, &out)
	if out["records"].(float64) < 1 || len(out["sample"].([]any)) > 2 || out["report"] != "AccessSessionListing" {
		t.Fatalf("report: %v", out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(progress)
		last := 0.0
		if n > 0 {
			last = progress[n-1]
		}
		mu.Unlock()
		if n > 0 && last == out["records"].(float64) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("progress notifications: %v, records %v", progress, out["records"])
		}
		time.Sleep(10 * time.Millisecond)
	}
	fields := out["fields"].(map[string]any)
	if _, ok := fields["lsid"]; !ok {
		t.Fatalf("report fields: %v", fields)
	}
	_, text, isErr := e.call("pra_report", map[string]any{"type": "Syslog"})
	if !isErr || !strings.Contains(text, "not a report pra_report runs") {
		t.Fatalf("file report: %s", text)
	}
	_, text, isErr = e.call("pra_report", map[string]any{"type": "AccessSession", "since": "yesterday"})
	if !isErr || !strings.Contains(text, "since") {
		t.Fatalf("bad date: %s", text)
	}
	if l := e.lastAudit(); l["tool"] != "pra_report" || l["outcome"] != "error" {
		t.Fatalf("audit: %v", l)
	}
}

func TestMcpVirtomizeInstallAndWait(t *testing.T) {
	ro := newEnv(t, setup{})
	_, text, isErr := ro.call("virtomize_vm_install_and_wait", map[string]any{"vm_key": 1})
	if !isErr || !strings.Contains(text, "read-only") {
		t.Fatalf("install on a read-only server: %s", text)
	}
	rw := newEnv(t, setup{allowWrite: true})
	created := rw.mustCall("call_operation", map[string]any{"operation": "virtomize vm create", "fields": map[string]any{
		"name": "agent-vm", "owner": 1, "cpu": 2, "ram": "4GB", "disc": "40GB", "oskey": 1, "clusterkey": 1, "datastore": "auto"}})
	key := created["result"].(map[string]any)["key"]
	rw.mustCall("call_operation", map[string]any{"operation": "virtomize vm-network create", "fields": map[string]any{"vmkey": key, "netkey": 1}})
	out := rw.mustCall("virtomize_vm_install_and_wait", map[string]any{"vm_key": key, "secrets": []any{"password"}, "timeout": "1m"})
	m := out["machine"].(map[string]any)
	if m["powerstate"] != "poweredOn" || len(m["ips"].([]any)) == 0 {
		t.Fatalf("install: %v", out)
	}
	rw.auditLines()
}

// bearer adds the token to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func TestMcpHTTPBearer(t *testing.T) {
	e := newEnv(t, setup{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type bound struct{ addr, token string }
	ready := make(chan bound, 1)
	var announce bytes.Buffer
	errc := make(chan error, 1)
	go func() {
		errc <- e.srv.ServeHTTP(ctx, mcp.HTTPOptions{Addr: ":0", Announce: &announce,
			Ready: func(a, tok string) { ready <- bound{a, tok} }})
	}()
	b := <-ready
	if !strings.HasPrefix(b.addr, "127.0.0.1:") {
		t.Fatalf("bound to %s, not loopback", b.addr)
	}
	if strings.Count(announce.String(), b.token) != 1 {
		t.Fatalf("token not announced once: %q", announce.String())
	}
	url := "http://" + b.addr + "/mcp"
	for _, auth := range []string{"", "Bearer wrong", "Bearer " + b.token + "x"} {
		req, _ := http.NewRequest("POST", url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("Authorization %q: status %d", auth, resp.StatusCode)
		}
	}
	client := sdk.NewClient(&sdk.Implementation{Name: "http-test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{Transport: bearer{b.token}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "call_operation", Arguments: map[string]any{"operation": "pra jump-group list"}})
	if err != nil || res.IsError {
		t.Fatalf("call over HTTP: %v %v", err, res)
	}
	cs.Close()
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestMcpHTTPRefusesRemote(t *testing.T) {
	e := newEnv(t, setup{})
	err := e.srv.ServeHTTP(context.Background(), mcp.HTTPOptions{Addr: "0.0.0.0:0"})
	if err == nil || !strings.Contains(err.Error(), "--allow-remote") {
		t.Fatalf("non-loopback address: %v", err)
	}
}

// A secret the command reads on stdin (Virtomize passwords) comes from the server, and only from it.
func TestMcpStdinSecret(t *testing.T) {
	e := newEnv(t, setup{allowWrite: true})
	out := e.mustCall("describe_operation", map[string]any{"operation": "virtomize user create"})
	b, _ := json.Marshal(out)
	if !strings.Contains(string(b), `"secrets":{"description"`) || !strings.Contains(string(b), `"enum":["password"]`) {
		t.Fatalf("user create offers no server-side password: %s", b)
	}
	_, text, isErr := e.call("call_operation", map[string]any{"operation": "virtomize user create", "fields": map[string]any{"username": "agent"}})
	if !isErr || !strings.Contains(text, "password is required") {
		t.Fatalf("user create without a password: %s", text)
	}
	_, text, isErr = e.call("call_operation", map[string]any{"operation": "virtomize user create",
		"fields": map[string]any{"username": "agent", "password": "from-the-model"}})
	if !isErr || !strings.Contains(text, "holds a secret") {
		t.Fatalf("password from the model: %s", text)
	}
	out = e.mustCall("call_operation", map[string]any{"operation": "virtomize user create",
		"fields": map[string]any{"username": "agent"}, "secrets": []any{"password"}})
	if out["result"].(map[string]any)["username"] != "agent" {
		t.Fatalf("user create: %v", out)
	}
	e.auditLines()
}

// Calls run concurrently, each with its own command and streams, over one shared pace per API.
func TestMcpConcurrentCalls(t *testing.T) {
	e := newEnv(t, setup{})
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			op := []string{"pra jump-group list", "virtomize vm list", "jotelulu org list", "pra jumpoint list"}[i%4]
			res, err := e.cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "call_operation", Arguments: map[string]any{"operation": op}})
			if err != nil || res.IsError {
				errs <- fmt.Sprintf("%s: %v %v", op, err, res)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for m := range errs {
		t.Error(m)
	}
	if n := len(e.auditLines()); n != 8 {
		t.Fatalf("%d audit lines, want 8", n)
	}
}

// A confirmation answers the call it was asked for, not another one.
func TestMcpConfirmationBoundToCall(t *testing.T) {
	e := newEnv(t, setup{allowWrite: true, manualMRT: true,
		elicit: func(context.Context, *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
			return &sdk.ElicitResult{Action: "accept"}, nil
		}})
	ctx := context.Background()
	res, err := e.cs.CallTool(ctx, &sdk.CallToolParams{Name: "call_operation",
		Arguments: map[string]any{"operation": "pra jump-group delete", "args": map[string]any{"id": 2}}})
	if err != nil || !res.NeedsInput() || res.InputRequests["confirm"] == nil {
		t.Fatalf("no confirmation asked: %v %+v", err, res)
	}
	yes := sdk.InputResponseMap{"confirm": &sdk.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}}
	res, err = e.cs.CallTool(ctx, &sdk.CallToolParams{Name: "call_operation", InputResponses: yes, RequestState: res.RequestState,
		Arguments: map[string]any{"operation": "pra jump-group delete", "args": map[string]any{"id": 1}}})
	if err != nil || !res.IsError || !strings.Contains(fmt.Sprint(res.Content[0]), "does not belong") {
		t.Fatalf("confirmation of group 2 deleted group 1: %v %+v", err, res)
	}
	e.mustCall("call_operation", map[string]any{"operation": "pra jump-group get", "args": map[string]any{"id": 1}})
}

// Every call builds its own client, yet the configured pace holds across calls: one limiter per API for the server.
func TestMcpSharedPace(t *testing.T) {
	e := newEnv(t, setup{vars: map[string]string{"INFRA_PRA_RATE_LIMIT": "2"}})
	e.mustCall("call_operation", map[string]any{"operation": "pra jump-group get", "args": map[string]any{"id": 1}})
	start := time.Now()
	for i := 0; i < 3; i++ {
		e.mustCall("call_operation", map[string]any{"operation": "pra jump-group get", "args": map[string]any{"id": 1}})
	}
	// Three more requests at two per second, after one: at least three half-second waits.
	if d := time.Since(start); d < 1400*time.Millisecond {
		t.Fatalf("4 calls at 2 requests/s took %v: the pace is not shared between calls", d)
	}
}

// TestMcpPRAPlan: pra_plan compares a site file named at start-up with the live site and reads only; the model can name
// only those files, never a path.
func TestMcpPRAPlan(t *testing.T) {
	site := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(site, []byte("jump-group:\n  - name: Planned by MCP\n    code_name: planned_by_mcp\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, setup{siteFiles: map[string]string{"site.yaml": site}})
	res := e.mustCall("pra_plan", map[string]any{"file": "site.yaml"})
	if res["create"] != float64(1) || res["update"] != float64(0) || res["delete"] != float64(0) {
		t.Fatalf("plan %v, want one create", res)
	}
	changes, _ := res["changes"].([]any)
	if len(changes) != 1 || changes[0].(map[string]any)["name"] != "Planned by MCP" || changes[0].(map[string]any)["action"] != "create" {
		t.Fatalf("changes %v", changes)
	}
	// Plan only reads: the same plan again still has the group to create.
	if again := e.mustCall("pra_plan", map[string]any{"file": "site.yaml"}); again["create"] != float64(1) {
		t.Fatalf("second plan %v: pra_plan changed the site", again)
	}
	_, text, isErr := e.call("pra_plan", map[string]any{"file": site})
	if !isErr || !strings.Contains(text, "is not a site file this server was started with") {
		t.Fatalf("a path the server was not started with: error %v %q", isErr, text)
	}
	if l := e.lastAudit(); l["tool"] != "pra_plan" || l["outcome"] != "error" {
		t.Fatalf("audit %v", l)
	}
}
