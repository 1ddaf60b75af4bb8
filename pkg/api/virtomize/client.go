// Package virtomize is the client for the Virtomize appliance REST API (/rest/v1), on top of the shared HTTP core:
// tokens from /token (the appliance user's name and password as client_id and client_secret) cached across
// invocations, form-encoded request bodies exactly like the appliance reference's curl examples, and the appliance's
// error document {errors, timestamp, statuscode, instance} turned into readable errors of the right kind.
package virtomize

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/download"
	"github.com/infractl/infra/pkg/progress"
)

// APIPrefix is the REST root below the appliance address.
const APIPrefix = "/rest/v1"

// Settings are what the client needs besides the HTTP options.
type Settings struct {
	Host     string // appliance host name, IP address or URL (https:// is assumed)
	Username string // appliance user (client_id)
	Password string // appliance password (client_secret)
	// PasswordFunc, when set, supplies the password on first need (so calls that need no token need no password).
	PasswordFunc func() (string, error)
	Cache        api.TokenCache
	// Minted is called when a new token is minted.
	Minted func()
	// Stdout receives downloads saved to "-" (default os.Stdout).
	Stdout io.Writer
	// Progress, when non-nil, receives byte bars for downloads and uploads (stderr on a terminal).
	Progress io.Writer
}

// Client talks to one appliance.
type Client struct {
	core     *api.Client
	base     string
	user     string
	pass     string
	passFn   func() (string, error)
	cache    api.TokenCache
	tok      *api.CachedToken
	public   *api.Client // no authentication: for GET /
	progress io.Writer
	stdout   io.Writer
}

// BaseURL turns the configured host into the API root: "10.0.0.5" becomes "https://10.0.0.5/rest/v1"; a URL with no
// path gets /rest/v1 appended; a URL with a path is kept.
func BaseURL(host string) (string, error) {
	h := strings.TrimSpace(host)
	if h == "" {
		return "", &api.UsageError{Err: errors.New("no Virtomize appliance configured: set INFRA_VIRTOMIZE_HOST, run `infra auth login virtomize --host HOST`, or `infra config set virtomize.host HOST`")}
	}
	if !strings.Contains(h, "://") {
		h = "https://" + h
	}
	u, err := url.Parse(h)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", &api.UsageError{Err: fmt.Errorf("the Virtomize host %q is not a host name, address or URL", host)}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if u.Path == "" {
		u.Path = APIPrefix
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// CacheKey identifies the cached token of one appliance user (never the password).
func CacheKey(base, user string) string { return "virtomize|" + base + "|" + user }

// New builds a client.
func New(o api.Options, s Settings) (*Client, error) {
	base, err := BaseURL(s.Host)
	if err != nil {
		return nil, err
	}
	o.BaseURL = base
	o.RedactKeys = append(o.RedactKeys, "client_secret", "password", "access_token", "license")
	c := &Client{base: base, user: s.Username, pass: s.Password, passFn: s.PasswordFunc, cache: s.Cache, progress: s.Progress, stdout: s.Stdout}
	if c.stdout == nil {
		c.stdout = os.Stdout
	}
	c.tok = api.NewCachedToken(c.mint, s.Cache, CacheKey(base, s.Username), 0)
	if s.Minted != nil {
		c.tok.OnMint(s.Minted)
	}
	// GET / needs no login; it goes through a core without authentication.
	po := o
	po.Warn = io.Discard // the insecure warning is printed once, by the main core
	if c.public, err = api.New(po); err != nil {
		return nil, err
	}
	o.Auth = c.tok
	c.core, err = api.New(o)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Core exposes the HTTP core.
func (c *Client) Core() *api.Client { return c.core }

// BaseURL is the API root this client talks to.
func (c *Client) BaseURL() string { return c.base }

// Token returns a valid token, minting one only when none is cached.
func (c *Client) Token(ctx context.Context) (*oauth2.Token, error) { return c.tok.Token(ctx) }

type tokenAnswer struct {
	AccessToken string      `json:"access_token"`
	TokenType   string      `json:"token_type"`
	ExpiresIn   json.Number `json:"expires_in"`
}

// mint asks /token for a new token: POST with grant_type, client_id and client_secret form-encoded, as documented.
func (c *Client) mint(ctx context.Context) (*oauth2.Token, error) {
	if c.user == "" {
		return nil, &api.UsageError{Err: errors.New("no Virtomize user configured: set INFRA_VIRTOMIZE_USERNAME, or run `infra auth login virtomize --client-id USER`")}
	}
	if c.pass == "" && c.passFn != nil {
		p, err := c.passFn()
		if err != nil {
			return nil, err
		}
		c.pass = p
	}
	if c.pass == "" {
		return nil, &api.AuthError{Err: errors.New("no Virtomize password: set INFRA_VIRTOMIZE_PASSWORD, or run `infra auth login virtomize`")}
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.user}, "client_secret": {c.pass}}
	api.RegisterSecret(c.pass)
	req, err := c.core.NewRequest(api.ForTokenEndpoint(ctx), http.MethodPost, "/token", form)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.core.HTTPClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var pe *api.PinError
		if errors.As(err, &pe) {
			return nil, pinError(pe)
		}
		var rd *api.RedirectError
		if errors.As(err, &rd) {
			return nil, fmt.Errorf("POST /token: %w", rd)
		}
		if ue := api.Unreachable(req.URL.Host, err); ue != err {
			return nil, ue
		}
		return nil, &api.AuthError{Err: fmt.Errorf("token request to %s/token failed: %s%s", c.base, strings.ReplaceAll(err.Error(), c.pass, api.Redacted), untrustedHint(err))}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		msg := strings.Join(ParseErrorDoc(body).Errors, "; ")
		if msg == "" {
			msg = resp.Status
		}
		return nil, &api.AuthError{Err: fmt.Errorf("the appliance refused the credentials of %q (POST /token: %d): %s", c.user, resp.StatusCode, msg)}
	}
	var ta tokenAnswer
	if err := json.Unmarshal(body, &ta); err != nil || ta.AccessToken == "" {
		return nil, &api.AuthError{Err: errors.New("POST /token: the appliance answered no access_token")}
	}
	t := &oauth2.Token{AccessToken: ta.AccessToken, TokenType: "Bearer"}
	if n, err := ta.ExpiresIn.Int64(); err == nil && n > 0 {
		t.Expiry = time.Now().Add(time.Duration(n) * time.Second)
	}
	return t, nil
}

// Destroy revokes token at the appliance (POST /destroy with access_token form-encoded).
func (c *Client) Destroy(ctx context.Context, token string) error {
	req, err := c.core.NewRequest(api.ForTokenEndpoint(ctx), http.MethodPost, "/destroy", url.Values{"access_token": {token}})
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.core.HTTPClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return &api.HTTPError{StatusCode: resp.StatusCode, Status: resp.Status, Method: http.MethodPost,
			URL: c.base + "/destroy", Body: body, Message: strings.Join(ParseErrorDoc(body).Errors, "; ")}
	}
	return nil
}

// CachedToken returns the token cached for this appliance user, if any, without minting one.
func (c *Client) CachedToken() string {
	if c.cache == nil {
		return ""
	}
	t, err := c.cache.Load(CacheKey(c.base, c.user))
	if err != nil || t == nil {
		return ""
	}
	return t.AccessToken
}

// Logout revokes the cached token at the appliance (POST /destroy) and removes it from the cache. A token the
// appliance no longer knows (401) counts as revoked.
func (c *Client) Logout(ctx context.Context) (map[string]any, error) {
	tok := c.CachedToken()
	if tok == "" {
		return map[string]any{"message": "no cached token for " + c.user + " at " + c.base}, nil
	}
	err := c.Destroy(ctx, tok)
	var he *api.HTTPError
	if err != nil && !(errors.As(err, &he) && he.StatusCode == http.StatusUnauthorized) {
		return nil, decorate(err)
	}
	if c.cache != nil {
		_ = c.cache.Delete(CacheKey(c.base, c.user))
	}
	return map[string]any{"message": "token of " + c.user + " revoked at " + c.base}, nil
}

// ErrorDoc is the appliance's error document.
type ErrorDoc struct {
	Errors     []string `json:"errors"`
	Timestamp  int64    `json:"timestamp"`
	StatusCode int      `json:"statuscode"`
	Instance   string   `json:"instance"`
}

// ParseErrorDoc decodes an error document; fields that are missing stay zero.
func ParseErrorDoc(b []byte) ErrorDoc {
	var raw struct {
		Errors     any             `json:"errors"`
		Timestamp  json.Number     `json:"timestamp"`
		StatusCode json.Number     `json:"statuscode"`
		Instance   string          `json:"instance"`
		Message    string          `json:"message"`
		Msg        string          `json:"msg"`
		Extra      json.RawMessage `json:"-"`
	}
	var d ErrorDoc
	if json.Unmarshal(b, &raw) != nil {
		return d
	}
	switch e := raw.Errors.(type) {
	case []any:
		for _, x := range e {
			if s, ok := x.(string); ok {
				d.Errors = append(d.Errors, s)
			} else {
				bb, _ := json.Marshal(x)
				d.Errors = append(d.Errors, string(bb))
			}
		}
	case string:
		d.Errors = []string{e}
	}
	if len(d.Errors) == 0 {
		for _, m := range []string{raw.Message, raw.Msg} {
			if m != "" {
				d.Errors = append(d.Errors, m)
			}
		}
	}
	d.Timestamp, _ = raw.Timestamp.Int64()
	if n, err := raw.StatusCode.Int64(); err == nil {
		d.StatusCode = int(n)
	}
	d.Instance = raw.Instance
	return d
}

// decorate turns the appliance's error document into a readable error: one line per reported problem, the status
// from the document's statuscode, and a hint where one helps. Rejected parameters (400) are usage errors (exit 2).
func decorate(err error) error {
	var pe *api.PinError
	if errors.As(err, &pe) {
		return pinError(pe)
	}
	var he *api.HTTPError
	if !errors.As(err, &he) {
		if h := untrustedHint(err); h != "" {
			return fmt.Errorf("%w%s", err, h)
		}
		return err
	}
	doc := ParseErrorDoc(he.Body)
	if doc.StatusCode >= 400 && doc.StatusCode != he.StatusCode {
		he.StatusCode = doc.StatusCode
		he.Status = strconv.Itoa(doc.StatusCode) + " " + http.StatusText(doc.StatusCode)
	}
	switch len(doc.Errors) {
	case 0:
	case 1:
		he.Message = doc.Errors[0]
	default:
		he.Message = fmt.Sprintf("%d problems:\n  - %s", len(doc.Errors), strings.Join(doc.Errors, "\n  - "))
	}
	he.Fields = nil
	switch he.StatusCode {
	case http.StatusUnauthorized:
		he.Hint = "the token or the credentials were refused: check `infra auth status virtomize --check` and run `infra auth login virtomize` again"
	case http.StatusForbidden:
		he.Hint = "the appliance user lacks a permission (see `infra virtomize user current` and `infra virtomize user permissions`), or a licence or resource contingent limit was reached"
	case http.StatusMethodNotAllowed:
		if he.Allow != "" {
			he.Hint = "allowed methods: " + he.Allow
		}
	}
	if he.StatusCode == http.StatusBadRequest {
		return &api.UsageError{Err: he}
	}
	return he
}

// untrustedHint explains what to do about an appliance certificate no CA vouches for (appliances are self-signed).
func untrustedHint(err error) string {
	var ua x509.UnknownAuthorityError
	var cv *tls.CertificateVerificationError
	var hn x509.HostnameError
	if errors.As(err, &ua) || errors.As(err, &cv) || errors.As(err, &hn) {
		return "\n  hint: the appliance's certificate is not trusted (appliances are usually self-signed): pin it with " +
			"`infra auth login virtomize`, trust its CA with --ca-cert, or skip verification with --insecure"
	}
	return ""
}

// pinError explains a changed certificate and how to re-pin it.
func pinError(pe *api.PinError) error {
	return &api.AuthError{Err: fmt.Errorf("WARNING: the TLS certificate of the Virtomize appliance %s has CHANGED.\n"+
		"  pinned:    %s\n  presented: %s\n"+
		"This can mean someone is intercepting the connection, or the appliance got a new certificate. Nothing was sent.\n"+
		"If the change is expected, compare the new fingerprint with the appliance console and pin it again:\n"+
		"  infra config set virtomize.fingerprint %s\n"+
		"or log in again (shows the certificate): infra auth login virtomize", pe.Host, pe.Expected, pe.Got, pe.Got)}
}

// EncodeForm encodes a request body the way the appliance's curl examples do: scalars as name=value, arrays as
// name[0]=a&name[1]=b (an empty array as a bare "name="), booleans as true or false. Keys are sorted for stable
// traces.
func EncodeForm(body map[string]any) string {
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		name := url.QueryEscape(k)
		switch v := body[k].(type) {
		case []any:
			if len(v) == 0 {
				parts = append(parts, name+"=")
			}
			for i, x := range v {
				parts = append(parts, fmt.Sprintf("%s[%d]=%s", name, i, url.QueryEscape(scalar(x))))
			}
		case []string:
			if len(v) == 0 {
				parts = append(parts, name+"=")
			}
			for i, x := range v {
				parts = append(parts, fmt.Sprintf("%s[%d]=%s", name, i, url.QueryEscape(x)))
			}
		default:
			parts = append(parts, name+"="+url.QueryEscape(scalar(v)))
		}
	}
	return strings.Join(parts, "&")
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// Do sends METHOD path with an optional form body, authenticated, and decodes the JSON answer.
func (c *Client) Do(ctx context.Context, method, path string, form map[string]any) (any, error) {
	return c.send(ctx, false, method, path, form)
}

// send sends METHOD path with an optional form body and decodes the JSON answer; public requests carry no token.
func (c *Client) send(ctx context.Context, public bool, method, path string, form map[string]any) (any, error) {
	var body any
	if form != nil {
		body = form
	}
	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	core := c.core
	if public {
		core = c.public
	}
	var out any
	if _, err := core.DoJSON(req, &out); err != nil {
		return nil, decorate(err)
	}
	return out, nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, form any) (*http.Request, error) {
	var body any
	if m, ok := form.(map[string]any); ok {
		body = []byte(EncodeForm(m))
	}
	req, err := c.core.NewRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// Invoke implements request.Backend. What the operation declares decides how it is carried out: an upload streams
// its file, a session operation prints or revokes the token, anything else is sent with its fields form-encoded.
func (c *Client) Invoke(ctx context.Context, call *request.Call) (any, error) {
	op := call.Op
	switch {
	case op.Upload != nil:
		return c.upload(ctx, call.Path(), op.Upload.Field, call.PathParams[op.Upload.Arg])
	case op.Session == request.SessionToken:
		return c.tokenAnswer(ctx)
	case op.Session == request.SessionRevoke:
		return c.Logout(ctx)
	}
	var form map[string]any
	switch {
	case call.Body != nil:
		form = wireBody(op, call.Body)
	case op.Method == http.MethodDelete && len(op.Query) > 0:
		// DELETE /virtualmachinenetworks/:key carries vmkey in a form body, as the reference's curl example shows.
		var missing []string
		form = map[string]any{}
		for _, f := range op.Query {
			if v, ok := call.Query[f.Name]; ok && len(v) > 0 {
				form[f.Name] = v[0]
			} else if f.Required {
				missing = append(missing, "--"+f.FlagName())
			}
		}
		if len(missing) > 0 {
			return nil, &api.UsageError{Err: fmt.Errorf("missing %s", strings.Join(missing, ", "))}
		}
		call.Query = nil
	case op.Method == http.MethodPost || op.Method == http.MethodPut:
		form = map[string]any{}
	}
	p := call.Path()
	if len(call.Query) > 0 {
		p += "?" + call.Query.Encode()
	}
	return c.send(ctx, op.Public, op.Method, p, form)
}

// tokenAnswer returns a valid token (the cached one, or a new one) in the shape of the appliance's /token answer.
func (c *Client) tokenAnswer(ctx context.Context) (any, error) {
	t, err := c.Token(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"access_token": t.AccessToken, "token_type": "Bearer", "expires_in": 0}
	if !t.Expiry.IsZero() {
		out["expires_in"] = int64(time.Until(t.Expiry).Seconds())
	}
	return out, nil
}

// wireBody converts typed values to the appliance's wire forms: date-times become Unix nanoseconds.
func wireBody(op *request.Op, body map[string]any) map[string]any {
	out := make(map[string]any, len(body))
	for k, v := range body {
		out[k] = v
	}
	for _, f := range op.Body {
		if f.Type != request.DateTime {
			continue
		}
		if s, ok := out[f.Name].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				out[f.Name] = t.UnixNano()
			}
		}
	}
	return out
}

// List implements request.Backend. The appliance answers lists whole (no paging); limit and page are applied here.
func (c *Client) List(ctx context.Context, call *request.Call, opts request.ListOptions, each func(any) error) error {
	out, err := c.Invoke(ctx, call)
	if err != nil {
		return err
	}
	return request.ListWhole(out, opts, each)
}

// Download implements request.Downloader (GET /backup): the archive is streamed to a temporary file and renamed into
// place when complete; an existing file is kept unless opts.Force.
func (c *Client) Download(ctx context.Context, call *request.Call, opts request.DownloadOptions) (*request.Download, error) {
	fallback := "virtomize-backup-" + time.Now().UTC().Format("20060102-150405") + ".tar.gz"
	if opts.Path != "" && opts.Path != "-" {
		// An explicit file name is checked before anything is downloaded.
		if st, err := os.Stat(opts.Path); err != nil || !st.IsDir() {
			if _, err := download.Check(download.Options{Path: opts.Path, Name: fallback, Force: opts.Force}); err != nil {
				return nil, err
			}
		}
	}
	req, err := c.newRequest(api.Streaming(ctx), call.Op.Method, call.Path(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/octet-stream")
	resp, err := c.core.Do(req)
	if err != nil {
		return nil, decorate(err)
	}
	defer resp.Body.Close()
	if opts.Path == "-" {
		n, err := io.Copy(c.stdout, resp.Body)
		if err != nil {
			return nil, err
		}
		return &request.Download{File: "-", Bytes: n}, nil
	}
	res, err := download.Save(ctx, resp.Body, download.Options{
		Path: opts.Path, Name: download.FileName(resp.Header, fallback), Force: opts.Force,
		Size: resp.ContentLength, Progress: c.progress, Label: "backup", NonEmpty: opts.NonEmpty,
	})
	if err != nil {
		return nil, err
	}
	return &request.Download{File: res.File, Bytes: res.Bytes}, nil
}

// upload POSTs the file at path to target as the multipart form field field, streamed from disk (curl -F
// 'backup=@file' in the reference). The appliance's one upload is a backup restore, hence the wording of the errors.
func (c *Client) upload(ctx context.Context, target, field, path string) (any, error) {
	if path == "" {
		return nil, &api.UsageError{Err: errors.New("backup restore: name the backup FILE to upload")}
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, &api.UsageError{Err: fmt.Errorf("backup restore: %w", err)}
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, &api.UsageError{Err: fmt.Errorf("backup restore: %s is a directory", path)}
	}
	// Build the multipart envelope around the file so the body streams from disk and can be replayed on retry.
	var head strings.Builder
	mw := multipart.NewWriter(&head)
	hdr := textproto.MIMEHeader{}
	hdr.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filepath.Base(path)))
	hdr.Set("Content-Type", "application/octet-stream")
	if _, err := mw.CreatePart(hdr); err != nil {
		return nil, err
	}
	headStr := head.String()
	tail := "\r\n--" + mw.Boundary() + "--\r\n"
	size := st.Size()
	req, err := c.core.NewRequest(api.Streaming(ctx), http.MethodPost, target, nil)
	if err != nil {
		return nil, err
	}
	var bar *progress.Bar
	req.GetBody = func() (io.ReadCloser, error) {
		var file io.Reader = io.NewSectionReader(fh, 0, size)
		if c.progress != nil {
			bar = progress.NewBytes(c.progress, true, size, "uploading "+filepath.Base(path))
			file = io.TeeReader(file, bar)
		}
		return io.NopCloser(io.MultiReader(strings.NewReader(headStr), file, strings.NewReader(tail))), nil
	}
	req.Body, _ = req.GetBody()
	req.ContentLength = int64(len(headStr)) + size + int64(len(tail))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	var out any
	_, err = c.core.DoJSON(req, &out)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return nil, decorate(err)
	}
	return out, nil
}
