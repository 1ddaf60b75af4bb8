package cmd_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Hostile servers for the file and launching policies: each one logs every request it gets to $WORK/<VAR>.log
// ("METHOD PATH authorization=VALUE" per line), so scripts can prove what was, or was not, sent.
var hostileModes = map[string]func(ts *testscript.TestScript) http.Handler{
	// spec: serves an OpenAPI document (any path) that moves listapplicationtags.
	"spec": func(*testscript.TestScript) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/yaml")
			fmt.Fprint(w, "openapi: 3.0.3\npaths:\n  /api-gateway/remote-desktops/v1/catalog/tags:\n    get:\n      operationId: listapplicationtags\n")
		})
	},
	// record: answers 404 to everything (a Jotelulu host that must never be asked).
	"record": func(*testscript.TestScript) http.Handler { return http.NotFoundHandler() },
	// pra-crlf: a PRA appliance whose first token answer carries CR/LF inside the access token; later answers are
	// the simulator's.
	"pra-crlf": func(ts *testscript.TestScript) http.Handler {
		sim := ts.Value("prasim").(http.Handler)
		var once sync.Once
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hostile := false
			if r.URL.Path == "/oauth2/token" {
				once.Do(func() { hostile = true })
			}
			if !hostile {
				sim.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"evil\r\nX-Injected: 1","token_type":"Bearer","expires_in":3600}`)
		})
	},
	// pra-invoice: the simulator, except that generated scripts are named Invoice.bat.
	"pra-invoice": func(ts *testscript.TestScript) http.Handler {
		sim := ts.Value("prasim").(http.Handler)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/client_script" {
				w = renaming{w, `attachment; filename="Invoice.bat"`}
			}
			sim.ServeHTTP(w, r)
		})
	},
	// pra-stall: the simulator, except that a backup sends its headers and the first bytes, then nothing more.
	"pra-stall": func(ts *testscript.TestScript) http.Handler {
		sim := ts.Value("prasim").(http.Handler)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/api/backup" {
				sim.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", `attachment; filename="stalled.nsb"`)
			w.Header().Set("Content-Length", "1000000")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(make([]byte, 4096))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		})
	},
}

// renaming replaces the Content-Disposition header of an answer.
type renaming struct {
	http.ResponseWriter
	disposition string
}

func (r renaming) WriteHeader(code int) {
	r.Header().Set("Content-Disposition", r.disposition)
	r.ResponseWriter.WriteHeader(code)
}

func (r renaming) Write(b []byte) (int, error) {
	r.Header().Set("Content-Disposition", r.disposition)
	return r.ResponseWriter.Write(b)
}

func init() {
	// hostile VAR MODE: start a hostile server (see hostileModes) on 127.0.0.1 and set VAR to its URL.
	extraCmds["hostile"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 || hostileModes[args[1]] == nil {
			ts.Fatalf("usage: hostile VAR MODE")
		}
		h := hostileModes[args[1]](ts)
		logPath := ts.MkAbs(args[0] + ".log")
		var mu sync.Mutex
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
			if err == nil {
				fmt.Fprintf(f, "%s %s authorization=%s\n", r.Method, r.URL.Path, r.Header.Get("Authorization"))
				f.Close()
			}
			mu.Unlock()
			h.ServeHTTP(w, r)
		}))
		ts.Defer(srv.Close)
		ts.Setenv(args[0], srv.URL)
	}
	// wait-file GLOB: wait until a file matching GLOB (relative to the current directory) exists.
	extraCmds["wait-file"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 || neg {
			ts.Fatalf("usage: wait-file GLOB")
		}
		deadline := time.Now().Add(2 * time.Minute)
		for {
			if m, _ := filepath.Glob(ts.MkAbs(args[0])); len(m) > 0 {
				ts.Logf("found %s", strings.Join(m, ", "))
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("no file matches %s", args[0])
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
