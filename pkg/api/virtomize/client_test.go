package virtomize

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
)

func TestEncodeForm(t *testing.T) {
	got := EncodeForm(map[string]any{
		"owner":    json.Number("1"),
		"vmnames":  []any{"db 1", "web&2"},
		"insecure": true,
		"http":     false,
		"networks": []any{},
		"cpu":      int64(4),
		"notes":    "a=b",
	})
	want := "cpu=4&http=false&insecure=true&networks=&notes=a%3Db&owner=1&vmnames[0]=db+1&vmnames[1]=web%262"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.5":                    "https://10.0.0.5/rest/v1",
		"https://appliance.lab/":      "https://appliance.lab/rest/v1",
		"http://127.0.0.1:8080":       "http://127.0.0.1:8080/rest/v1",
		"https://proxy.lab/virtomize": "https://proxy.lab/virtomize",
	} {
		got, err := BaseURL(in)
		if err != nil || got != want {
			t.Errorf("BaseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x", "https://"} {
		if _, err := BaseURL(bad); api.KindOf(err) != api.KindUsage {
			t.Errorf("BaseURL(%q): %v, want a usage error", bad, err)
		}
	}
}

// TestErrorDocument: the appliance's {errors, timestamp, statuscode, instance} becomes a readable list and the
// statuscode decides the exit code.
func TestErrorDocument(t *testing.T) {
	cases := []struct {
		status int
		doc    string
		exit   api.ErrorKind
		want   []string
	}{
		{400, `{"errors":["missing parameter: name","missing parameter: iso"],"timestamp":1257894000000000000,"statuscode":400,"instance":"/operatingsystems"}`,
			api.KindUsage, []string{"400 Bad Request: 2 problems:\n  - missing parameter: name\n  - missing parameter: iso"}},
		{404, `{"errors":["virtual machine 9 not found"],"timestamp":1,"statuscode":404,"instance":"/virtualmachines/9"}`,
			api.KindNotFound, []string{"404 Not Found: virtual machine 9 not found"}},
		{403, `{"errors":["missing permission clusters:write"],"timestamp":1,"statuscode":403,"instance":"/clusters"}`,
			api.KindAuth, []string{"missing permission clusters:write", "hint: the appliance user lacks a permission"}},
		{409, `{"errors":["cluster 1 is used by network 1"],"timestamp":1,"statuscode":409,"instance":"/clusters/1"}`,
			api.KindConflict, []string{"409 Conflict: cluster 1 is used by network 1"}},
		// A proxy answering 200 with an error document: statuscode wins.
		{500, `{"errors":["boom"],"statuscode":503}`, api.KindOther, []string{"503 Service Unavailable: boom"}},
	}
	for _, c := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/rest/v1/token" {
				_, _ = io.WriteString(w, `{"access_token":"t","expires_in":3600}`)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(c.status)
			_, _ = io.WriteString(w, c.doc)
		}))
		cl, err := New(api.Options{MaxRetries: -1}, Settings{Host: srv.URL, Username: "u", Password: "p"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cl.Do(context.Background(), "POST", "/operatingsystems", map[string]any{"name": "x"})
		srv.Close()
		if got := api.KindOf(err); got != c.exit {
			t.Errorf("%d: kind %d, want %d (%v)", c.status, got, c.exit, err)
		}
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%d: error %q lacks %q", c.status, err, w)
			}
		}
	}
}

func TestTokenRefusedIsAuthErrorWithoutPassword(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		_, _ = io.WriteString(w, `{"errors":["invalid credentials"],"statuscode":401,"instance":"/token"}`)
	}))
	defer srv.Close()
	cl, err := New(api.Options{}, Settings{Host: srv.URL, Username: "admin", Password: "s3cr3t-value"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.Token(context.Background())
	var ae *api.AuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "invalid credentials") || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("got %v", err)
	}
}

// TestInvokeFollowsTheOperation: how a call is carried out comes from what the operation declares, never from its
// path: a public operation carries no token, an upload streams its file under the declared field, a token operation
// answers the session token.
func TestInvokeFollowsTheOperation(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/rest/v1/token" {
			_, _ = io.WriteString(w, `{"access_token":"tok-9","expires_in":3600}`)
			return
		}
		line := r.Method + " " + r.URL.Path + " auth=" + r.Header.Get("Authorization")
		if f, h, err := r.FormFile("archive"); err == nil {
			b, _ := io.ReadAll(f)
			line += " " + h.Filename + "=" + string(b)
		}
		seen = append(seen, line)
		_, _ = io.WriteString(w, `{"msg":"ok"}`)
	}))
	defer srv.Close()
	cl, err := New(api.Options{}, Settings{Host: srv.URL, Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "a.bin")
	if err := os.WriteFile(file, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	calls := []*request.Call{
		{Op: &request.Op{Method: "GET", Path: "/anything", Public: true}},
		{Op: &request.Op{Method: "POST", Path: "/store", Upload: &request.Upload{Arg: "src", Field: "archive"},
			Args: []request.Arg{{Param: "src"}}}, PathParams: map[string]string{"src": file}},
		{Op: &request.Op{Method: "GET", Path: "/anything"}},
	}
	for _, c := range calls {
		if _, err := cl.Invoke(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"GET /rest/v1/anything auth=", "POST /rest/v1/store auth=Bearer tok-9 a.bin=data", "GET /rest/v1/anything auth=Bearer tok-9"}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("sent\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
	tok, err := cl.Invoke(ctx, &request.Call{Op: &request.Op{Method: "POST", Path: "/elsewhere", Session: request.SessionToken}})
	if err != nil || tok.(map[string]any)["access_token"] != "tok-9" {
		t.Errorf("token: %v, %v", tok, err)
	}
}
