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
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/oauth2"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/download"
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
	// Progress receives download progress bars; nil draws none (pass stderr only when it is a terminal).
	Progress io.Writer
	// Stdout receives downloads saved to "-" (default os.Stdout).
	Stdout io.Writer
	// Parallel is how many list pages may be fetched at once once the page count is known (default 4; 1 = one by one).
	Parallel int
}

// Client talks to one PRA site.
type Client struct {
	core     *api.Client
	cc       *api.ClientCredentials
	progress io.Writer
	parallel int
	out      io.Writer
}

func (c *Client) stdout() io.Writer {
	if c.out != nil {
		return c.out
	}
	return os.Stdout
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

// CacheKey identifies the cached token of one API account of one site: (vendor, site, client id), never the secret.
func CacheKey(base, clientID string) string { return "pra|" + base + "|" + clientID }

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
	o.RedactKeys = append(o.RedactKeys, "private_key", "password", "x509_key")
	o.RequestFault401 = UnrecognizedInput
	cc := &api.ClientCredentials{
		TokenURL:     base + "/oauth2/token",
		ClientID:     s.ClientID,
		ClientSecret: s.ClientSecret,
		Cache:        s.Cache,
		CacheKey:     CacheKey(base, s.ClientID),
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
	par := s.Parallel
	if par <= 0 {
		par = 4
	}
	return &Client{core: core, cc: cc, progress: s.Progress, parallel: par, out: s.Stdout}, nil
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
		if isVaultURL(he.URL) {
			he.Hint = "the API account lacks the Vault permission: in /login > Management > API Configuration, edit the account and allow Vault access (it needs Configuration API access as well)"
		} else {
			he.Hint = "the API account lacks permission to use the Configuration API: in /login > Management > API Configuration, edit the account and allow Configuration API access"
		}
	case http.StatusUnauthorized:
		if UnrecognizedInput(he.Body) {
			he.Hint = "PRA answers 401 for query parameters or body fields it does not recognise: check their spelling against `infra pra … --help` (no new token was requested)"
		} else {
			he.Hint = "the token was refused: check the client id and secret with `infra auth status --check`, or regenerate the secret"
		}
	case http.StatusMethodNotAllowed:
		if he.Allow != "" {
			he.Hint = "allowed methods: " + he.Allow
		}
	}
	return err
}

// UnrecognizedInput reports whether a 401 body blames the request rather than the token: the guide's status-code
// table says PRA answers 401 for unrecognized query string parameters (GET) and unrecognized body fields (POST,
// PATCH). An OAuth error body (access_denied, invalid_token) is about the token.
func UnrecognizedInput(body []byte) bool {
	b := strings.ToLower(string(body))
	if strings.Contains(b, "access_denied") || strings.Contains(b, "invalid_token") {
		return false
	}
	return strings.Contains(b, "unrecognized") || strings.Contains(b, "unrecognised")
}

func isVaultURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return strings.Contains(raw, ConfigPrefix+"/vault/")
	}
	return strings.HasPrefix(u.Path, ConfigPrefix+"/vault/") || u.Path == ConfigPrefix+"/vault"
}

// fail decorates an API error; a 405 without an Allow header is completed with the methods an OPTIONS request names.
func (c *Client) fail(ctx context.Context, err error) error {
	var he *api.HTTPError
	if errors.As(err, &he) && he.StatusCode == http.StatusMethodNotAllowed && he.Allow == "" {
		if u, perr := url.Parse(he.URL); perr == nil {
			if req, rerr := c.core.NewRequest(ctx, http.MethodOptions, u.Path, nil); rerr == nil {
				req.Header.Set("Accept", "application/json")
				if resp, derr := c.core.Do(req); derr == nil {
					he.Allow = resp.Header.Get("Allow")
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}
	}
	return decorate(err)
}

// Allowed asks the site which methods a path accepts (OPTIONS; the Allow header).
func (c *Client) Allowed(ctx context.Context, path string) (string, error) {
	req, err := c.request(ctx, http.MethodOptions, path, nil, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.core.Do(req)
	if err != nil {
		return "", decorate(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Header.Get("Allow"), nil
}

// Invoke implements request.Backend.
func (c *Client) Invoke(ctx context.Context, call *request.Call) (any, error) {
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
		return nil, c.fail(ctx, err)
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
		return nil, nil, c.fail(ctx, err)
	}
	return out, resp.Header, nil
}

// List implements request.Backend. It asks for per_page (at most 100) and current_page, then follows the Link header's
// rel="next" until the last page or the limit. When the first answer names the last page (X-BT-Pagination-Last-Page),
// the remaining pages are fetched several at a time (within the client's rate limit) and delivered in order.
func (c *Client) List(ctx context.Context, call *request.Call, opts request.ListOptions, each func(any) error) error {
	q := url.Values{}
	for k, v := range call.Query {
		q[k] = v
	}
	per := pageSize(opts)
	q.Set("per_page", strconv.Itoa(per))
	page := 1
	if opts.Page > 0 {
		page = opts.Page
	}
	q.Set("current_page", strconv.Itoa(page))
	base := ConfigPrefix + call.Path()
	sink := &listSink{each: each, limit: opts.Limit}
	var guard request.PageGuard
	first := base + "?" + q.Encode()
	if err := guard.Visit(first); err != nil {
		return err
	}
	items, hdr, err := c.page(ctx, first)
	if err != nil {
		return err
	}
	if done, err := sink.deliver(items); done || err != nil {
		return err
	}
	if opts.Page > 0 || len(items) == 0 {
		return nil
	}
	if last, err := strconv.Atoi(hdr.Get("X-BT-Pagination-Last-Page")); err == nil && last > page && c.parallel > 1 {
		if opts.Limit > 0 {
			// Pages still needed for the limit, counted from the first page fetched.
			need := page + (opts.Limit-sink.seen+per-1)/per
			last = min(last, need)
		}
		if err := guard.Allow(last - page + 1); err != nil {
			return err
		}
		return c.concurrentPages(ctx, base, q, page+1, last, sink.deliver)
	}
	return c.followLinks(ctx, &guard, NextLink(hdr.Get("Link")), sink)
}

// pageSize is the per_page asked for: opts.PerPage within MinPerPage..MaxPerPage, or no more than a limit needs when
// the list starts at the first page.
func pageSize(opts request.ListOptions) int {
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
	return per
}

// listSink hands a list's items to each until the limit (0: none) is reached.
type listSink struct {
	each  func(any) error
	limit int
	seen  int
}

// deliver hands items to each; done reports the limit was reached or each failed.
func (s *listSink) deliver(items []any) (done bool, err error) {
	for _, it := range items {
		if err := s.each(it); err != nil {
			return true, err
		}
		s.seen++
		if s.limit > 0 && s.seen >= s.limit {
			return true, nil
		}
	}
	return false, nil
}

// followLinks fetches the pages after the first one by one, from next along the Link headers' rel="next", until a
// page is empty or has no next link, or the sink is done.
func (c *Client) followLinks(ctx context.Context, guard *request.PageGuard, next string, sink *listSink) error {
	for next != "" {
		// Keep requests on the configured site even if the Link header names another host.
		if u, err := url.Parse(next); err == nil {
			next = u.RequestURI()
		}
		if err := guard.Visit(next); err != nil {
			return err
		}
		items, hdr, err := c.page(ctx, next)
		if err != nil {
			return err
		}
		if done, err := sink.deliver(items); done || err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		next = NextLink(hdr.Get("Link"))
	}
	return nil
}

// page fetches one page of a list.
func (c *Client) page(ctx context.Context, uri string) ([]any, http.Header, error) {
	req, err := c.core.NewRequest(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	var items []any
	resp, err := c.core.DoJSON(req, &items)
	if err != nil {
		return nil, nil, c.fail(ctx, err)
	}
	return items, resp.Header, nil
}

// concurrentPages fetches pages from..to with up to c.parallel requests in flight and delivers them in page order.
func (c *Client) concurrentPages(ctx context.Context, base string, q url.Values, from, to int, deliver func([]any) (bool, error)) error {
	ctx, cancel := context.WithCancel(ctx)
	type result struct {
		items []any
		err   error
	}
	n := to - from + 1
	results := make([]chan result, n)
	for i := range results {
		results[i] = make(chan result, 1)
	}
	sem := make(chan struct{}, c.parallel)
	var wg sync.WaitGroup
	spawned := make(chan struct{})
	defer func() {
		// Stop: no new requests, and wait for those in flight.
		cancel()
		<-spawned
		wg.Wait()
	}()
	go func() {
		defer close(spawned)
		for i := 0; i < n; i++ {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				for j := i; j < n; j++ {
					results[j] <- result{err: ctx.Err()}
				}
				return
			}
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				defer func() { <-sem }()
				pq := url.Values{}
				for k, v := range q {
					pq[k] = v
				}
				pq.Set("current_page", strconv.Itoa(from+i))
				items, _, err := c.page(ctx, base+"?"+pq.Encode())
				results[i] <- result{items, err}
			}(i)
		}
	}()
	for i := 0; i < n; i++ {
		r := <-results[i]
		if r.err != nil {
			return r.err
		}
		done, err := deliver(r.items)
		if done || err != nil {
			return err
		}
		if len(r.items) == 0 {
			return nil
		}
	}
	return nil
}

// Count returns the number of items a list would return, from a HEAD request's X-BT-Pagination-Total.
func (c *Client) Count(ctx context.Context, call *request.Call) (int, error) {
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
		return 0, c.fail(ctx, err)
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

// Download implements request.Downloader: the answer is streamed to disk with pkg/download (server file name sanitised,
// no overwrite without Force, temporary file renamed into place) or to stdout when the path is "-".
func (c *Client) Download(ctx context.Context, call *request.Call, opts request.DownloadOptions) (*request.Download, error) {
	fallback := strings.ReplaceAll(strings.Trim(call.Path(), "/"), "/", "-")
	dl := download.Options{Path: opts.Path, Force: opts.Force, Size: -1, Name: download.Sanitize(fallback)}
	if opts.Path != "-" {
		// Refuse before sending when the named file exists; a directory target is checked once the name is known.
		if opts.Path != "" && !isDir(opts.Path) {
			if _, err := download.Check(dl); err != nil {
				return nil, err
			}
		}
	}
	req, err := c.request(api.Streaming(ctx), call.Op.Method, call.Path(), call.Query, nil)
	if err != nil {
		return nil, err
	}
	// The site wants application/json in Accept; files come back in their own type.
	req.Header.Set("Accept", "application/json, */*")
	resp, err := c.core.Do(req)
	if err != nil {
		return nil, c.fail(ctx, err)
	}
	defer resp.Body.Close()
	if opts.Path == "-" {
		n, err := io.Copy(c.stdout(), resp.Body)
		return &request.Download{File: "-", Bytes: n}, err
	}
	dl.Name = download.FileName(resp.Header, fallback)
	dl.Size = resp.ContentLength
	dl.Progress = c.progress
	dl.Label = dl.Name
	res, err := download.Save(ctx, resp.Body, dl)
	if err != nil {
		return nil, err
	}
	return &request.Download{File: res.File, Bytes: res.Bytes}, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
