package praxmlsim_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/infractl/infra/internal/sim/prasim"
	"github.com/infractl/infra/internal/sim/praxmlsim"
)

// Mounted on the PRA simulator, the XML APIs need a bearer token like the Configuration API.
func TestMountedBehindToken(t *testing.T) {
	sim := prasim.New(prasim.Options{ClientID: "c", ClientSecret: "s"})
	h := praxmlsim.New(praxmlsim.Options{Seed: true})
	h.MountOn(sim)
	srv := httptest.NewServer(sim)
	defer srv.Close()

	for _, p := range praxmlsim.Paths {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d", p, resp.StatusCode)
		}
	}
	if h.Requests() != 0 {
		t.Fatalf("%d unauthenticated requests reached the handler", h.Requests())
	}

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth("c", "s")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	token := strings.Split(strings.Split(string(tok), `"access_token":"`)[1], `"`)[0]

	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/command?"+url.Values{"action": {"check_health"}}.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `xmlns="`+praxmlsim.NSCommand+`"`) {
		t.Fatalf("with a token: %d %s", resp.StatusCode, b)
	}
	if h.RequestsTo("command") != 1 {
		t.Fatalf("command requests: %d", h.RequestsTo("command"))
	}
}
