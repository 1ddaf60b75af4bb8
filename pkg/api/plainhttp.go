package api

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
)

// plainHTTPWarned remembers the hosts already warned about, so each gets one line per process.
var plainHTTPWarned sync.Map

// plainHTTPWarner writes a one-line warning the first time a credential (an Authorization header or a token
// request's form) is about to travel over plain http:// to a host that is not loopback. It never changes the request.
type plainHTTPWarner struct {
	next http.RoundTripper
	warn io.Writer
}

func (p *plainHTTPWarner) RoundTrip(req *http.Request) (*http.Response, error) {
	if carriesSecret(req) && strings.EqualFold(req.URL.Scheme, "http") && !loopbackHost(req.URL.Hostname()) {
		host := strings.ToLower(req.URL.Host)
		if _, seen := plainHTTPWarned.LoadOrStore(host, true); !seen {
			fmt.Fprintf(p.warn, "warning: sending credentials over plain http:// to %s: anyone on the network path can read them (use https://)\n", host)
		}
	}
	return p.next.RoundTrip(req)
}

func carriesSecret(req *http.Request) bool {
	return req.Header.Get("Authorization") != "" || isTokenRequest(req.Context())
}

// loopbackHost reports whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
