package jotelulu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
)

// HostHelp says how to configure the API host; no public default is known.
const HostHelp = "set INFRA_JOTELULU_HOST, run `infra config set jotelulu.host https://HOST`, or pass --host to `infra auth login jotelulu` " +
	"(the public documentation names no production host, so infra has no default)"

// Settings are what the client needs besides the HTTP options.
type Settings struct {
	Host  string // host name or URL of the API gateway
	Token string // bearer JWT
	// Ops is the operation table to use (for example after a spec was applied); nil means Ops().
	Ops []Op
	// Now is the clock for request timestamps; nil means time.Now.
	Now func() time.Time
}

// Client talks to the Jotelulu public API. It implements request.Backend: the engine call's Op.ID selects the
// operation of the table, whose method and path are used; the call's PathParams must hold every path parameter.
type Client struct {
	core  *api.Client
	ops   map[string]Op
	debug io.Writer
	now   func() time.Time
}

// BaseURL turns a host name into a URL; URLs are kept. An empty host is a usage error naming how to set it.
func BaseURL(host string) (string, error) {
	h := strings.TrimSpace(host)
	if h == "" {
		return "", &api.UsageError{Err: errors.New("no Jotelulu host configured: " + HostHelp)}
	}
	if !strings.Contains(h, "://") {
		h = "https://" + h
	}
	u, err := url.Parse(h)
	if err != nil || u.Host == "" {
		return "", &api.UsageError{Err: fmt.Errorf("the Jotelulu host %q is not a host name or URL", host)}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// New builds a client.
func New(o api.Options, s Settings) (*Client, error) {
	base, err := BaseURL(s.Host)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(s.Token) == "" {
		return nil, &api.AuthError{Err: errors.New("no Jotelulu API token: run `infra auth login jotelulu` or set INFRA_JOTELULU_TOKEN")}
	}
	o.BaseURL = base
	o.Auth = api.StaticToken{Token: s.Token}
	o.RedactKeys = append(o.RedactKeys, "password")
	core, err := api.New(o)
	if err != nil {
		return nil, err
	}
	ops := s.Ops
	if ops == nil {
		ops = Ops()
	}
	c := &Client{core: core, ops: map[string]Op{}, debug: o.Debug, now: s.Now}
	if c.now == nil {
		c.now = time.Now
	}
	for _, op := range ops {
		c.ops[strings.ToLower(op.ID)] = op
	}
	return c, nil
}

// Op returns the operation the client uses for id (case-insensitive).
func (c *Client) Op(id string) (Op, bool) {
	op, ok := c.ops[strings.ToLower(id)]
	return op, ok
}

// Envelope is the {data, meta} wrapper of write requests.
type Envelope struct {
	Data any         `json:"data"`
	Meta RequestMeta `json:"meta"`
}

// RequestMeta is the meta object of a write request.
type RequestMeta struct {
	RequestID string `json:"requestId"`
	Timestamp string `json:"timestamp"`
}

// Wrap puts a request body into the write envelope with a fresh request id.
func (c *Client) Wrap(data map[string]any) Envelope {
	if data == nil {
		data = map[string]any{}
	}
	return Envelope{Data: data, Meta: RequestMeta{RequestID: uuid.NewString(), Timestamp: c.now().UTC().Format(time.RFC3339)}}
}

// Call sends one operation and returns the unwrapped data of the answer.
func (c *Client) Call(ctx context.Context, opID string, params map[string]string, q url.Values, body map[string]any) (any, error) {
	op, ok := c.Op(opID)
	if !ok {
		return nil, fmt.Errorf("unknown Jotelulu operation %q", opID)
	}
	p, err := op.Expand(params)
	if err != nil {
		return nil, &api.UsageError{Err: err}
	}
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	var reqBody any
	switch op.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		reqBody = c.Wrap(body)
	}
	req, err := c.core.NewRequest(ctx, op.Method, p, reqBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	var raw json.RawMessage
	if _, err := c.core.DoJSON(req, &raw); err != nil {
		return nil, c.decorate(err, op)
	}
	data, corr, err := Unwrap(raw)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op.Method, p, err)
	}
	if corr != "" && c.debug != nil {
		fmt.Fprintf(c.debug, "* %s: correlationId %s\n", op.ID, corr)
	}
	return data, nil
}

// Unwrap returns the data member of an answer envelope and meta.correlationId. An answer without a data member is
// returned whole.
func Unwrap(raw []byte) (any, string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, "", nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, "", fmt.Errorf("decoding the JSON answer: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v, "", nil
	}
	corr := CorrelationID(m)
	if d, ok := m["data"]; ok {
		return d, corr, nil
	}
	return v, corr, nil
}

// CorrelationID returns meta.correlationId of a decoded answer, or "".
func CorrelationID(m map[string]any) string {
	meta, _ := m["meta"].(map[string]any)
	id, _ := meta["correlationId"].(string)
	return id
}

// decorate adds the correlation id and advice to API errors.
func (c *Client) decorate(err error, op Op) error {
	var he *api.HTTPError
	if !errors.As(err, &he) {
		return err
	}
	var hints []string
	var body map[string]any
	if json.Unmarshal(he.Body, &body) == nil {
		if id := CorrelationID(body); id != "" {
			hints = append(hints, "correlationId "+id+" (quote it to Jotelulu support)")
		}
	}
	switch he.StatusCode {
	case http.StatusUnauthorized:
		hints = append(hints, "the API token was refused or has expired: check `infra auth status jotelulu --check`, then `infra auth login jotelulu` with a new token from the Jotelulu portal")
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		if op.Source == Inferred && (he.Message == "" || strings.HasPrefix(he.Message, "no operation at") || he.StatusCode == http.StatusMethodNotAllowed) {
			hints = append(hints, "this path may be one of the inferred ones (see `infra jotelulu api-map`); load the vendor's OpenAPI file with --spec FILE or `infra config set jotelulu.spec FILE`")
		}
	}
	if len(hints) > 0 {
		if he.Hint != "" {
			hints = append([]string{he.Hint}, hints...)
		}
		he.Hint = strings.Join(hints, "\n  hint: ")
	}
	return he
}

// Invoke implements request.Backend.
func (c *Client) Invoke(ctx context.Context, call *request.Call) (any, error) {
	return c.Call(ctx, call.Op.ID, call.PathParams, call.Query, call.Body)
}

// List implements request.Backend. No paging parameters are documented, so a list is one request; --limit cuts it.
func (c *Client) List(ctx context.Context, call *request.Call, opts request.ListOptions, each func(any) error) error {
	if opts.Page > 1 {
		return &api.UsageError{Err: errors.New("--page: the Jotelulu API documents no paging parameters; lists come in one answer (use --limit)")}
	}
	data, err := c.Call(ctx, call.Op.ID, call.PathParams, call.Query, nil)
	if err != nil {
		return err
	}
	return request.ListWhole(data, request.ListOptions{Limit: opts.Limit}, each)
}

// Core exposes the HTTP core (raw requests of `infra api`).
func (c *Client) Core() *api.Client { return c.core }
