package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"
)

// lockedBuffer is a trace sink safe for the transport's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestTraceRedactsSecretsEverywhereButSendsThem(t *testing.T) {
	secrets := []string{
		"BEARERsecret1", "QUERYsecret2", "QUERYsecret3", "APIKEYsecret4", "COOKIEsecret5", "XAUTHsecret6",
		"PASSWORDsecret7", "CLIENTsecret8", "PRIVKEYsecret9", "PASSPHRASEsecret10", "CUSTOMsecret11",
		"FORMpassword12", "FORMclient13", "RESPaccess14", "RESPrefresh15", "SETCOOKIEsecret16", "TRUNCsecret17",
		"XMLsecret18", "NUMsecret",
	}
	var (
		mu   sync.Mutex
		wire strings.Builder
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		wire.WriteString(r.URL.RawQuery + "\n")
		for k, v := range r.Header {
			wire.WriteString(k + ": " + strings.Join(v, ",") + "\n")
		}
		wire.Write(b)
		mu.Unlock()
		switch r.URL.Path {
		case "/large":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"token":"TRUNCsecret17","pad":"` + strings.Repeat("x", traceReadLimit) + `"}`))
		case "/xml":
			w.Header().Set("Content-Type", "application/xml")
			_, _ = w.Write([]byte(`<session><password>XMLsecret18</password><name>visible</name></session>`))
		default:
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "SETCOOKIEsecret16"})
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"RESPaccess14","token_type":"Bearer","expires_in":3600,` +
				`"nested":[{"refresh_token":"RESPrefresh15"}]}`))
		}
	}))
	defer srv.Close()

	trace := &lockedBuffer{}
	c, _ := newTestClient(t, srv.URL, Options{
		Debug:      trace,
		Auth:       StaticToken{Token: "BEARERsecret1"},
		RedactKeys: []string{"custom_field"},
	})
	ctx := context.Background()

	jsonBody := map[string]any{
		"user": map[string]any{
			"name":     "visible-name",
			"password": "PASSWORDsecret7",
			"profile":  map[string]any{"clientSecret": "CLIENTsecret8"},
		},
		"keys":                   []any{map[string]any{"private_key": "PRIVKEYsecret9"}},
		"PassPhrase":             "PASSPHRASEsecret10",
		"custom_field":           "CUSTOMsecret11",
		"private_key_passphrase": nil,
		"pin":                    1,
		"api_key":                "NUMsecret",
	}
	req, err := c.NewRequest(ctx, http.MethodPost, "/login?api_key=QUERYsecret2&page=2&Token=QUERYsecret3", jsonBody)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Api-Key", "APIKEYsecret4")
	req.Header.Set("Cookie", "session=COOKIEsecret5")
	req.Header.Set("X-Auth-Token", "XAUTHsecret6")
	var out map[string]any
	if _, err := c.DoJSON(req, &out); err != nil {
		t.Fatal(err)
	}
	if out["access_token"] != "RESPaccess14" {
		t.Errorf("the caller must get the real response, got %v", out)
	}

	form := url.Values{"username": {"admin"}, "password": {"FORMpassword12"}, "client_secret": {"FORMclient13"}}
	req, _ = c.NewRequest(ctx, http.MethodPost, "/form", form)
	if _, err := c.DoJSON(req, nil); err != nil {
		t.Fatal(err)
	}

	req, _ = c.NewRequest(ctx, http.MethodGet, "/large", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(full, []byte("TRUNCsecret17")) || len(full) < traceReadLimit {
		t.Errorf("the large body was altered for the caller (%d bytes)", len(full))
	}

	req, _ = c.NewRequest(ctx, http.MethodGet, "/xml", nil)
	if resp, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	got := trace.String()
	mu.Lock()
	sent := wire.String()
	mu.Unlock()
	for _, s := range secrets {
		if strings.Contains(got, s) {
			t.Errorf("trace leaks %s", s)
		}
		if !strings.Contains(sent, s) && !strings.HasPrefix(s, "RESP") && !strings.HasPrefix(s, "SETCOOKIE") &&
			!strings.HasPrefix(s, "TRUNC") && !strings.HasPrefix(s, "XML") {
			t.Errorf("%s was not sent on the wire", s)
		}
	}
	for _, want := range []string{
		"Authorization: Bearer [REDACTED]", "X-Api-Key: [REDACTED]", "Cookie: [REDACTED]", "Set-Cookie: [REDACTED]",
		"X-Auth-Token: [REDACTED]", "page=2", "api_key=[REDACTED]", "Token=[REDACTED]", "visible-name", `"pin":1`,
		"username=admin", "token_type", "<name>visible</name>", "truncated",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("trace lacks %q", want)
		}
	}
	if len(got) > 64<<10 {
		t.Errorf("trace is %d bytes: bodies were not truncated", len(got))
	}
}

func TestTraceTokenEndpointThroughHTTPClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"MINTEDtoken99","token_type":"Bearer","expires_in":3600}`))
	}))
	defer srv.Close()
	trace := &lockedBuffer{}
	c, _ := newTestClient(t, srv.URL, Options{Debug: trace})
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cc := &ClientCredentials{
			TokenURL: srv.URL + "/oauth2/token", ClientID: "id", ClientSecret: "TOPsecretVALUE",
			HTTPClient: c.HTTPClient(), AuthStyle: style,
		}
		tok, err := cc.Token(context.Background())
		if err != nil || tok.AccessToken != "MINTEDtoken99" {
			t.Fatalf("token: %v %v", tok, err)
		}
	}
	got := trace.String()
	for _, leak := range []string{"TOPsecretVALUE", "MINTEDtoken99"} {
		if strings.Contains(got, leak) {
			t.Errorf("trace leaks %s:\n%s", leak, got)
		}
	}
	for _, want := range []string{"Authorization: Basic [REDACTED]", "client_secret=[REDACTED]", "grant_type=client_credentials", "POST "} {
		if !strings.Contains(got, want) {
			t.Errorf("trace lacks %q:\n%s", want, got)
		}
	}
}

func TestTraceBinaryBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.(http.Flusher).Flush() // no Content-Length
			_, _ = w.Write(bytes.Repeat([]byte{0, 1, 2}, 100))
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(make([]byte, 1234))
	}))
	defer srv.Close()
	trace := &lockedBuffer{}
	c, _ := newTestClient(t, srv.URL, Options{Debug: trace})
	req, _ := c.NewRequest(context.Background(), http.MethodPut, "/upload", []byte{0xff, 0x00, 0xfe, 0x01})
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(b) != 1234 {
		t.Errorf("body length %d", len(b))
	}
	req, _ = c.NewRequest(context.Background(), http.MethodGet, "/chunked", nil)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(b) != 300 {
		t.Errorf("chunked body length %d", len(b))
	}
	got := trace.String()
	for _, want := range []string{"[4 bytes binary]", "[1234 bytes binary]", "[300 bytes binary]"} {
		if !strings.Contains(got, want) {
			t.Errorf("trace lacks %q:\n%s", want, got)
		}
	}
}

func TestRedactorText(t *testing.T) {
	r := newRedactor([]string{"vault-code"})
	in := `{"user":"u","password":"p\"w","refreshToken":"rt", "vault_code": "vc", "retries": 3, "secret": 12345, "cut": {"access_token":"abc`
	out := string(r.text([]byte(in)))
	for _, leak := range []string{`p\"w`, `"rt"`, `"vc"`, "12345", "abc"} {
		if strings.Contains(out, leak) {
			t.Errorf("text redaction left %s in %s", leak, out)
		}
	}
	if !strings.Contains(out, `"user":"u"`) || !strings.Contains(out, `"retries": 3`) {
		t.Errorf("text redaction removed too much: %s", out)
	}
	q := r.query("a=1&client_secret=s&b=2&private_key")
	if q != "a=1&client_secret=[REDACTED]&b=2&private_key" {
		t.Errorf("query = %s", q)
	}
	h := r.header(http.Header{"Authorization": {"Basic Zm9vOmJhcg=="}, "Proxy-Authorization": {"opaque"}, "Accept": {"application/json"}})
	if h.Get("Authorization") != "Basic [REDACTED]" || h.Get("Proxy-Authorization") != "[REDACTED]" || h.Get("Accept") != "application/json" {
		t.Errorf("headers = %v", h)
	}
}
