package mcp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/infractl/infra/cmd"
	"github.com/infractl/infra/internal/sim/jotelulusim"
	"github.com/infractl/infra/internal/sim/prasim"
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
}

type setup struct {
	allowWrite bool
	elicit     func(context.Context, *sdk.ElicitRequest) (*sdk.ElicitResult, error)
	vendors    []string
}

func newEnv(t *testing.T, s setup) *env {
	t.Helper()
	psim := prasim.New(prasim.Options{ClientID: "mcp-client", ClientSecret: praSecret, Seed: true})
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
	field, src, err := mcp.ParseSecret("password=env:ROOT_PW", getenv)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mcp.New(mcp.Options{Vendors: s.vendors, AllowWrite: s.allowWrite, Executor: x, Audit: audit,
		Secrets: map[string]mcp.SecretSource{field: src}, Version: "test"})
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
	client := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, &sdk.ClientOptions{ElicitationHandler: s.elicit})
	cs, err := client.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return &env{t: t, cs: cs, pra: psim, audit: auditPath, getenv: getenv,
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
