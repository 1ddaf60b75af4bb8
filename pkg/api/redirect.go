package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects is how many same-origin redirects one request follows.
const maxRedirects = 10

// RedirectError reports a redirect that was not followed. Credentials and bodies are never sent to another origin
// (scheme, host and port), never downgraded from https to http, and token endpoints are never redirected at all.
type RedirectError struct {
	From, To string // origins, scheme://host:port
	Status   int    // the redirect's status code, when known
	Reason   string
}

func (e *RedirectError) Error() string {
	status := ""
	if e.Status != 0 {
		status = fmt.Sprintf(" (%d)", e.Status)
	}
	return fmt.Sprintf("refused to follow a redirect%s from %s to %s: %s", status, e.From, e.To, e.Reason)
}

// requestFlag marks a request's context with how the HTTP core must treat it.
type requestFlag int

const (
	flagTokenEndpoint requestFlag = iota + 1
	flagStreaming
)

func withFlag(ctx context.Context, f requestFlag) context.Context {
	return context.WithValue(ctx, f, true)
}

func hasFlag(ctx context.Context, f requestFlag) bool {
	v, _ := ctx.Value(f).(bool)
	return v
}

// ForTokenEndpoint marks a request context as a token request: its redirects are never followed, whatever the
// origin, and a secret in it sent over plain http to a remote host is warned about.
func ForTokenEndpoint(ctx context.Context) context.Context { return withFlag(ctx, flagTokenEndpoint) }

func isTokenRequest(ctx context.Context) bool { return hasFlag(ctx, flagTokenEndpoint) }

// Origin renders the scheme, host and port of u, with the default port made explicit.
func Origin(u *url.URL) string {
	if u == nil {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// checkRedirect is the redirect policy of every client of the HTTP core.
func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	e := &RedirectError{From: Origin(via[len(via)-1].URL), To: Origin(req.URL), Status: statusOf(req)}
	switch {
	case isTokenRequest(first.Context()):
		e.Reason = "token endpoints are never redirected (the credentials stay with the configured site)"
	case strings.EqualFold(first.URL.Scheme, "https") && !strings.EqualFold(req.URL.Scheme, "https"):
		e.Reason = "a redirect from https to http would send the request in clear text"
	case Origin(req.URL) != Origin(first.URL):
		e.From = Origin(first.URL)
		e.Reason = "only redirects within the configured site are followed (credentials and bodies are never sent to another origin)"
	case len(via) >= maxRedirects:
		e.Reason = fmt.Sprintf("stopped after %d redirects", maxRedirects)
	default:
		return nil
	}
	return e
}

// refuseRedirect is the policy of token clients: no redirect is followed.
func refuseRedirect(req *http.Request, via []*http.Request) error {
	return &RedirectError{From: Origin(via[len(via)-1].URL), To: Origin(req.URL), Status: statusOf(req),
		Reason: "token endpoints are never redirected (the credentials stay with the configured site)"}
}

func statusOf(req *http.Request) int {
	if req.Response != nil {
		return req.Response.StatusCode
	}
	return 0
}

// redirectErr returns the *RedirectError inside err (a *url.Error from http.Client), prefixed with the request, or
// err unchanged.
func redirectErr(req *http.Request, err error) error {
	var re *RedirectError
	if errors.As(err, &re) {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, re)
	}
	return err
}
