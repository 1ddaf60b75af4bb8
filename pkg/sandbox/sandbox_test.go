package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/infractl/infra/internal/sim/prasim"
)

func echoVendor(name string) Vendor {
	return Vendor{
		Name: name,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, name+" "+r.URL.Path)
		}),
		Env: func(u string) map[string]string {
			return map[string]string{"INFRA_" + strings.ToUpper(name) + "_URL": u}
		},
	}
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// praToken mints a token using the settings from the sandbox environment.
func praToken(t *testing.T, c *http.Client, env map[string]string) int {
	t.Helper()
	req, err := http.NewRequest("POST", env[EnvPRAHost]+prasim.TokenPath, strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(env[EnvPRAClientID], env[EnvPRAClientSecret])
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestStartTwoVendors(t *testing.T) {
	praVendor, sim := NewPRA(prasim.Options{})
	sb, err := Start(context.Background(), []Vendor{praVendor, echoVendor("virtomize")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })

	pu, vu := sb.URL("pra"), sb.URL("virtomize")
	p1, err1 := url.Parse(pu)
	p2, err2 := url.Parse(vu)
	if err1 != nil || err2 != nil || p1.Scheme != "http" || p1.Hostname() != "127.0.0.1" || p2.Hostname() != "127.0.0.1" {
		t.Fatalf("urls %q %q", pu, vu)
	}
	if p1.Port() == p2.Port() {
		t.Fatalf("vendors share port %s", p1.Port())
	}
	if sb.URL("jotelulu") != "" {
		t.Fatal("URL of a vendor not served")
	}
	if got := strings.Join(sb.Vendors(), ","); got != "pra,virtomize" {
		t.Fatalf("Vendors = %s", got)
	}
	env := sb.Env()
	if env[EnvPRAHost] != pu || env[EnvPRAClientID] != "sandbox-client" || env[EnvPRAClientSecret] != sim.ClientSecret() ||
		env["INFRA_VIRTOMIZE_URL"] != vu || len(env) != 4 {
		t.Fatalf("env %v", env)
	}
	if sb.CAFile() != "" {
		t.Fatal("CA file without TLS")
	}
	if body := get(t, http.DefaultClient, vu+"/rest/v1/x"); body != "virtomize /rest/v1/x" {
		t.Fatalf("virtomize answered %q", body)
	}
	if st := praToken(t, http.DefaultClient, env); st != http.StatusOK || sim.TokensMinted() != 1 {
		t.Fatalf("token status %d, minted %d", st, sim.TokensMinted())
	}

	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	<-sb.Done()
	for _, u := range []*url.URL{p1, p2} {
		if c, err := net.Dial("tcp", u.Host); err == nil {
			c.Close()
			t.Fatalf("%s still accepts connections after Close", u.Host)
		}
	}
}

func TestTLS(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	praVendor, _ := NewPRA(prasim.Options{ClientSecret: "tls-secret"})
	sb, err := Start(context.Background(), []Vendor{praVendor, echoVendor("jotelulu")}, Options{TLS: true, CertDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	if sb.CAFile() != filepath.Join(dir, CAFileName) || sb.Env()[EnvCACert] != sb.CAFile() {
		t.Fatalf("CA file %q env %v", sb.CAFile(), sb.Env())
	}
	pemData, err := os.ReadFile(sb.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatal("CA file holds no certificate")
	}
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer trusting.CloseIdleConnections()

	ju := sb.URL("jotelulu")
	if !strings.HasPrefix(ju, "https://127.0.0.1:") || !strings.HasPrefix(sb.URL("pra"), "https://127.0.0.1:") {
		t.Fatalf("urls %q %q", ju, sb.URL("pra"))
	}
	if body := get(t, trusting, ju+"/api"); body != "jotelulu /api" {
		t.Fatalf("answer %q", body)
	}
	// The certificate also names localhost.
	localhost := strings.Replace(ju, "127.0.0.1", "localhost", 1)
	if body := get(t, trusting, localhost+"/x"); body != "jotelulu /x" {
		t.Fatalf("answer via localhost %q", body)
	}
	if st := praToken(t, trusting, sb.Env()); st != http.StatusOK {
		t.Fatalf("token over TLS: %d", st)
	}
	// A client that does not trust the sandbox CA is refused.
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}}
	_, err = plain.Get(ju)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("untrusted client error = %v", err)
	}

	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sb.CAFile()); err != nil {
		t.Fatalf("CA file in a caller's cert dir must survive Close: %v", err)
	}
}

func TestTemporaryCertDirRemoved(t *testing.T) {
	sb, err := Start(context.Background(), []Vendor{echoVendor("a")}, Options{TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	ca := sb.CAFile()
	if _, err := os.Stat(ca); err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(ca)); !os.IsNotExist(err) {
		t.Fatalf("temporary cert dir left behind: %v", err)
	}
}

func TestFixedPortsAreConsecutive(t *testing.T) {
	// Find two free consecutive ports; another process may grab them in
	// between, so try a few candidates.
	for attempt := 0; attempt < 20; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if port >= 65535 {
			continue
		}
		sb, err := Start(context.Background(), []Vendor{echoVendor("a"), echoVendor("b")},
			Options{Addr: "localhost:" + strconv.Itoa(port)})
		if err != nil {
			continue
		}
		defer sb.Close()
		if sb.URL("a") != "http://127.0.0.1:"+strconv.Itoa(port) || sb.URL("b") != "http://127.0.0.1:"+strconv.Itoa(port+1) {
			t.Fatalf("urls %q %q for base port %d", sb.URL("a"), sb.URL("b"), port)
		}
		if body := get(t, http.DefaultClient, sb.URL("b")+"/"); body != "b /" {
			t.Fatalf("b answered %q", body)
		}
		return
	}
	t.Skip("no two consecutive free ports found")
}

func TestStartRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		vendors []Vendor
		opts    Options
	}{
		"no vendors":    {nil, Options{}},
		"duplicate":     {[]Vendor{echoVendor("a"), echoVendor("a")}, Options{}},
		"nil handler":   {[]Vendor{{Name: "x"}}, Options{}},
		"all addresses": {[]Vendor{echoVendor("a")}, Options{Addr: ":0"}},
		"wildcard":      {[]Vendor{echoVendor("a")}, Options{Addr: "0.0.0.0:0"}},
		"public":        {[]Vendor{echoVendor("a")}, Options{Addr: "192.0.2.10:0"}},
		"bad port":      {[]Vendor{echoVendor("a")}, Options{Addr: "127.0.0.1:http"}},
		"port overflow": {[]Vendor{echoVendor("a"), echoVendor("b")}, Options{Addr: "127.0.0.1:65535"}},
	}
	for name, c := range cases {
		if sb, err := Start(ctx, c.vendors, c.opts); err == nil {
			sb.Close()
			t.Errorf("%s: Start succeeded", name)
		}
	}
}

func TestContextCancelCloses(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	sb, err := Start(ctx, []Vendor{echoVendor("a")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(sb.URL("a"), "http://")
	cancel()
	<-sb.Done()
	if c, err := net.Dial("tcp", host); err == nil {
		c.Close()
		t.Fatal("listener open after cancellation")
	}
	if err := sb.Err(); err != nil {
		t.Fatalf("serve error %v", err)
	}
}
