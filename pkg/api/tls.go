package api

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// Fingerprint returns "sha256:" followed by the lowercase hex SHA-256 of the certificate's DER encoding.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// NormalizePin accepts "sha256:<hex>" (or bare hex, with or without colons, any case) and returns the canonical
// "sha256:<lowercase hex>" form.
func NormalizePin(pin string) (string, error) {
	p := strings.TrimSpace(pin)
	if i := strings.IndexByte(p, ':'); i >= 0 && strings.EqualFold(p[:i], "sha256") {
		p = p[i+1:]
	}
	p = strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(p))
	if b, err := hex.DecodeString(p); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("certificate pin %q is not a SHA-256 fingerprint (expected sha256: followed by 64 hex digits)", pin)
	}
	return "sha256:" + p, nil
}

// buildTLSConfig turns the TLS options into a tls.Config. host is used in pin errors when the handshake has no name.
func buildTLSConfig(o Options, host string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.PinSHA256 != "" {
		want, err := NormalizePin(o.PinSHA256)
		if err != nil {
			return nil, &UsageError{Err: err}
		}
		// The pin replaces chain verification: self-signed appliance certificates are accepted when they match.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			name := cs.ServerName
			if name == "" {
				name = host
			}
			if len(cs.PeerCertificates) == 0 {
				return &PinError{Host: name, Expected: want, Got: "(no certificate)"}
			}
			if got := Fingerprint(cs.PeerCertificates[0]); got != want {
				return &PinError{Host: name, Expected: want, Got: got}
			}
			return nil
		}
		return cfg, nil
	}
	if o.Insecure {
		cfg.InsecureSkipVerify = true
		return cfg, nil
	}
	if o.CACertFile != "" {
		pem, err := os.ReadFile(o.CACertFile)
		if err != nil {
			return nil, &UsageError{Err: fmt.Errorf("reading CA certificate file %s: %w", o.CACertFile, err)}
		}
		// The system pool honours SSL_CERT_FILE and SSL_CERT_DIR; the file's roots are added to it.
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &UsageError{Err: fmt.Errorf("CA certificate file %s holds no PEM certificate", o.CACertFile)}
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// FetchLeafFingerprint connects to hostport without verifying the certificate and returns the fingerprint and
// certificate the server presents, for trust-on-first-use prompts. hostport may also be a URL; port 443 is the default.
func FetchLeafFingerprint(ctx context.Context, hostport string, timeout time.Duration) (fp string, cert *x509.Certificate, err error) {
	addr := strings.TrimSpace(hostport)
	if strings.Contains(addr, "://") {
		u, perr := url.Parse(addr)
		if perr != nil || u.Host == "" {
			return "", nil, &UsageError{Err: fmt.Errorf("%q is not a host or URL", hostport)}
		}
		addr = u.Host
	}
	addr = strings.TrimRight(addr, "/")
	host, _, splitErr := net.SplitHostPort(addr)
	if splitErr != nil {
		host = strings.Trim(addr, "[]")
		addr = net.JoinHostPort(host, "443")
	}
	if host == "" {
		return "", nil, &UsageError{Err: fmt.Errorf("%q is not a host or URL", hostport)}
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := tls.Dialer{
		NetDialer: &net.Dialer{},
		Config: &tls.Config{
			MinVersion: tls.VersionTLS12,
			ServerName: host,
			// Only the fingerprint is wanted: the user decides whether to trust it.
			InsecureSkipVerify: true, //nolint:gosec
		},
	}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("connecting to %s: %w", addr, err)
	}
	defer conn.Close()
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return "", nil, errors.New("not a TLS connection")
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", nil, fmt.Errorf("%s presented no certificate", addr)
	}
	return Fingerprint(certs[0]), certs[0], nil
}
