package cmd_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/infractl/infra/cmd"
	"github.com/infractl/infra/pkg/cmdutil"
)

// hostileBackup is an appliance whose backup answers misbehave.
func hostileBackup(t *testing.T, serve func(w http.ResponseWriter)) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2/token" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":3600}`))
			return
		}
		serve(w)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// cut sends the headers and part of the body, then drops the connection.
func cut(w http.ResponseWriter, headers map[string]string, body string) {
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	_, _ = w.Write([]byte(body))
	w.(http.Flusher).Flush()
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// TestBackupRotationHostile: against answers that are cut, empty or name files outside the directory, a rotated
// backup exits non-zero with one JSON line and removes nothing; a good answer then leaves exactly --keep files.
func TestBackupRotationHostile(t *testing.T) {
	dir := t.TempDir()
	old := []string{"pra-backup-20240101T000000.000Z.nsb", "pra-backup-20240102T000000.000Z.nsb", "pra-backup-20240103T000000.000Z.nsb"}
	for _, n := range old {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("old backup"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	octet := map[string]string{"Content-Type": "application/octet-stream", "Content-Disposition": `attachment; filename="../../x.nsb"`}
	bad := map[string]func(w http.ResponseWriter){
		"cut with a length": func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "100000")
			cut(w, octet, strings.Repeat("x", 4000))
		},
		"cut while chunked": func(w http.ResponseWriter) { cut(w, octet, strings.Repeat("x", 4000)) },
		"empty": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", "0")
		},
		"server error": func(w http.ResponseWriter) { http.Error(w, "boom", http.StatusBadGateway) },
	}
	for name, serve := range bad {
		t.Run(name, func(t *testing.T) {
			code, sum, stderr := runBackup(t, hostileBackup(t, serve), dir)
			if code == 0 || sum["ok"] != false || sum["error"] == "" {
				t.Fatalf("exit %d, summary %v; stderr %s", code, sum, stderr)
			}
			if got := listDir(t, dir); !slices.Equal(got, old) {
				t.Fatalf("directory changed: %v", got)
			}
		})
	}
	body := strings.Repeat("b", 70000)
	good := hostileBackup(t, func(w http.ResponseWriter) {
		for k, v := range octet {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Length", "70000")
		_, _ = w.Write([]byte(body))
	})
	code, sum, stderr := runBackup(t, good, dir)
	got := listDir(t, dir)
	if code != 0 || sum["ok"] != true || len(got) != 2 || got[0] != old[2] || sum["bytes"] != float64(len(body)) {
		t.Fatalf("exit %d, summary %v, files %v; stderr %s", code, sum, got, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dir, got[1])); err != nil || string(b) != body || !strings.HasSuffix(got[1], "Z.nsb") {
		t.Fatalf("new backup %s: %v", got[1], err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(filepath.Dir(dir)), "x.nsb")); err == nil {
		t.Fatal("the server's file name escaped the directory")
	}
}

func runBackup(t *testing.T, url, dir string) (int, map[string]any, string) {
	t.Helper()
	env := map[string]string{"INFRA_PRA_HOST": url, "INFRA_PRA_CLIENT_ID": "id", "INFRA_PRA_CLIENT_SECRET": "secret",
		"INFRA_SECRET_STORE": "file", "INFRA_CONFIG_DIR": t.TempDir(), "INFRA_CACHE_DIR": t.TempDir()}
	io, _, out, errOut := cmdutil.Test()
	f := cmdutil.New(io, cmdutil.BuildInfo{Version: "t"}, func(k string) string { return env[k] })
	code := cmd.Run(context.Background(), f, []string{"pra", "backup", "--dir", dir, "--keep", "2"})
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	var sum map[string]any
	lines := 0
	for sc.Scan() {
		lines++
		if err := json.Unmarshal(sc.Bytes(), &sum); err != nil {
			t.Fatalf("stdout is not one JSON line: %q", out)
		}
	}
	if lines != 1 {
		t.Fatalf("stdout has %d lines, want one: %q", lines, out)
	}
	return code, sum, errOut.String()
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
