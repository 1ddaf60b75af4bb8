// Package pra is the client for BeyondTrust Privileged Remote Access: OAuth2 client credentials and the Configuration API
// (/api/config/v1), on top of the shared HTTP core.
package pra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/engine"
)

// ConfigPrefix is the Configuration API root.
const ConfigPrefix = "/api/config/v1"

// Page size limits of the Configuration API (PerPage: 5 to 100).
const (
	MaxPerPage = 100
	MinPerPage = 5
)

// Documented account limits: 20 requests per second and 15,000 per hour.
const (
	RatePerSec  = 20
	RatePerHour = 15000
)

// Settings are what the client needs besides the HTTP options.
type Settings struct {
	Host         string // host name (btapi style) or URL
	ClientID     string
	ClientSecret string
	Cache        api.TokenCache
	// Minted is called when a new token is minted.
	Minted func()
}

// Client talks to one PRA site.
type Client struct {
	core *api.Client
	cc   *api.ClientCredentials
}

// BaseURL turns a btapi-style host ("access.example.com") into a URL; URLs are kept.
func BaseURL(host string) (string, error) {
	h := strings.TrimSpace(host)
	if h == "" {
		return "", &api.UsageError{Err: errors.New("no PRA host configured: set BT_API_HOST or INFRA_PRA_HOST, run `infra auth login pra --host HOST`, or `infra config set pra.host HOST`")}
	}
	if !strings.Contains(h, "://") {
		h = "https://" + h
	}
	u, err := url.Parse(h)
	if err != nil || u.Host == "" {
		return "", &api.UsageError{Err: fmt.Errorf("PRA host %q is not a host name or URL", host)}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// New builds a client. o carries TLS, debug, timeouts; rate limits default to the documented ones.
func New(o api.Options, s Settings) (*Client, error) {
	base, err := BaseURL(s.Host)
	if err != nil {
		return nil, err
	}
	if s.ClientID == "" {
		return nil, &api.UsageError{Err: errors.New("no PRA client id configured: set BT_CLIENT_ID or INFRA_PRA_CLIENT_ID, or run `infra auth login pra --client-id ID`")}
	}
	o.BaseURL = base
	if o.RatePerSec == 0 {
		o.RatePerSec = RatePerSec
	}
	if o.RatePerHour == 0 {
		o.RatePerHour = RatePerHour
	}
	o.RedactKeys = append(o.RedactKeys, "private_key", "password")
	cc := &api.ClientCredentials{
		TokenURL:     base + "/oauth2/token",
		ClientID:     s.ClientID,
		ClientSecret: s.ClientSecret,
		Cache:        s.Cache,
		CacheKey:     "pra|" + base + "|" + s.ClientID,
		AuthStyle:    oauth2.AuthStyleInHeader,
		Minted:       s.Minted,
	}
	o.Auth = cc
	core, err := api.New(o)
	if err != nil {
		return nil, err
	}
	// The token call goes through the same TLS settings and debug trace, without auth or retries.
	cc.HTTPClient = core.HTTPClient()
	return &Client{core: core, cc: cc}, nil
}

// Core exposes the HTTP core (for the XML APIs and downloads).
func (c *Client) Core() *api.Client { return c.core }

// Token mints or reuses a token (for `infra auth token`).
func (c *Client) Token(ctx context.Context) (*oauth2.Token, error) { return c.cc.Token(ctx) }

func (c *Client) request(ctx context.Context, method, path string, q url.Values, body any) (*http.Request, error) {
	p := ConfigPrefix + path
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	req, err := c.core.NewRequest(ctx, method, p, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// decorate adds the guide's hints to API errors.
func decorate(err error) error {
	var he *api.HTTPError
	if !errors.As(err, &he) {
		return err
	}
	switch he.StatusCode {
	case http.StatusForbidden:
		he.Hint = "the API account lacks permission for this API: in /login > Management > API Configuration, allow the Configuration API (and Vault access for vault resources)"
	case http.StatusUnauthorized:
		if !strings.Contains(string(he.Body), "access_denied") {
			he.Hint = "PRA answers 401 for unrecognised query parameters or body fields as well as for bad credentials"
		} else {
			he.Hint = "the token was refused: check the client id and secret (`infra auth status`), or regenerate the secret"
		}
	case http.StatusMethodNotAllowed:
		if he.Allow != "" {
			he.Hint = "allowed methods: " + he.Allow
		}
	}
	return he
}

// Invoke implements engine.Backend.
func (c *Client) Invoke(ctx context.Context, call *engine.Call) (any, error) {
	var body any
	if call.Body != nil {
		body = call.Body
	}
	req, err := c.request(ctx, call.Op.Method, call.Path(), call.Query, body)
	if err != nil {
		return nil, err
	}
	var out any
	if _, err := c.core.DoJSON(req, &out); err != nil {
		return nil, decorate(err)
	}
	return out, nil
}

// Do sends a raw request under the Configuration API root and decodes the JSON answer.
func (c *Client) Do(ctx context.Context, method, path string, q url.Values, body any) (any, http.Header, error) {
	req, err := c.request(ctx, method, path, q, body)
	if err != nil {
		return nil, nil, err
	}
	var out any
	resp, err := c.core.DoJSON(req, &out)
	if err != nil {
		return nil, nil, decorate(err)
	}
	return out, resp.Header, nil
}

// List implements engine.Backend: it follows the Link header's rel="next" until the last page or the limit.
func (c *Client) List(ctx context.Context, call *engine.Call, opts engine.ListOptions, each func(any) error) error {
	q := url.Values{}
	for k, v := range call.Query {
		q[k] = v
	}
	per := opts.PerPage
	if per <= 0 || per > MaxPerPage {
		per = MaxPerPage
	}
	if opts.Limit > 0 && opts.Limit < per && opts.Page == 0 {
		per = max(opts.Limit, MinPerPage)
	}
	if per < MinPerPage {
		per = MinPerPage
	}
	q.Set("per_page", strconv.Itoa(per))
	page := 1
	if opts.Page > 0 {
		page = opts.Page
	}
	q.Set("current_page", strconv.Itoa(page))
	next := ConfigPrefix + call.Path() + "?" + q.Encode()
	seen := 0
	for next != "" {
		req, err := c.core.NewRequest(ctx, http.MethodGet, next, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		var items []any
		resp, err := c.core.DoJSON(req, &items)
		if err != nil {
			return decorate(err)
		}
		for _, it := range items {
			if err := each(it); err != nil {
				return err
			}
			seen++
			if opts.Limit > 0 && seen >= opts.Limit {
				return nil
			}
		}
		if opts.Page > 0 || len(items) == 0 {
			return nil
		}
		next = NextLink(resp.Header.Get("Link"))
		if next != "" {
			// Keep requests on the configured site even if the Link header names another host.
			if u, err := url.Parse(next); err == nil {
				next = u.RequestURI()
			}
		}
	}
	return nil
}

// Count returns the number of items a list would return, from a HEAD request's X-BT-Pagination-Total.
func (c *Client) Count(ctx context.Context, call *engine.Call) (int, error) {
	q := url.Values{}
	for k, v := range call.Query {
		q[k] = v
	}
	q.Set("per_page", strconv.Itoa(MinPerPage))
	req, err := c.request(ctx, http.MethodHead, call.Path(), q, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.core.Do(req)
	if err != nil {
		return 0, decorate(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	n, err := strconv.Atoi(resp.Header.Get("X-BT-Pagination-Total"))
	if err != nil {
		return 0, fmt.Errorf("the site did not send X-BT-Pagination-Total")
	}
	return n, nil
}

// NextLink extracts the rel="next" URL from a Link header.
func NextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		part = strings.TrimSpace(part)
		start, end := strings.Index(part, "<"), strings.Index(part, ">")
		if start < 0 || end < start {
			continue
		}
		params := part[end+1:]
		for _, p := range strings.Split(params, ";") {
			p = strings.TrimSpace(p)
			if p == `rel="next"` || p == "rel=next" {
				return part[start+1 : end]
			}
		}
	}
	return ""
}
