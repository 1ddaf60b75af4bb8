// Package api is the HTTP core shared by the vendor clients: TLS options and certificate pinning, client-side rate
// limiting, retries with backoff, a redacted debug trace, OAuth2 client credentials with a token cache shared between
// processes, and typed errors classified by kind (the command line maps kinds to exit codes).
package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults for Options fields left at zero.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRetries   = 4
	DefaultRetryBase    = 250 * time.Millisecond
	DefaultMaxRetryWait = time.Minute
	retryCap            = 30 * time.Second
)

// Options configures a Client.
type Options struct {
	BaseURL   string        // scheme://host[:port][/prefix]; a bare host gets https://
	UserAgent string        // "infra/VERSION"
	Timeout   time.Duration // per attempt, reading the answer included (streamed transfers: per gap); 0 = 30s
	// Insecure skips certificate verification; a one-line warning goes to Warn.
	Insecure bool
	// CACertFile names a PEM file whose certificates are trusted in addition to the system roots
	// (SSL_CERT_FILE and SSL_CERT_DIR are honoured through the system pool).
	CACertFile string
	// PinSHA256 is an optional "sha256:<hex>" fingerprint of the server's leaf certificate (DER). When set, the
	// pin is checked instead of the CA chain, so self-signed appliances can be trusted on first use; a mismatch fails
	// the connection with a *PinError.
	PinSHA256   string
	Debug       io.Writer // trace of every attempt with secrets redacted; nil = no trace
	Warn        io.Writer // warnings (normally stderr); nil = discard
	RatePerSec  float64   // client-side limit in requests per second; 0 = unlimited
	RatePerHour int       // second client-side limit in requests per hour; 0 = unlimited
	// MaxRetries is how many times a request is retried; 0 = 4, a negative value disables retries.
	MaxRetries int
	Auth       Authenticator // nil = no authentication
	RedactKeys []string      // extra body, form and query field names to redact in traces
	// Transport replaces the network transport (tests, fault injection). nil = a clone of http.DefaultTransport
	// (which keeps HTTPS_PROXY and friends) with the TLS settings. An *http.Transport is cloned and gets the TLS
	// settings too; any other RoundTripper is used as it is.
	Transport http.RoundTripper

	// RetryBase is the first backoff step (doubled per retry, full jitter, capped at 30s); 0 = 250ms.
	RetryBase time.Duration
	// MaxRetryWait is the longest server-requested wait (Retry-After, rate-limit reset) that is honoured;
	// when the server asks for more, the request fails at once with the 429. 0 = 1 minute.
	MaxRetryWait time.Duration
	// RequestFault401, when set, reports whether a 401 answer's body blames the request (unknown parameters or
	// fields) rather than the token: such a 401 is a usage error, returned without minting a new token.
	RequestFault401 func(body []byte) bool
	// Now and Sleep replace the clock used for backoff, Retry-After and the limiters (tests). Sleep must return
	// ctx.Err() when ctx ends first. nil = real time.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	// RequestBudget bounds all attempts of one request and the backoff between them; 0 = twice Timeout. Waits the
	// server asks for (Retry-After) and client-side rate limiting are not counted.
	RequestBudget time.Duration
	// MaxResponseBytes caps a JSON answer read by DoJSON; 0 = DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Shared, when set, makes every client of the same base URL built with it share one pace of requests (the
	// budgets, the server's slowdowns and pauses), as a long-running process that builds a client per call needs.
	// nil = this client paces itself alone.
	Shared *SharedLimits
}

// Authenticator adds credentials to requests.
type Authenticator interface {
	// Authorize sets the Authorization header of req.
	Authorize(ctx context.Context, req *http.Request) error
	// Invalidate is called after a 401 with the token that was refused; it must forget that token both in memory
	// and in any cache, so the next Authorize gets a fresh one.
	Invalidate(ctx context.Context, rejected string)
}

// Client sends requests to one API base URL. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	opts       Options
	raw        *http.Client // Timeout set: for token endpoints and other single calls
	hc         *http.Client // no overall timeout: Do streams bodies of any size
	trace      *tracer
	red        *redactor
	maxRetries int
	retryBase  time.Duration
	maxWait    time.Duration
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
	jitter     func(max time.Duration) time.Duration

	*limiter // the pace of requests: this client's own, or one shared by the clients of a process (Options.Shared)
}

// limiter is the pacing state of requests to one API: the documented budgets, the server's slowdowns and pauses.
type limiter struct {
	perSec  *rate.Limiter
	perHour *rate.Limiter

	mu            sync.Mutex
	adaptive      *rate.Limiter // slows down when the server reports few remaining requests in a window it names
	adaptiveUntil time.Time     // end of that window: the pace returns to the documented rate
	pausedUntil   time.Time     // set from Retry-After / rate-limit reset; every request waits for it
}

func newLimiter(o Options) *limiter {
	l := &limiter{adaptive: rate.NewLimiter(rate.Inf, 1)}
	if o.RatePerSec > 0 {
		l.perSec = rate.NewLimiter(rate.Limit(o.RatePerSec), 1)
	}
	if o.RatePerHour > 0 {
		// The vendor counts requests per hour, not a steady trickle: the whole hour's budget may be spent at the
		// per-second pace, and only a process that keeps going past it is held to the hourly average.
		l.perHour = rate.NewLimiter(rate.Limit(float64(o.RatePerHour)/3600), o.RatePerHour)
	}
	return l
}

// ParseBaseURL parses a base URL; a bare host (with optional port and path) gets https://.
func ParseBaseURL(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, &UsageError{Err: errors.New("no API URL configured")}
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, &UsageError{Err: fmt.Errorf("%q is not a valid API URL (expected https://host[:port][/path])", raw)}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// New builds a Client from o.
func New(o Options) (*Client, error) {
	base, err := ParseBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Warn == nil {
		o.Warn = io.Discard
	}
	// Warnings and the trace carry server text: secrets are scrubbed and terminal controls escaped on the way out.
	o.Warn, o.Debug = SafeWriter(o.Warn), SafeWriter(o.Debug)
	c := &Client{
		base:       base,
		opts:       o,
		red:        newRedactor(o.RedactKeys),
		maxRetries: o.MaxRetries,
		retryBase:  o.RetryBase,
		maxWait:    o.MaxRetryWait,
		now:        o.Now,
		sleep:      o.Sleep,
		jitter:     func(max time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(max) + 1)) },
	}
	c.retryDefaults()

	tlsCfg, err := buildTLSConfig(o, base.Hostname())
	if err != nil {
		return nil, err
	}
	if o.Insecure && o.PinSHA256 == "" {
		fmt.Fprintln(o.Warn, "warning: TLS certificate verification disabled (--insecure)")
	}
	rt := baseTransport(o, tlsCfg)
	if o.Debug != nil {
		c.trace = &tracer{w: o.Debug, red: c.red}
		rt = &traceTransport{base: rt, t: c.trace}
	}
	rt = &plainHTTPWarner{next: rt, warn: o.Warn}
	c.raw = &http.Client{Transport: rt, Timeout: o.Timeout, CheckRedirect: checkRedirect}
	c.hc = &http.Client{Transport: rt, CheckRedirect: checkRedirect}

	if o.Shared != nil {
		c.limiter = o.Shared.limiterFor(base.String(), o)
	} else {
		c.limiter = newLimiter(o)
	}
	return c, nil
}

// retryDefaults fills in the retry settings left at zero (a negative MaxRetries means none) and the clock.
func (c *Client) retryDefaults() {
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.retryBase <= 0 {
		c.retryBase = DefaultRetryBase
	}
	if c.maxWait <= 0 {
		c.maxWait = DefaultMaxRetryWait
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
}

// baseTransport is a copy of Go's default transport (or of o.Transport when it is an *http.Transport) with the TLS
// settings and timeouts; any other o.Transport (a test's) is used as it is.
func baseTransport(o Options, tlsCfg *tls.Config) http.RoundTripper {
	switch t := o.Transport.(type) {
	case nil:
		tr := http.DefaultTransport.(*http.Transport).Clone()
		configureTransport(tr, tlsCfg, o.Timeout)
		return tr
	case *http.Transport:
		tr := t.Clone()
		configureTransport(tr, tlsCfg, o.Timeout)
		return tr
	default:
		return t
	}
}

func configureTransport(tr *http.Transport, cfg *tls.Config, timeout time.Duration) {
	tr.TLSClientConfig = cfg
	tr.ResponseHeaderTimeout = timeout
	tr.TLSHandshakeTimeout = min(timeout, 10*time.Second)
	tr.DialContext = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext
	// Answers are read in blocks of up to 64 KiB instead of 4 KiB: reports and backups of hundreds of megabytes take
	// fewer read calls (a 233 MB report: 4,500 instead of 15,600).
	tr.ReadBufferSize = 64 << 10
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// BaseURL returns a copy of the base URL.
func (c *Client) BaseURL() *url.URL {
	u := *c.base
	return &u
}

// HTTPClient returns the plain client: TLS settings, per-request timeout and debug trace, but no limiter, retries or
// authentication. Token endpoints use it.
func (c *Client) HTTPClient() *http.Client { return c.raw }

// NewRequest builds a request for path, resolved against the base URL (the base path is kept as a prefix; path may
// carry a query string; an absolute http(s) URL is used as it is). body may be nil, []byte, string, io.Reader,
// url.Values (sent form-encoded) or any other value (sent as JSON). The body can always be replayed for retries.
func (c *Client) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	target, err := c.resolve(path)
	if err != nil {
		return nil, err
	}
	var (
		data        []byte
		contentType string
		reader      io.Reader
	)
	switch b := body.(type) {
	case nil:
	case []byte:
		data = b
	case string:
		data = []byte(b)
	case url.Values:
		data, contentType = []byte(b.Encode()), "application/x-www-form-urlencoded"
	case json.RawMessage:
		data, contentType = b, "application/json"
	case io.Reader:
		reader = b
	default:
		data, err = json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("encoding request body: %w", err)
		}
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("building request: %w", err)}
	}
	switch {
	case reader != nil:
		if err := setReaderBody(req, reader); err != nil {
			return nil, err
		}
	case body != nil:
		setBytesBody(req, data)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
		c.red.registerBodySecrets(data, contentType)
	}
	if c.opts.UserAgent != "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	return req, nil
}

func (c *Client) resolve(path string) (string, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		if _, err := url.Parse(path); err != nil {
			return "", &UsageError{Err: fmt.Errorf("invalid URL %q: %w", path, err)}
		}
		return path, nil
	}
	base := strings.TrimRight(c.base.String(), "/")
	if path == "" {
		return base, nil
	}
	if strings.HasPrefix(path, "?") {
		return base + path, nil
	}
	return base + "/" + strings.TrimLeft(path, "/"), nil
}

func setBytesBody(req *http.Request, data []byte) {
	req.ContentLength = int64(len(data))
	if len(data) == 0 {
		req.Body = http.NoBody
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(data))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}

// setReaderBody makes a reader replayable: seekable readers (files) are re-read from their current offset, anything
// else is read into memory.
func setReaderBody(req *http.Request, r io.Reader) error {
	type readerAtSeeker interface {
		io.ReaderAt
		io.Seeker
	}
	if rs, ok := r.(readerAtSeeker); ok {
		start, err1 := rs.Seek(0, io.SeekCurrent)
		end, err2 := rs.Seek(0, io.SeekEnd)
		if err1 == nil && err2 == nil {
			if _, err := rs.Seek(start, io.SeekStart); err != nil {
				return fmt.Errorf("rewinding request body: %w", err)
			}
			n := end - start
			req.ContentLength = n
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(rs, start, n)), nil }
			req.Body, _ = req.GetBody()
			if n == 0 {
				req.Body = http.NoBody
			}
			return nil
		}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("reading request body: %w", err)
	}
	setBytesBody(req, data)
	return nil
}

// Do sends req through the limiters, authentication, retries and trace. A 2xx or 3xx response is returned for the
// caller to read and close; a status of 400 or more becomes an *HTTPError (body read and closed).
//
// 429 is retried for every method (the server did not process the request), honouring Retry-After and
// X-RateLimit-Reset; 502, 503, 504 and connection failures are retried only for idempotent methods or requests
// carrying an Idempotency-Key header. A 401 makes the authenticator drop the refused token and the request is sent
// once more with a fresh one.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	st := &sendState{
		canRetry:   idempotent(req),
		replayable: req.Body == nil || req.Body == http.NoBody || req.GetBody != nil,
		budgetEnd:  time.Now().Add(c.budget()),
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, at, err := c.startSend(ctx, req, attempt, st)
		if err != nil {
			return nil, err
		}
		resp, err := c.hc.Do(r)
		if err != nil {
			err = at.fail(err)
			if ctx.Err() != nil {
				return nil, scrubErr(err, c.red)
			}
			wait, retry := c.netRetry(r, err, st)
			if !retry {
				return nil, Unreachable(r.URL.Host, redirectErr(r, scrubErr(err, c.red)))
			}
			if err := c.sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		at.wrap(resp)
		c.observe(resp.Header)

		if c.requestFault(resp) {
			return nil, &UsageError{Err: c.newHTTPError(r, resp)}
		}
		if c.reauth(ctx, r, resp, st) {
			continue
		}
		if wait, retry := c.statusRetry(r, resp, st); retry {
			if err := c.sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		if resp.StatusCode >= 400 {
			return nil, c.newHTTPError(r, resp)
		}
		return resp, nil
	}
}

// sendState is what one Do carries from attempt to attempt.
type sendState struct {
	canRetry   bool      // the method is idempotent or the request has an Idempotency-Key
	replayable bool      // the body can be sent again
	reauthed   bool      // a 401 already made the authenticator drop its token
	retries    int       // retries so far
	budgetEnd  time.Time // when the request's time budget runs out (moved on by waits the client does not own)
}

// startSend prepares attempt n (from 0) of req: a clone with its body replayed, sent once the limiters allow,
// under the attempt's deadline and authorised.
func (c *Client) startSend(ctx context.Context, req *http.Request, n int, st *sendState) (*http.Request, *attempt, error) {
	r := req.Clone(ctx)
	if n > 0 && req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, nil, fmt.Errorf("replaying request body: %w", err)
		}
		r.Body = body
	}
	turn := time.Now()
	if err := c.waitTurn(ctx); err != nil {
		return nil, nil, err
	}
	st.budgetEnd = st.budgetEnd.Add(time.Since(turn))
	at := c.startAttempt(ctx, req, st.budgetEnd)
	r = r.WithContext(at.ctx)
	at.wrapUpload(r)
	if c.opts.Auth != nil {
		if err := c.opts.Auth.Authorize(ctx, r); err != nil {
			at.stop()
			return nil, nil, err
		}
	}
	return r, at, nil
}

// netRetry decides whether a connection failure is retried, and after how long: only a request that may be sent
// again, while retries and at least a tenth of the timeout are left of the budget.
func (c *Client) netRetry(r *http.Request, err error, st *sendState) (time.Duration, bool) {
	if !st.canRetry || !st.replayable || st.retries >= c.maxRetries || !retryableNetErr(err) || time.Until(st.budgetEnd) <= c.opts.Timeout/10 {
		return 0, false
	}
	st.retries++
	// The retry gets at least half of what is left of the request's budget.
	wait := min(c.backoff(st.retries), time.Until(st.budgetEnd)/2)
	c.tracef("* %s %s failed (%s); retry %d/%d in %s\n", r.Method, c.red.url(r.URL), scrubErr(err, c.red), st.retries, c.maxRetries, wait)
	return wait, true
}

// reauth handles a first 401 of a replayable request with a refreshable authenticator: the refused token is
// dropped and the request is to be sent again at once.
func (c *Client) reauth(ctx context.Context, r *http.Request, resp *http.Response, st *sendState) bool {
	if resp.StatusCode != http.StatusUnauthorized || c.opts.Auth == nil || st.reauthed || !st.replayable || !refreshable(c.opts.Auth) {
		return false
	}
	st.reauthed = true
	discard(resp)
	c.tracef("* 401 from %s %s: dropping the token and retrying once with a fresh one\n", r.Method, c.red.url(r.URL))
	c.opts.Auth.Invalidate(ctx, bearerValue(r.Header.Get("Authorization")))
	return true
}

// statusRetry decides whether a retryable status is retried, and after how long: a wait the server asks for is
// honoured up to maxWait (and a 429's pauses every request), one of the client's own must fit in the budget. The
// response is discarded when it is retried.
func (c *Client) statusRetry(r *http.Request, resp *http.Response, st *sendState) (time.Duration, bool) {
	if !retryableStatus(resp.StatusCode, st.canRetry) || !st.replayable || st.retries >= c.maxRetries {
		return 0, false
	}
	wait, fromServer := c.retryDelay(resp, st.retries+1)
	if !(fromServer && wait <= c.maxWait || !fromServer && wait < time.Until(st.budgetEnd)) {
		c.tracef("* %s %s: %s; the server asks to wait %s, longer than %s: giving up\n", r.Method, c.red.url(r.URL), resp.Status, wait, c.maxWait)
		return 0, false
	}
	st.retries++
	if fromServer {
		st.budgetEnd = st.budgetEnd.Add(wait)
	}
	if fromServer && resp.StatusCode == http.StatusTooManyRequests {
		c.pause(wait)
	}
	c.tracef("* %s %s: %s; retry %d/%d in %s\n", r.Method, c.red.url(r.URL), resp.Status, st.retries, c.maxRetries, wait)
	discard(resp)
	return wait, true
}

// DoJSON sends req (asking for JSON unless Accept is set) and decodes a JSON answer into out using json.Number for
// numbers. A 204, a HEAD or an empty body leaves out untouched. The returned response's body is already closed.
func (c *Client) DoJSON(req *http.Request, out any) (*http.Response, error) {
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer discard(resp)
	if out == nil || resp.StatusCode == http.StatusNoContent || req.Method == http.MethodHead {
		return resp, nil
	}
	limit := c.opts.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	body := &cappedBody{r: resp.Body, left: limit, err: &LimitError{Method: req.Method, Path: req.URL.Path, Limit: limit}}
	dec := json.NewDecoder(body)
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return resp, nil
		}
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		var le *LimitError
		var te *TimeoutError
		if errors.As(err, &le) || errors.As(err, &te) {
			return nil, err
		}
		return nil, fmt.Errorf("%s %s: decoding the JSON answer: %w", req.Method, errorPath(c.red.url(req.URL)), err)
	}
	return resp, nil
}

func (c *Client) tracef(format string, args ...any) {
	if c.trace != nil {
		c.trace.printf(format, args...)
	}
}

// discard drains a little of the body (so the connection can be reused) and closes it.
func discard(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

func (c *Client) newHTTPError(req *http.Request, resp *http.Response) *HTTPError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	e := &HTTPError{
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		Method:     req.Method,
		URL:        c.red.url(req.URL),
		Body:       body,
		Allow:      resp.Header.Get("Allow"),
		Header:     resp.Header.Clone(),
	}
	if d, ok := c.serverDelay(resp.Header); ok {
		e.RetryAfter = d
	}
	e.Message, e.Fields = parseErrorBody(body, resp.Header.Get("Content-Type"))
	return e
}

// idempotent reports whether a request may be repeated after a failure the server might have half-processed.
func idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, "":
		return true
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
}

func retryableStatus(code int, idempotent bool) bool {
	switch code {
	case http.StatusTooManyRequests:
		return true
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return idempotent
	}
	return false
}

// retryableNetErr reports transport failures worth retrying (dial errors, resets, EOF before a response, timeouts);
// certificate and pin failures are final.
func retryableNetErr(err error) bool {
	var pe *PinError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	var rd *RedirectError
	if errors.As(err, &rd) || errors.As(err, &pe) || errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ce) ||
		errors.As(err, &ve) || errors.As(err, &rh) {
		return false
	}
	var uerr *url.Error
	if errors.As(err, &uerr) && strings.Contains(uerr.Err.Error(), "unsupported protocol scheme") {
		return false
	}
	return true
}

// refreshable reports whether retrying after a 401 can help (a fixed token will be refused again).
func refreshable(a Authenticator) bool {
	switch a.(type) {
	case StaticToken, *StaticToken:
		return false
	}
	return true
}

// bearerValue returns the credential part of an Authorization header.
func bearerValue(h string) string {
	if _, v, ok := strings.Cut(strings.TrimSpace(h), " "); ok {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(h)
}

// scrubErr redacts the URL inside a *url.Error.
func scrubErr(err error, red *redactor) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			ue.URL = red.url(u)
		}
	}
	return err
}

// backoff returns the full-jitter delay before retry n (1-based).
func (c *Client) backoff(n int) time.Duration {
	ceiling := c.retryBase
	for i := 1; i < n && ceiling < retryCap; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, retryCap)
	return c.jitter(ceiling)
}

// retryDelay decides how long to wait before retry n; fromServer says the server dictated it.
func (c *Client) retryDelay(resp *http.Response, n int) (time.Duration, bool) {
	if d, ok := c.serverDelay(resp.Header); ok && d > 0 {
		return d, true
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return c.throttleBackoff(n), false
	}
	return c.backoff(n), false
}

// serverDelay reads Retry-After (seconds or HTTP date), or X-RateLimit-Reset when X-RateLimit-Remaining is 0.
func (c *Client) serverDelay(h http.Header) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if d, ok := parseRetryAfter(v, c.now()); ok {
			return d, true
		}
	}
	if strings.TrimSpace(h.Get("X-RateLimit-Remaining")) == "0" {
		if d, ok := parseReset(h.Get("X-RateLimit-Reset"), c.now()); ok {
			return d, true
		}
	}
	return 0, false
}

func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if secs, err := parseInt(v); err == nil {
		return time.Duration(max(secs, 0)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// parseReset understands a reset given as seconds from now, or as a Unix time in seconds or milliseconds.
func parseReset(v string, now time.Time) (time.Duration, bool) {
	n, err := parseInt(strings.TrimSpace(v))
	if err != nil {
		return 0, false
	}
	switch {
	case n > 1e12:
		return max(time.UnixMilli(n).Sub(now), 0), true
	case n > 1e9:
		return max(time.Unix(n, 0).Sub(now), 0), true
	default:
		return time.Duration(max(n, 0)) * time.Second, true
	}
}

func parseInt(s string) (int64, error) {
	var n int64
	if s == "" {
		return 0, errors.New("empty")
	}
	neg := false
	if s[0] == '-' {
		neg, s = true, s[1:]
	}
	if s == "" || len(s) > 18 {
		return 0, errors.New("bad number")
	}
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return 0, errors.New("bad number")
		}
		n = n*10 + int64(ch-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}
