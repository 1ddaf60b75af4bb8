package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPinnedCertificate(t *testing.T) {
	certA, leafA, _ := selfSigned(t, "appliance-a")
	_, leafB, _ := selfSigned(t, "appliance-b")
	var hits atomic.Int32
	srv := tlsServer(t, certA, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		okHandler(w, r)
	}))

	// The right pin is accepted even though the certificate is self-signed (no CA chain).
	pinA := Fingerprint(leafA)
	c, _ := newTestClient(t, srv.URL, Options{PinSHA256: strings.ToUpper(strings.TrimPrefix(pinA, "sha256:"))})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	if _, err := c.DoJSON(req, nil); err != nil {
		t.Fatalf("matching pin: %v", err)
	}

	// Another certificate's pin fails with a PinError naming both fingerprints, without retries.
	pinB := Fingerprint(leafB)
	c, fc := newTestClient(t, srv.URL, Options{PinSHA256: pinB})
	req, _ = c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	_, err := c.Do(req)
	var pe *PinError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *PinError", err)
	}
	if pe.Expected != pinB || pe.Got != pinA || pe.Host != "127.0.0.1" {
		t.Errorf("PinError = %+v", pe)
	}
	if !strings.Contains(err.Error(), pinA) || !strings.Contains(err.Error(), pinB) {
		t.Errorf("message lacks the fingerprints: %v", err)
	}
	if len(fc.Sleeps()) != 0 || hits.Load() != 1 {
		t.Errorf("a pin mismatch must not be retried (sleeps %v, hits %d)", fc.Sleeps(), hits.Load())
	}

	if _, err := New(Options{BaseURL: srv.URL, PinSHA256: "sha256:xyz"}); KindOf(err) != KindUsage {
		t.Errorf("bad pin: %v", err)
	}
}

func TestCACertFile(t *testing.T) {
	cert, _, pemBytes := selfSigned(t, "private-ca")
	srv := tlsServer(t, cert, http.HandlerFunc(okHandler))
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}

	// Without the CA the self-signed server is refused, and that is not retried.
	c, fc := newTestClient(t, srv.URL, Options{})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	_, err := c.Do(req)
	var unknown x509.UnknownAuthorityError
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &unknown) && !errors.As(err, &verr) {
		t.Fatalf("err = %v, want an unknown-authority error", err)
	}
	if len(fc.Sleeps()) != 0 {
		t.Errorf("certificate errors were retried: %v", fc.Sleeps())
	}

	c, _ = newTestClient(t, srv.URL, Options{CACertFile: caFile})
	req, _ = c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	if _, err := c.DoJSON(req, nil); err != nil {
		t.Fatalf("with --ca-cert: %v", err)
	}

	// Insecure also gets through, with the warning.
	var warn strings.Builder
	c, _ = newTestClient(t, srv.URL, Options{Insecure: true, Warn: &warn})
	req, _ = c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	if _, err := c.DoJSON(req, nil); err != nil || !strings.Contains(warn.String(), "--insecure") {
		t.Fatalf("insecure: %v, warning %q", err, warn.String())
	}

	missing := filepath.Join(dir, "missing.pem")
	_, err = New(Options{BaseURL: srv.URL, CACertFile: missing})
	if err == nil || !strings.Contains(err.Error(), missing) || KindOf(err) != KindUsage {
		t.Errorf("missing CA file: %v", err)
	}
	notPEM := filepath.Join(dir, "bad.pem")
	_ = os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	if _, err := New(Options{BaseURL: srv.URL, CACertFile: notPEM}); err == nil || !strings.Contains(err.Error(), notPEM) {
		t.Errorf("non-PEM CA file: %v", err)
	}
}

func TestMinimumTLSVersion(t *testing.T) {
	cert, _, _ := selfSigned(t, "old")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(okHandler))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS11}
	srv.StartTLS()
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, Options{Insecure: true, MaxRetries: -1})
	req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
	if _, err := c.Do(req); err == nil {
		t.Fatal("a TLS 1.1 server was accepted")
	}
}

func TestFetchLeafFingerprint(t *testing.T) {
	cert, leaf, _ := selfSigned(t, "tofu")
	srv := tlsServer(t, cert, http.HandlerFunc(okHandler))
	for _, target := range []string{srv.Listener.Addr().String(), srv.URL + "/some/path"} {
		fp, got, err := FetchLeafFingerprint(context.Background(), target, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if fp != Fingerprint(leaf) || got.Subject.CommonName != "tofu" {
			t.Errorf("%s: fingerprint %s (%s)", target, fp, got.Subject.CommonName)
		}
		if !strings.HasPrefix(fp, "sha256:") || len(fp) != len("sha256:")+64 || strings.ToLower(fp) != fp {
			t.Errorf("fingerprint format %q", fp)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := FetchLeafFingerprint(ctx, srv.Listener.Addr().String(), time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled fetch: %v", err)
	}
}

func TestNormalizePin(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	for _, in := range []string{"sha256:" + hex, "SHA256:" + strings.ToUpper(hex), hex, strings.Repeat("AB:", 31) + "AB"} {
		got, err := NormalizePin(in)
		if err != nil || got != "sha256:"+hex {
			t.Errorf("NormalizePin(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "sha256:abcd", "md5:" + hex, "sha256:" + strings.Repeat("zz", 32)} {
		if _, err := NormalizePin(bad); err == nil {
			t.Errorf("NormalizePin(%q) accepted", bad)
		}
	}
}
