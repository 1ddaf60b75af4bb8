// Package sandbox runs vendor API simulators on local loopback listeners so
// that infra can be tried, demonstrated and tested without vendor accounts.
// Each vendor gets its own port; optionally every listener serves HTTPS with a
// certificate from a throwaway certificate authority generated at start.
package sandbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Vendor is one simulated API to serve.
type Vendor struct {
	Name    string       // "pra", "virtomize", "jotelulu"
	Handler http.Handler // the simulator
	// Env returns the settings a user exports to point infra at the
	// simulator reachable at baseURL, e.g. INFRA_PRA_HOST.
	Env func(baseURL string) map[string]string
}

// Options configure Start.
type Options struct {
	// Addr is the listen address, 127.0.0.1:0 by default. The host must be a
	// loopback address or "localhost". With a fixed port P, the first vendor
	// listens on P, the second on P+1, and so on; with port 0 every vendor
	// gets a free port from the system.
	Addr string
	// TLS serves HTTPS with a certificate for localhost, 127.0.0.1 and ::1,
	// signed by a certificate authority generated at start.
	TLS bool
	// CertDir receives ca.pem, the authority's certificate, when TLS is set.
	// When empty a temporary directory is used and removed by Close.
	CertDir string
}

// CAFileName is the name of the CA certificate file written to the cert dir.
const CAFileName = "ca.pem"

// EnvCACert names the environment variable through which infra trusts the
// sandbox certificate authority.
const EnvCACert = "INFRA_CA_CERT"

// shutdownGrace bounds how long Close waits for in-flight requests.
const shutdownGrace = 5 * time.Second

type endpoint struct {
	vendor Vendor
	url    string
	srv    *http.Server
	ln     net.Listener
}

// Sandbox is a set of running simulators. Close stops them.
type Sandbox struct {
	endpoints []*endpoint
	caFile    string
	tempDir   string // removed by Close
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
	serveErrs chan error
}

// Start serves every vendor on its own loopback listener and returns once all
// of them accept connections. Cancelling ctx closes the sandbox as Close does.
func Start(ctx context.Context, vendors []Vendor, o Options) (*Sandbox, error) {
	if len(vendors) == 0 {
		return nil, errors.New("sandbox: no vendors to serve")
	}
	seen := map[string]bool{}
	for _, v := range vendors {
		if v.Name == "" || v.Handler == nil {
			return nil, errors.New("sandbox: every vendor needs a name and a handler")
		}
		if seen[v.Name] {
			return nil, fmt.Errorf("sandbox: vendor %q given twice", v.Name)
		}
		seen[v.Name] = true
	}
	host, basePort, err := parseAddr(o.Addr)
	if err != nil {
		return nil, err
	}
	if basePort > 0 && basePort+len(vendors)-1 > 65535 {
		return nil, fmt.Errorf("sandbox: ports %d to %d are out of range", basePort, basePort+len(vendors)-1)
	}

	s := &Sandbox{done: make(chan struct{}), serveErrs: make(chan error, len(vendors))}
	var tlsConf *tls.Config
	if o.TLS {
		tlsConf, err = s.setupTLS(o.CertDir)
		if err != nil {
			s.cleanup()
			return nil, err
		}
	}

	var lc net.ListenConfig
	for i, v := range vendors {
		port := 0
		if basePort > 0 {
			port = basePort + i
		}
		ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("sandbox: listen for %s: %w", v.Name, err)
		}
		scheme := "http"
		if tlsConf != nil {
			ln = tls.NewListener(ln, tlsConf)
			scheme = "https"
		}
		ep := &endpoint{
			vendor: v,
			url:    scheme + "://" + ln.Addr().String(),
			srv:    &http.Server{Handler: v.Handler, ReadHeaderTimeout: 30 * time.Second},
			ln:     ln,
		}
		s.endpoints = append(s.endpoints, ep)
		go func() {
			if err := ep.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.serveErrs <- fmt.Errorf("sandbox: %s: %w", ep.vendor.Name, err)
			}
		}()
	}
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.done:
		}
	}()
	return s, nil
}

// parseAddr splits addr, insisting on a loopback host.
func parseAddr(addr string) (host string, port int, err error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("sandbox: address %q: %w", addr, err)
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("sandbox: address %q: invalid port", addr)
	}
	if host == "localhost" {
		return "127.0.0.1", port, nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", 0, fmt.Errorf("sandbox: address %q: only loopback addresses are allowed", addr)
	}
	return host, port, nil
}

func (s *Sandbox) setupTLS(dir string) (*tls.Config, error) {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "infra-sandbox-")
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		s.tempDir, dir = tmp, tmp
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox: cert dir: %w", err)
	}
	caPEM, cert, err := newCertificates(time.Now())
	if err != nil {
		return nil, fmt.Errorf("sandbox: generate certificates: %w", err)
	}
	s.caFile = filepath.Join(dir, CAFileName)
	if err := os.WriteFile(s.caFile, caPEM, 0o644); err != nil {
		return nil, fmt.Errorf("sandbox: write CA certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// URL returns the base URL of vendor, e.g. http://127.0.0.1:40123, or "" for
// a vendor that is not served.
func (s *Sandbox) URL(vendor string) string {
	for _, ep := range s.endpoints {
		if ep.vendor.Name == vendor {
			return ep.url
		}
	}
	return ""
}

// Vendors returns the names of the served vendors in start order.
func (s *Sandbox) Vendors() []string {
	out := make([]string, len(s.endpoints))
	for i, ep := range s.endpoints {
		out[i] = ep.vendor.Name
	}
	return out
}

// Env returns the merged settings of every vendor, plus INFRA_CA_CERT with
// the CA certificate path when serving TLS.
func (s *Sandbox) Env() map[string]string {
	env := map[string]string{}
	for _, ep := range s.endpoints {
		if ep.vendor.Env != nil {
			maps.Copy(env, ep.vendor.Env(ep.url))
		}
	}
	if s.caFile != "" {
		env[EnvCACert] = s.caFile
	}
	return env
}

// CAFile returns the path of the CA certificate (PEM), or "" without TLS.
func (s *Sandbox) CAFile() string { return s.caFile }

// Done is closed once the sandbox has been closed, by Close or by the
// cancellation of the context given to Start.
func (s *Sandbox) Done() <-chan struct{} { return s.done }

// Err returns the first error a listener failed with while serving, if any.
func (s *Sandbox) Err() error {
	select {
	case err := <-s.serveErrs:
		return err
	default:
		return nil
	}
}

// Close stops every listener, waiting briefly for requests in progress, and
// removes the temporary certificate directory. It is safe to call more than
// once; later calls return the first result.
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		var errs []error
		for _, ep := range s.endpoints {
			if err := ep.srv.Shutdown(ctx); err != nil {
				errs = append(errs, err)
				_ = ep.srv.Close()
			}
			// Serve may not have taken the listener over yet; closing it here
			// guarantees the port is released when Close returns.
			_ = ep.ln.Close()
		}
		errs = append(errs, s.cleanup())
		s.closeErr = errors.Join(errs...)
		close(s.done)
	})
	return s.closeErr
}

func (s *Sandbox) cleanup() error {
	if s.tempDir == "" {
		return nil
	}
	err := os.RemoveAll(s.tempDir)
	s.tempDir = ""
	return err
}
