package prasim

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"
)

func TestTokenSuccess(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.tokenRequest("client-a", testSecret, "grant_type=client_credentials")
	e.mustStatus(r, http.StatusOK)
	var body map[string]any
	r.decode(t, &body)
	if body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) {
		t.Fatalf("unexpected token body %v", body)
	}
	tok, _ := body["access_token"].(string)
	if len(tok) < 20 {
		t.Fatalf("access_token too short: %q", tok)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	got := e.raw("GET", "/jump-group", tok, "", map[string]string{"Accept": "application/json"})
	e.mustStatus(got, http.StatusOK)
}

func TestTokenCustomTTL(t *testing.T) {
	e := newEnv(t, Options{TokenTTL: 90 * time.Second})
	r := e.tokenRequest("client-a", testSecret, "grant_type=client_credentials")
	var body tokenResponse
	r.decode(t, &body)
	if body.ExpiresIn != 90 {
		t.Fatalf("expires_in = %d, want 90", body.ExpiresIn)
	}
}

func TestTokenErrors(t *testing.T) {
	e := newEnv(t, Options{})
	cases := []struct {
		name       string
		id, secret string
		form       string
		status     int
		errCode    string
	}{
		{"wrong secret", "client-a", "nope", "grant_type=client_credentials", 401, "invalid_client"},
		{"wrong id", "client-b", testSecret, "grant_type=client_credentials", 401, "invalid_client"},
		{"no credentials", "", "", "grant_type=client_credentials", 401, "invalid_client"},
		{"missing grant", "client-a", testSecret, "", 400, "invalid_request"},
		{"other grant", "client-a", testSecret, "grant_type=password", 400, "unsupported_grant_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.tokenRequest(c.id, c.secret, c.form)
			if r.status != c.status {
				t.Fatalf("status %d, want %d (%s)", r.status, c.status, r.body)
			}
			var body oauthError
			r.decode(t, &body)
			if body.Error != c.errCode || body.Message == "" {
				t.Fatalf("body %s, want error %q with a message", r.body, c.errCode)
			}
			if strings.Contains(string(r.body), testSecret) {
				t.Fatal("error body leaks the client secret")
			}
		})
	}
	r := e.raw("GET", e.ts.URL+TokenPath, "", "", nil)
	e.mustStatus(r, http.StatusMethodNotAllowed)
	if r.header.Get("Allow") != "POST" {
		t.Fatalf("Allow = %q", r.header.Get("Allow"))
	}
}

func TestThirtyFirstTokenInvalidatesOldest(t *testing.T) {
	e := newEnv(t, Options{}) // e.token is the first token
	second := e.mint()
	for range 29 {
		e.mint()
	}
	if got := e.sim.TokensMinted(); got != 31 {
		t.Fatalf("TokensMinted = %d, want 31", got)
	}
	if got := e.sim.LiveTokens(); got != 30 {
		t.Fatalf("LiveTokens = %d, want 30", got)
	}
	h := map[string]string{"Accept": "application/json"}
	r := e.raw("GET", "/jump-group", e.token, "", h)
	e.mustStatus(r, http.StatusUnauthorized)
	e.mustStatus(e.raw("GET", "/jump-group", second, "", h), http.StatusOK)
}

func TestAccessDeniedBody(t *testing.T) {
	e := newEnv(t, Options{TokenTTL: time.Hour})
	h := map[string]string{"Accept": "application/json"}
	want := `{"error":"access_denied","message":"The resource owner or authorization server denied the request."}`
	check := func(name string, r result) {
		t.Helper()
		if r.status != http.StatusUnauthorized || strings.TrimSpace(string(r.body)) != want {
			t.Fatalf("%s: status %d body %s", name, r.status, r.body)
		}
	}
	check("no token", e.raw("GET", "/jump-group", "", "", h))
	check("bogus token", e.raw("GET", "/jump-group", "not-a-token", "", h))

	e.clock.Advance(time.Hour - time.Second)
	e.mustStatus(e.raw("GET", "/jump-group", e.token, "", h), http.StatusOK)
	e.clock.Advance(time.Second)
	check("expired token", e.raw("GET", "/jump-group", e.token, "", h))
	if e.sim.LiveTokens() != 0 {
		t.Fatalf("LiveTokens = %d after expiry", e.sim.LiveTokens())
	}

	fresh := e.mint()
	e.sim.RevokeAllTokens()
	check("revoked token", e.raw("GET", "/jump-group", fresh, "", h))
}

func TestOAuth2LibraryCompatibility(t *testing.T) {
	e := newEnv(t, Options{ClientSecret: "with spaces & symbols=/+"})
	cfg := clientcredentials.Config{
		ClientID:     e.sim.ClientID(),
		ClientSecret: e.sim.ClientSecret(),
		TokenURL:     e.ts.URL + TokenPath,
	}
	client := cfg.Client(context.Background())
	req, err := http.NewRequest("GET", e.ts.URL+ConfigBase+"/user/1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestDefaults(t *testing.T) {
	d := DefaultOptions()
	if d.ClientID != "sandbox-client" || len(d.ClientSecret) < 32 || d.RatePerSec != 20 ||
		d.RatePerHour != 15000 || d.MaxTokens != 30 || d.TokenTTL != time.Hour || !d.Seed {
		t.Fatalf("unexpected defaults %+v", d)
	}
	if DefaultOptions().ClientSecret == d.ClientSecret {
		t.Fatal("default secret is not random")
	}
	s := New(Options{})
	if s.ClientID() != DefaultClientID || s.ClientSecret() == "" {
		t.Fatalf("New did not fill credentials: %q", s.ClientID())
	}
}

func TestPermissions(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	e.sim.SetPermissions(true, false)
	r := e.call("GET", "/vault/account", "")
	e.mustStatus(r, http.StatusForbidden)
	if !strings.Contains(r.message(t), "Vault") {
		t.Fatalf("403 message %s", r.body)
	}
	e.mustStatus(e.call("GET", "/jump-group", ""), http.StatusOK)
	e.sim.SetPermissions(false, false)
	e.mustStatus(e.call("GET", "/jump-group", ""), http.StatusForbidden)
	e.sim.SetPermissions(true, true)
	e.mustStatus(e.call("GET", "/vault/account", ""), http.StatusOK)
	// A personal vault account cannot be deleted.
	e.sim.mu.Lock()
	row, _ := e.sim.db.get(e.sim.reg.byName["vault-account"], "", 1)
	row["personal"] = true
	e.sim.mu.Unlock()
	e.mustStatus(e.call("DELETE", "/vault/account/1", ""), http.StatusForbidden)
	e.mustStatus(e.call("DELETE", "/vault/account/2", ""), http.StatusNoContent)
}
