package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	jotelulucmd "github.com/infractl/infra/cmd/jotelulu"
	pracmd "github.com/infractl/infra/cmd/pra"
	virtomizecmd "github.com/infractl/infra/cmd/virtomize"
	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/pra"
	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/api/virtomize"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/engine"
	"github.com/infractl/infra/pkg/output"
)

// rawConn is a vendor's authenticated HTTP core (limits, retries, token refresh, trace) with the vendor's rules for
// raw requests.
type rawConn struct {
	core *api.Client
	// path maps the PATH argument to a request path under the core's base URL.
	path func(p string) string
	// encode turns the request body into the vendor's wire form and its content type ("" for JSON).
	encode func(body any) (any, string, error)
	// pages: lists are paged with a Link header (rel="next") that --paginate follows.
	pages bool
}

// rawVendor declares how `infra api VENDOR` reaches one vendor.
type rawVendor struct {
	name, root string
	connect    func(ctx context.Context, f *cmdutil.Factory) (*rawConn, error)
}

func jsonBody(body any) (any, string, error) { return body, "", nil }

var rawVendors = []rawVendor{
	{name: "pra", root: pra.ConfigPrefix + ", or the site root for /api/… (/api/command, /api/reporting)",
		connect: func(ctx context.Context, f *cmdutil.Factory) (*rawConn, error) {
			c, err := pracmd.Client(ctx, f)
			if err != nil {
				return nil, err
			}
			return &rawConn{core: c.Core(), pages: true, encode: jsonBody, path: func(p string) string {
				if strings.HasPrefix(p, "/api/") {
					return p
				}
				return pra.ConfigPrefix + p
			}}, nil
		}},
	{name: "virtomize", root: virtomize.APIPrefix + " (bodies are sent form-encoded)",
		connect: func(ctx context.Context, f *cmdutil.Factory) (*rawConn, error) {
			c, err := virtomizecmd.Client(f)
			if err != nil {
				return nil, err
			}
			return &rawConn{core: c.Core(), path: func(p string) string { return p }, encode: func(body any) (any, string, error) {
				m, ok := body.(map[string]any)
				if !ok {
					return nil, "", &api.UsageError{Err: errors.New("the Virtomize appliance takes form fields: the body must be a JSON object")}
				}
				return []byte(virtomize.EncodeForm(m)), "application/x-www-form-urlencoded", nil
			}}, nil
		}},
	{name: "jotelulu", root: "the gateway: /api-gateway/core/v1/… (bodies go in the {data, meta} envelope)",
		connect: func(ctx context.Context, f *cmdutil.Factory) (*rawConn, error) {
			c, err := jotelulucmd.Client(ctx, f, "")
			if err != nil {
				return nil, err
			}
			return &rawConn{core: c.Core(), path: func(p string) string { return p }, encode: func(body any) (any, string, error) {
				if m, ok := body.(map[string]any); ok {
					if _, wrapped := m["data"]; !wrapped {
						return c.Wrap(m), "", nil
					}
				}
				return body, "", nil
			}}, nil
		}},
}

func lookupRawVendor(name string) (*rawVendor, error) {
	var names []string
	for i := range rawVendors {
		if rawVendors[i].name == name {
			return &rawVendors[i], nil
		}
		names = append(names, rawVendors[i].name)
	}
	return nil, &api.UsageError{Err: fmt.Errorf("unknown vendor %q: use one of %s", name, strings.Join(names, ", "))}
}

// apiOptions are the flags of `infra api`.
type apiOptions struct {
	jsonIn    string
	fields    []string
	rawFields []string
	paginate  bool
}

var methodRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z]+$`)
})

// apiShort summarises `infra api` in the command listing, before its tree is built.
const apiShort = "Send a raw request to a vendor's API, with its authentication, retries and output formats"

func newAPICmd(f *cmdutil.Factory) *cobra.Command {
	o := &apiOptions{}
	var roots strings.Builder
	var names []string
	for _, v := range rawVendors {
		fmt.Fprintf(&roots, "  %-10s %s\n", v.name, v.root)
		names = append(names, v.name)
	}
	c := &cobra.Command{
		Use:   "api VENDOR METHOD PATH",
		Short: apiShort,
		Long: `Send METHOD PATH to the configured site of VENDOR (` + strings.Join(names, ", ") + `), as gh api does: the request
goes through the vendor's connection settings, credentials, rate limits and retries, and the JSON answer is
printed in the selected output format (JSON by default; -o, --jq and --template apply). A non-JSON answer (PRA's
XML APIs) is copied to stdout as it is. Exit codes are those of every command (404 exits 4).

PATH is relative to the vendor's API root; it may carry a query string:
` + roots.String() + `
An absolute URL is accepted only on the configured site: credentials are never sent to another host.

The request body comes from --json FILE (- for stdin), from key=value lines on stdin (-k), and from
-F/--field key=value (numbers, true, false and null are sent as JSON; @FILE reads the value from a file) and
-f/--raw-field key=value (always a string); later sources override earlier keys. With GET, HEAD and DELETE,
the fields go into the query string instead.

--paginate follows PRA's Link header (rel="next") and prints the pages' items as one list; the other vendors answer
lists whole.`,
		Example: `  infra api pra GET /jump-group
  infra api pra GET /jump-group --paginate --jq '.[].name'
  infra api pra POST /jump-group -F name=ops -F code_name=ops
  infra api virtomize GET /virtualmachines
  infra api jotelulu GET /api-gateway/core/v1/organizations`,
		Args: cobra.ExactArgs(3),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			switch len(args) {
			case 0:
				return names, cobra.ShellCompDirectiveNoFileComp
			case 1:
				return []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error { return runAPI(c.Context(), f, o, args) },
	}
	cmdutil.SetDefaultFormat(c, output.JSON)
	fs := c.Flags()
	fs.StringVar(&o.jsonIn, "json", "", "read the request body as JSON from `FILE` (- for stdin)")
	fs.StringArrayVarP(&o.fields, "field", "F", nil, "add a typed `key=value` field (numbers, true, false, null as JSON; @FILE reads a file); repeatable")
	fs.StringArrayVarP(&o.rawFields, "raw-field", "f", nil, "add a string `key=value` field; repeatable")
	fs.BoolVar(&o.paginate, "paginate", false, "follow the next-page links and print every page's items as one list")
	return c
}

func runAPI(ctx context.Context, f *cmdutil.Factory, o *apiOptions, args []string) error {
	v, err := lookupRawVendor(args[0])
	if err != nil {
		return err
	}
	method := strings.ToUpper(args[1])
	if !methodRe().MatchString(method) {
		return &api.UsageError{Err: fmt.Errorf("%q is not an HTTP method", args[1])}
	}
	if err := f.ValidateOutput(); err != nil {
		return err
	}
	body, err := o.body(ctx, f)
	if err != nil {
		return err
	}
	conn, err := v.connect(ctx, f)
	if err != nil {
		return err
	}
	target, err := conn.target(args[2])
	if err != nil {
		return err
	}
	if m, ok := body.(map[string]any); ok && o.jsonIn == "" && queryMethod(method) {
		target, body = addQuery(target, m), nil
	}
	if o.paginate && method != http.MethodGet {
		return &api.UsageError{Err: errors.New("--paginate applies to GET requests only")}
	}
	var wire any
	var ctype string
	if body != nil {
		if wire, ctype, err = conn.encode(body); err != nil {
			return err
		}
	}
	ans, next, err := conn.send(ctx, method, target, wire, ctype)
	if err != nil {
		return err
	}
	if raw, ok := ans.([]byte); ok {
		_, err := f.IO.Out.Write(raw)
		return err
	}
	if o.paginate && conn.pages && next != "" {
		if ans, err = conn.follow(ctx, target, ans, next); err != nil {
			return err
		}
	}
	if ans == nil {
		return nil
	}
	return f.Print(ans, nil)
}

// target maps PATH to the request path under the core's base URL; an absolute URL must name the configured site.
func (c *rawConn) target(p string) (string, error) {
	if strings.Contains(p, "://") || strings.HasPrefix(p, "//") {
		u, err := url.Parse(p)
		if err != nil {
			return "", &api.UsageError{Err: fmt.Errorf("invalid URL %q: %v", p, err)}
		}
		base := c.core.BaseURL()
		if !sameOrigin(u, base) {
			return "", &api.UsageError{Err: fmt.Errorf("%s is not on the configured site (%s://%s): infra api never sends credentials to another host; give a path relative to the API root", api.ForTerminal(u.Redacted()), base.Scheme, base.Host)}
		}
		// The URL names the whole path: what the base path and the vendor's root already give is taken off.
		rest := strings.TrimPrefix(u.EscapedPath(), strings.TrimRight(base.EscapedPath(), "/"))
		if u.RawQuery != "" {
			rest += "?" + u.RawQuery
		}
		return rest, nil
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return c.path(p), nil
}

func sameOrigin(u, base *url.URL) bool {
	port := func(x *url.URL) string {
		if p := x.Port(); p != "" {
			return p
		}
		if strings.EqualFold(x.Scheme, "http") {
			return "80"
		}
		return "443"
	}
	return strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Hostname(), base.Hostname()) && port(u) == port(base)
}

func queryMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodDelete
}

func addQuery(target string, m map[string]any) string {
	path, rawQuery, _ := strings.Cut(target, "?")
	q, _ := url.ParseQuery(rawQuery)
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			q.Add(k, "")
		case []any:
			for _, e := range x {
				q.Add(k, fmt.Sprint(e))
			}
		default:
			q.Add(k, fmt.Sprint(x))
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// send makes one request. A JSON answer is decoded (nil when empty); anything else comes back as bytes. next is the
// Link header's rel="next".
func (c *rawConn) send(ctx context.Context, method, target string, body any, ctype string) (any, string, error) {
	req, err := c.core.NewRequest(ctx, method, target, body)
	if err != nil {
		return nil, "", err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json, */*;q=0.5")
	resp, err := c.core.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	limit := c.core.ResponseLimit()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", err
	}
	if int64(len(data)) > limit {
		return nil, "", &api.LimitError{Method: method, Path: req.URL.Path, Limit: limit}
	}
	next := pra.NextLink(resp.Header.Get("Link"))
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, next, nil
	}
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return data, next, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, "", fmt.Errorf("%s %s: decoding the JSON answer: %w", method, req.URL.Path, err)
	}
	return out, next, nil
}

// follow fetches the pages after the first along the Link headers, on the configured site only.
func (c *rawConn) follow(ctx context.Context, first string, page any, next string) (any, error) {
	var guard request.PageGuard
	if err := guard.Visit(first); err != nil {
		return nil, err
	}
	var all []any
	for {
		items, ok := page.([]any)
		if !ok {
			return nil, fmt.Errorf("--paginate: a page of %s is not a JSON list", first)
		}
		all = append(all, items...)
		if next == "" || len(items) == 0 {
			return all, nil
		}
		if u, err := url.Parse(next); err == nil {
			next = strings.TrimPrefix(u.RequestURI(), strings.TrimRight(c.core.BaseURL().EscapedPath(), "/"))
		}
		if err := guard.Visit(next); err != nil {
			return nil, err
		}
		var err error
		if page, next, err = c.send(ctx, http.MethodGet, next, nil, ""); err != nil {
			return nil, err
		}
	}
}

// body gathers the request body: --json, then -k lines, then --field and --raw-field.
func (o *apiOptions) body(ctx context.Context, f *cmdutil.Factory) (any, error) {
	var body any
	if o.jsonIn != "" {
		if o.jsonIn == "-" && f.G.KVIn {
			return nil, &api.UsageError{Err: errors.New("--json - and -k both read stdin; use one")}
		}
		var r io.Reader
		if o.jsonIn == "-" {
			r = f.IO.Stdin(ctx, "a JSON body")
		} else {
			fh, err := os.Open(o.jsonIn)
			if err != nil {
				return nil, &api.UsageError{Err: fmt.Errorf("--json: %w", err)}
			}
			defer fh.Close()
			r = fh
		}
		dec := json.NewDecoder(r)
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			return nil, &api.UsageError{Err: fmt.Errorf("--json %s: not JSON: %v", o.jsonIn, err)}
		}
	}
	fields := map[string]any{}
	if f.G.KVIn {
		pairs, err := engine.ReadKV(f.IO.Stdin(ctx, "key=value lines"))
		if err != nil {
			return nil, &api.UsageError{Err: err}
		}
		for _, p := range pairs {
			if p.Quoted {
				fields[p.Key] = p.Value
			} else {
				fields[p.Key] = typedValue(p.Value)
			}
		}
	}
	for _, set := range []struct {
		flag  string
		vals  []string
		typed bool
	}{{"--field", o.fields, true}, {"--raw-field", o.rawFields, false}} {
		for _, kv := range set.vals {
			k, val, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, &api.UsageError{Err: fmt.Errorf("%s %q: expected key=value", set.flag, kv)}
			}
			if !set.typed {
				fields[k] = val
				continue
			}
			if file, isFile := strings.CutPrefix(val, "@"); isFile {
				b, err := os.ReadFile(file)
				if err != nil {
					return nil, &api.UsageError{Err: fmt.Errorf("%s %s: %w", set.flag, k, err)}
				}
				fields[k] = string(b)
				continue
			}
			fields[k] = typedValue(val)
		}
	}
	if len(fields) == 0 {
		return body, nil
	}
	switch b := body.(type) {
	case nil:
		return fields, nil
	case map[string]any:
		for k, v := range fields {
			b[k] = v
		}
		return b, nil
	}
	return nil, &api.UsageError{Err: errors.New("fields cannot be added to a --json body that is not an object")}
}

// typedValue reads a --field value as gh does: true, false, null and numbers are JSON; anything else is a string.
func typedValue(s string) any {
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if jsonNumberRe().MatchString(s) {
		return json.Number(s)
	}
	return s
}

var jsonNumberRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
})
