package cmd_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/infractl/infra/internal/sim/prasim"
	"github.com/infractl/infra/internal/sim/virtomizesim"
)

// mcpBinary runs `infra mcp serve ARGS` (the test binary under its name, on PATH from TestMain) against fresh
// simulators and connects the SDK's client to it over stdio.
func mcpBinary(t *testing.T, opts *sdk.ClientOptions, args ...string) (*sdk.ClientSession, string) {
	t.Helper()
	bin, err := exec.LookPath("infra")
	if err != nil {
		t.Fatal(err)
	}
	psrv := httptest.NewServer(prasim.New(prasim.Options{ClientID: "mcp-client", ClientSecret: praSecret, Seed: true}))
	t.Cleanup(psrv.Close)
	vsrv := httptest.NewServer(virtomizesim.New(virtomizesim.Options{Username: "admin", Password: "v1rt-sandbox-pass", Seed: true}))
	t.Cleanup(vsrv.Close)
	dir := t.TempDir()
	audit := filepath.Join(dir, "audit.jsonl")
	c := exec.Command(bin, append([]string{"mcp", "serve", "--audit", audit}, args...)...)
	c.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GORACE=" + os.Getenv("GORACE"),
		"INFRA_CONFIG_DIR=" + filepath.Join(dir, "config"), "INFRA_CACHE_DIR=" + filepath.Join(dir, "cache"),
		"INFRA_SECRET_STORE=file", "NO_COLOR=1",
		"INFRA_PRA_HOST=" + psrv.URL, "INFRA_PRA_CLIENT_ID=mcp-client", "INFRA_PRA_CLIENT_SECRET=" + praSecret,
		"INFRA_VIRTOMIZE_HOST=" + vsrv.URL, "INFRA_VIRTOMIZE_USERNAME=admin", "INFRA_VIRTOMIZE_PASSWORD=v1rt-sandbox-pass",
	}
	c.Stderr = os.Stderr
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, opts).Connect(ctx, &sdk.CommandTransport{Command: c}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs, audit
}

func mcpCall(t *testing.T, cs *sdk.ClientSession, tool string, args map[string]any) (map[string]any, string, bool) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	if strings.Contains(text.String(), praSecret) || strings.Contains(text.String(), "v1rt-sandbox-pass") {
		t.Fatalf("%s shows a secret: %s", tool, text.String())
	}
	var out map[string]any
	if !res.IsError {
		b, _ := json.Marshal(res.StructuredContent)
		_ = json.Unmarshal(b, &out)
	}
	return out, text.String(), res.IsError
}

func mcpAudit(t *testing.T, path string) []map[string]any {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("audit mode %v", st.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.Contains(sc.Text(), praSecret) || strings.Contains(sc.Text(), "v1rt-sandbox-pass") {
			t.Fatalf("audit line shows a secret: %s", sc.Text())
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"time", "tool", "arguments", "outcome", "duration_ms"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("audit line without %s: %s", k, sc.Text())
			}
		}
		out = append(out, m)
	}
	return out
}

func TestMcpStdioBinary(t *testing.T) {
	t.Parallel()
	cs, audit := mcpBinary(t, nil, "--vendor", "pra,virtomize")
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	if got := strings.Join(names, " "); !strings.Contains(got, "call_operation") || !strings.Contains(got, "pra_report") {
		t.Fatalf("tools: %s", got)
	}
	_, text, isErr := mcpCall(t, cs, "find_operations", map[string]any{"words": "vm list", "vendor": "virtomize"})
	if isErr || !strings.Contains(text, `"virtomize vm list"`) {
		t.Fatalf("find: %s", text)
	}
	out, text, isErr := mcpCall(t, cs, "describe_operation", map[string]any{"operation": "virtomize vm create"})
	if isErr || out["access"] != "write" || !strings.Contains(text, `"required"`) {
		t.Fatalf("describe: %s", text)
	}
	out, text, isErr = mcpCall(t, cs, "call_operation", map[string]any{"operation": "pra jump-group list"})
	if isErr || out["count"].(float64) < 1 {
		t.Fatalf("read: %s", text)
	}
	_, text, isErr = mcpCall(t, cs, "call_operation", map[string]any{"operation": "pra jump-group create",
		"fields": map[string]any{"name": "x", "code_name": "x"}})
	if !isErr || !strings.Contains(text, "read-only") {
		t.Fatalf("write without --allow-write: %s", text)
	}
	_, text, isErr = mcpCall(t, cs, "call_operation", map[string]any{"operation": "jotelulu org list"})
	if !isErr || !strings.Contains(text, "unknown operation") {
		t.Fatalf("vendor not served: %s", text)
	}
	lines := mcpAudit(t, audit)
	if len(lines) != 5 || lines[3]["outcome"] != "refused" || lines[2]["outcome"] != "ok" {
		t.Fatalf("audit: %v", lines)
	}
}

func TestMcpStdioBinaryWrites(t *testing.T) {
	t.Parallel()
	cs, audit := mcpBinary(t, nil, "--allow-write")
	out, text, isErr := mcpCall(t, cs, "call_operation", map[string]any{"operation": "pra jump-group create",
		"fields": map[string]any{"name": "from agent", "code_name": "from_agent"}})
	if isErr || out["result"].(map[string]any)["code_name"] != "from_agent" {
		t.Fatalf("write with --allow-write: %s", text)
	}
	id := out["result"].(map[string]any)["id"]
	// This client cannot confirm: the delete is refused and the group stays.
	_, text, isErr = mcpCall(t, cs, "call_operation", map[string]any{"operation": "pra jump-group delete", "args": map[string]any{"id": id}})
	if !isErr || !strings.Contains(text, "confirmation") {
		t.Fatalf("irreversible without confirmation: %s", text)
	}
	if _, text, isErr = mcpCall(t, cs, "call_operation", map[string]any{"operation": "pra jump-group get", "args": map[string]any{"id": id}}); isErr {
		t.Fatalf("group gone: %s", text)
	}
	lines := mcpAudit(t, audit)
	if len(lines) != 3 || lines[0]["outcome"] != "ok" || lines[1]["outcome"] != "declined" || lines[1]["operation"] != "pra jump-group delete" {
		t.Fatalf("audit: %v", lines)
	}
}

func TestMcpServeRefusesRemoteHTTP(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("infra")
	if err != nil {
		t.Fatal(err)
	}
	c := exec.Command(bin, "mcp", "serve", "--http", "0.0.0.0:0")
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "INFRA_CONFIG_DIR=" + t.TempDir(), "GORACE=" + os.Getenv("GORACE")}
	out, err := c.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "--allow-remote") {
		t.Fatalf("non-loopback --http: %v %s", err, out)
	}
}

func TestMcpStdioBinaryConfirmedDelete(t *testing.T) {
	t.Parallel()
	asked := 0
	cs, audit := mcpBinary(t, &sdk.ClientOptions{ElicitationHandler: func(_ context.Context, r *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
		asked++
		return &sdk.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
	}}, "--allow-write")
	out, text, isErr := mcpCall(t, cs, "call_operation", map[string]any{"operation": "pra jump-group delete", "args": map[string]any{"id": 3}})
	if isErr || out["done"] != true || asked != 1 {
		t.Fatalf("confirmed delete: %s (asked %d times)", text, asked)
	}
	if _, text, isErr = mcpCall(t, cs, "call_operation", map[string]any{"operation": "pra jump-group get", "args": map[string]any{"id": 3}}); !isErr {
		t.Fatalf("deleted group still there: %s", text)
	}
	lines := mcpAudit(t, audit)
	if len(lines) != 3 || lines[0]["outcome"] != "asked" || lines[1]["outcome"] != "ok" || lines[2]["outcome"] != "error" {
		t.Fatalf("audit: %v", lines)
	}
}
