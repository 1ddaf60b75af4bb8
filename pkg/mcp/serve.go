package mcp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/infractl/infra/pkg/api"
)

// ServeStdio serves one client on the transport (stdin and stdout for `infra mcp serve`) until it disconnects or
// ctx ends.
func (s *Server) ServeStdio(ctx context.Context, t sdk.Transport) error {
	err := s.srv.Run(ctx, t)
	if ctx.Err() != nil || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// HTTPOptions configure the streamable HTTP transport.
type HTTPOptions struct {
	// Addr is host:port; a bare :port or port binds the loopback address.
	Addr string
	// AllowRemote permits an address that is not a loopback one.
	AllowRemote bool
	// Announce receives the address and the bearer token, once (stderr).
	Announce io.Writer
	// Ready, when set, is called with the bound address and the token (tests).
	Ready func(addr, token string)
}

// listenAddr resolves where to listen: loopback unless another host is named, and a named non-loopback host only
// with allowRemote.
func listenAddr(addr string, allowRemote bool) (string, error) {
	if !strings.Contains(addr, ":") {
		addr = ":" + addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", &api.UsageError{Err: fmt.Errorf("--http %q: expected HOST:PORT or :PORT", addr)}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	loopback := host == "localhost"
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		loopback = true
	}
	if !loopback && !allowRemote {
		return "", &api.UsageError{Err: fmt.Errorf("--http %s is not a loopback address: anyone who can reach it could drive the vendor APIs with this server's credentials; pass --allow-remote to serve it anyway (behind TLS termination)", addr)}
	}
	return net.JoinHostPort(host, port), nil
}

// NewToken returns a random bearer token.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// RequireBearer refuses every request that does not carry "Authorization: Bearer <token>".
func RequireBearer(token string, next http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="infra mcp"`)
			http.Error(w, "a bearer token is required (printed by infra mcp serve when it started)", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP serves MCP over streamable HTTP at /mcp until ctx ends. A fresh bearer token is announced once and
// required on every request.
func (s *Server) ServeHTTP(ctx context.Context, o HTTPOptions) error {
	addr, err := listenAddr(o.Addr, o.AllowRemote)
	if err != nil {
		return err
	}
	token, err := NewToken()
	if err != nil {
		return err
	}
	api.RegisterSecret(token)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--http: %w", err)
	}
	// Idle sessions end after a while (a client that vanished does not hold its session forever).
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s.srv },
		&sdk.StreamableHTTPOptions{SessionTimeout: 30 * time.Minute})
	mux := http.NewServeMux()
	mux.Handle("/mcp", RequireBearer(token, h))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	bound := ln.Addr().String()
	if o.Announce != nil {
		fmt.Fprintf(o.Announce, "infra mcp serve: streamable HTTP at http://%s/mcp\n", bound)
		fmt.Fprintf(o.Announce, "bearer token (shown once; send it as \"Authorization: Bearer TOKEN\"): %s\n", token)
	}
	if o.Ready != nil {
		o.Ready(bound, token)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = hs.Shutdown(sctx)
		case <-done:
		}
	}()
	err = hs.Serve(ln)
	close(done)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ParseSecret reads a --secret FIELD=env:VARIABLE, FIELD=file:PATH or FIELD=keyring:NAME specification at
// start-up. The value is read once, registered for scrubbing, and returned by the source; the variable, file or
// credential store entry must exist now. keyring reads NAME from the credential store (nil: not available).
func ParseSecret(spec string, getenv func(string) string, keyring func(name string) (string, error)) (string, SecretSource, error) {
	field, src, ok := strings.Cut(spec, "=")
	kind, ref, ok2 := strings.Cut(src, ":")
	if !ok || !ok2 || field == "" || ref == "" {
		return "", nil, &api.UsageError{Err: fmt.Errorf("--secret %q: expected FIELD=env:VARIABLE, FIELD=file:PATH or FIELD=keyring:NAME", redactSpec(spec))}
	}
	var val string
	switch kind {
	case "env":
		val = getenv(ref)
		if val == "" {
			return "", nil, &api.UsageError{Err: fmt.Errorf("--secret %s: environment variable %s is not set", field, ref)}
		}
	case "file":
		b, err := os.ReadFile(ref)
		if err != nil {
			return "", nil, &api.UsageError{Err: fmt.Errorf("--secret %s: %v", field, err)}
		}
		val = strings.TrimRight(string(b), "\r\n")
		if val == "" {
			return "", nil, &api.UsageError{Err: fmt.Errorf("--secret %s: %s is empty", field, ref)}
		}
	case "keyring":
		if keyring == nil {
			return "", nil, &api.UsageError{Err: fmt.Errorf("--secret %s: no credential store", field)}
		}
		v, err := keyring(ref)
		if err != nil {
			return "", nil, fmt.Errorf("--secret %s: credential store entry %s: %w", field, ref, err)
		}
		if val = v; val == "" {
			return "", nil, &api.UsageError{Err: fmt.Errorf("--secret %s: credential store entry %s is empty", field, ref)}
		}
	default:
		return "", nil, &api.UsageError{Err: fmt.Errorf("--secret %s: source %q is not env, file or keyring", field, kind)}
	}
	api.RegisterSecret(val)
	return field, func() (string, error) { return val, nil }, nil
}

// redactSpec keeps a malformed --secret specification out of messages beyond its field name.
func redactSpec(spec string) string {
	field, _, _ := strings.Cut(spec, "=")
	return field + "=…"
}
