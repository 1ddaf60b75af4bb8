package cmd_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/infractl/infra/internal/sim/virtomizesim"
	vcat "github.com/infractl/infra/pkg/catalog/virtomize"
)

// virtomizeRecorder sits in front of the script's Virtomize simulator and records every request with its status, so a
// script can prove that each operation of the list was served successfully through the binary.
type virtomizeRecorder struct {
	mu   sync.Mutex
	seen map[string]int // "METHOD /path" -> lowest status seen below 400 (or the last error status)
	ok   map[string]bool
}

func (r *virtomizeRecorder) wrap(h http.Handler) http.Handler {
	return observe(h, func(req *http.Request, code int) {
		p := strings.TrimPrefix(req.URL.Path, "/rest/v1")
		if p == "" {
			p = "/"
		}
		k := req.Method + " " + p
		r.mu.Lock()
		defer r.mu.Unlock()
		r.seen[k] = code
		if code < 400 {
			r.ok[k] = true
		}
	})
}

// uncovered returns the operations of the list that no successful request matched.
func (r *virtomizeRecorder) uncovered(list []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var missing []string
	for _, line := range list {
		method, pattern, _ := strings.Cut(line, " ")
		re := regexp.MustCompile("^" + regexp.MustCompile(`:[a-z]+`).ReplaceAllString(regexp.QuoteMeta(pattern), `[^/]+`) + "$")
		found := false
		for k := range r.ok {
			m, p, _ := strings.Cut(k, " ")
			// Fixed paths win over keys: /users/current is not /users/:key.
			if m == method && re.MatchString(p) && !shadowed(list, method, pattern, p) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, line)
		}
	}
	sort.Strings(missing)
	return missing
}

// shadowed reports whether path p is matched by a more specific (literal) pattern than pattern.
func shadowed(list []string, method, pattern, p string) bool {
	if !strings.Contains(pattern, ":") {
		return false
	}
	for _, line := range list {
		m, other, _ := strings.Cut(line, " ")
		if m == method && other == p {
			return true
		}
	}
	return false
}

// readOpsList returns the lines of the catalog's operation table ("METHOD /path/:key").
func readOpsList() ([]string, error) { return vcat.Operations(), nil }

// selfSignedCert makes a self-signed certificate for 127.0.0.1 and returns it with its SHA-256 fingerprint.
func selfSignedCert(cn string) (tls.Certificate, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Virtomize test appliance"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{cn},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	sum := sha256.Sum256(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, "sha256:" + hex.EncodeToString(sum[:]), nil
}

func init() {
	extraSetup = append(extraSetup, func(env *testscript.Env) error {
		sim := env.Values["virtomizesim"].(*virtomizesim.Server)
		rec := &virtomizeRecorder{seen: map[string]int{}, ok: map[string]bool{}}
		srv := httptest.NewServer(rec.wrap(sim))
		env.Defer(srv.Close)
		env.Values["virtomizerec"] = rec
		env.Setenv("INFRA_VIRTOMIZE_HOST", srv.URL)
		env.Setenv("VIRTOMIZE_URL", srv.URL)
		// Installations finish after three polls of the simulator; no need to wait seconds between them.
		env.Setenv("INFRA_VIRTOMIZE_POLL_INTERVAL", "10ms")

		// A TLS appliance whose certificate can be replaced (virtomize-swap-cert), for the pinning scripts.
		certA, fpA, err := selfSignedCert("appliance-a.test")
		if err != nil {
			return err
		}
		certB, fpB, err := selfSignedCert("appliance-b.test")
		if err != nil {
			return err
		}
		var current atomic.Pointer[tls.Certificate]
		current.Store(&certA)
		tsim := virtomizesim.New(virtomizesim.Options{Username: "admin", Password: "v1rt-sandbox-pass", Seed: true})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		tlsLn := tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return current.Load(), nil }})
		hs := &http.Server{Handler: tsim, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
		go func() { _ = hs.Serve(tlsLn) }()
		env.Defer(func() { _ = hs.Close() })
		env.Values["virtomizetlscert"] = func() { current.Store(&certB) }
		env.Setenv("VIRTOMIZE_TLS_URL", "https://"+ln.Addr().String())
		env.Setenv("VIRTOMIZE_FP_A", fpA)
		env.Setenv("VIRTOMIZE_FP_B", fpB)
		return nil
	})
	// virtomize-covered: every operation of the catalog's table was answered with success through the binary.
	extraCmds["virtomize-covered"] = func(ts *testscript.TestScript, neg bool, args []string) {
		list, err := readOpsList()
		ts.Check(err)
		missing := ts.Value("virtomizerec").(*virtomizeRecorder).uncovered(list)
		if (len(missing) == 0) == neg {
			ts.Fatalf("%d of %d operations never succeeded:\n  %s", len(missing), len(list), strings.Join(missing, "\n  "))
		}
		ts.Logf("all %d operations succeeded", len(list))
	}
	// virtomize-minted N: the script's simulator has minted exactly N tokens.
	extraCmds["virtomize-minted"] = func(ts *testscript.TestScript, neg bool, args []string) {
		got := ts.Value("virtomizesim").(*virtomizesim.Server).TokensMinted()
		if (fmt.Sprint(got) == args[0]) == neg {
			ts.Fatalf("tokens minted: %d, want %s", got, args[0])
		}
	}
	// virtomize-swap-cert: the TLS appliance presents its second certificate from now on.
	extraCmds["virtomize-swap-cert"] = func(ts *testscript.TestScript, neg bool, args []string) {
		ts.Value("virtomizetlscert").(func())()
	}
	// [!] virtomize-sent METHOD PATH: a request for METHOD PATH reached the appliance (with !: never).
	extraCmds["virtomize-sent"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: virtomize-sent METHOD PATH")
		}
		rec := ts.Value("virtomizerec").(*virtomizeRecorder)
		rec.mu.Lock()
		_, ok := rec.seen[args[0]+" "+args[1]]
		rec.mu.Unlock()
		if ok == neg {
			ts.Fatalf("%s %s: sent=%v", args[0], args[1], ok)
		}
	}
	// virtomize-status METHOD PATH CODE: the last request to METHOD PATH got status CODE.
	extraCmds["virtomize-status"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 3 {
			ts.Fatalf("usage: virtomize-status METHOD PATH CODE")
		}
		rec := ts.Value("virtomizerec").(*virtomizeRecorder)
		rec.mu.Lock()
		got, ok := rec.seen[args[0]+" "+args[1]]
		rec.mu.Unlock()
		if !ok {
			ts.Fatalf("%s %s was never requested", args[0], args[1])
		}
		if (fmt.Sprint(got) == args[2]) == neg {
			ts.Fatalf("%s %s: status %d, want %s", args[0], args[1], got, args[2])
		}
	}
}
