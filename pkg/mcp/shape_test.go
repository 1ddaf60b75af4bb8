package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	in := map[string]any{
		"key": json.Number("3"), "name": "web", "password": "hunter2", "private_key": "x", "public_key": "ssh-ed25519 AAAA",
		"nested":  []any{map[string]any{"clientSecret": "s", "x509_key": "k", "token_type": "bearer"}},
		"comment": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----",
		"note":    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJl",
		"empty":   map[string]any{"password": ""},
	}
	v, n := Redact(in)
	b, _ := json.Marshal(v)
	for _, leak := range []string{"hunter2", `"s"`, `"k"`, "PRIVATE KEY", "eyJ"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("%s survives: %s", leak, b)
		}
	}
	for _, keep := range []string{`"key":3`, `"name":"web"`, `"public_key":"ssh-ed25519 AAAA"`, `"token_type":"bearer"`} {
		if !strings.Contains(string(b), keep) {
			t.Errorf("%s lost: %s", keep, b)
		}
	}
	if n != 6 {
		t.Errorf("%d redactions, want 6: %s", n, b)
	}
}

// pages is an executor whose list has n items of about size bytes each.
type pages struct {
	n, size int
	calls   []Call
}

func (p *pages) Options(*Operation) []Option   { return nil }
func (p *pages) StdinSecret(*Operation) string { return "" }
func (p *pages) RunCommand(context.Context, []string, io.Reader, io.Writer) (string, error) {
	return "", nil
}
func (p *pages) Execute(_ context.Context, c *Call, w io.Writer) (string, error) {
	p.calls = append(p.calls, *c)
	var items []any
	start := (c.List.Page - 1) * c.List.PerPage
	for i := start; i < min(p.n, start+c.List.PerPage); i++ {
		items = append(items, map[string]any{"id": i, "pad": strings.Repeat("x", p.size)})
	}
	return "", json.NewEncoder(w).Encode(items)
}

func TestListCutAndCursor(t *testing.T) {
	x := &pages{n: 12, size: 1000}
	s, err := New(Options{Executor: x, Vendors: []string{"pra"}, MaxResultBytes: 3500})
	if err != nil {
		t.Fatal(err)
	}
	var ids []float64
	cuts := 0
	in := CallInput{Operation: "pra jump-group list", PerPage: 5}
	for round := 0; round < 10; round++ {
		out, err := s.call(context.Background(), nil, in)
		if err != nil {
			t.Fatal(err)
		}
		m := out.(map[string]any)
		b, _ := json.Marshal(m)
		for _, it := range m["items"].([]any) {
			ids = append(ids, mustFloat(it))
		}
		if len(b) > 3500+300 {
			t.Fatalf("result of %d bytes over the cap", len(b))
		}
		next, ok := m["next_cursor"].(string)
		if !ok {
			break
		}
		if strings.Contains(fmt.Sprint(m["note"]), "result cut at") {
			cuts++
		}
		in = CallInput{Operation: "pra jump-group list", Cursor: next}
	}
	if cuts == 0 {
		t.Fatal("no result said it was cut")
	}
	if len(ids) != 12 {
		t.Fatalf("items seen %v, want 0..11 once each", ids)
	}
	for i, id := range ids {
		if id != float64(i) {
			t.Fatalf("items seen %v, want 0..11 in order", ids)
		}
	}
	if _, err := parseCursor("bm9wZQ"); err == nil {
		t.Fatal("a forged cursor is accepted")
	}
}

func mustFloat(it any) float64 {
	f, _ := it.(map[string]any)["id"].(json.Number).Float64()
	return f
}

func TestParseSecret(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/pw"
	if err := os.WriteFile(file, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return map[string]string{"PW": "from-the-env"}[k] }
	store := func(name string) (string, error) {
		if name == "root" {
			return "from-the-store", nil
		}
		return "", errors.New("not found")
	}
	for spec, want := range map[string]string{"password=env:PW": "from-the-env", "password=file:" + file: "from-a-file",
		"password=keyring:root": "from-the-store"} {
		field, src, err := ParseSecret(spec, getenv, store)
		if err != nil || field != "password" {
			t.Fatalf("%s: %q %v", spec, field, err)
		}
		if v, _ := src(); v != want {
			t.Fatalf("%s: %q", spec, v)
		}
	}
	for _, spec := range []string{"password=env:NOPE", "password=file:" + dir + "/nope", "password=keyring:nope", "password", "password=vault:x"} {
		if _, _, err := ParseSecret(spec, getenv, store); err == nil {
			t.Fatalf("%s accepted", spec)
		}
	}
	_, _, err := ParseSecret("password=hunter2", getenv, store)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("a malformed spec's value reaches the message: %v", err)
	}
}

func TestOpenAuditRefusesSharedFile(t *testing.T) {
	p := t.TempDir() + "/audit.jsonl"
	if err := os.WriteFile(p, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenAudit(p); err == nil || !strings.Contains(err.Error(), "0600") {
		t.Fatalf("a file others can read: %v", err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := OpenAudit(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Write(AuditRecord{Tool: "t", Arguments: map[string]any{"fields": map[string]any{"password": "pw-value"}}, Outcome: OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b, _ := os.ReadFile(p)
	if !strings.HasPrefix(string(b), "{}\n{") || strings.Contains(string(b), "pw-value") || !strings.Contains(string(b), Redacted) {
		t.Fatalf("audit file: %s", b)
	}
}
