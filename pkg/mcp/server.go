package mcp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
)

// Paging and size limits of results.
const (
	defaultPerPage        = 50
	minPerPage            = 5 // the smallest page every vendor serves as asked (PRA: 5 to 100)
	maxPerPage            = 100
	defaultMaxResultBytes = 64 << 10
	maxFound              = 100
)

// SecretSource returns a secret held on the server's side (an environment variable, a file named at start-up).
type SecretSource func() (string, error)

// Options configure a Server.
type Options struct {
	// Vendors whose operations are served (all when empty).
	Vendors []string
	// AllowWrite lets operations other than GET run; without it the server only reads.
	AllowWrite bool
	// Executor runs operations (required).
	Executor Executor
	// Audit receives one line per tool call (nil: none).
	Audit *Auditor
	// Secrets are the secret fields the server may fill in, by field name.
	Secrets map[string]SecretSource
	// MaxResultBytes caps the JSON of one result (0: 64 KiB).
	MaxResultBytes int
	// SiteFiles are the site files pra_plan may compare with the site, by name (the file's base name); the model
	// names one of them, never a path.
	SiteFiles map[string]string
	// Version is the server's version, as reported to clients.
	Version string
}

// Server is the MCP server over the catalogs.
type Server struct {
	o   Options
	cat *Catalog
	srv *sdk.Server
	key []byte // binds confirmations to calls
}

// New builds the server and its tools.
func New(o Options) (*Server, error) {
	if o.Executor == nil {
		return nil, errors.New("mcp: no executor")
	}
	for _, v := range o.Vendors {
		if !slices.Contains(Vendors, v) {
			return nil, &api.UsageError{Err: fmt.Errorf("unknown vendor %q (known: %s)", v, strings.Join(Vendors, ", "))}
		}
	}
	if o.MaxResultBytes <= 0 {
		o.MaxResultBytes = defaultMaxResultBytes
	}
	s := &Server{o: o, cat: NewCatalog(o.Vendors), key: make([]byte, 32)}
	if _, err := rand.Read(s.key); err != nil {
		return nil, err
	}
	mode := "read-only: operations that change anything are refused"
	if o.AllowWrite {
		mode = "writes allowed; irreversible operations need the user's confirmation"
	}
	s.srv = sdk.NewServer(&sdk.Implementation{Name: "infra", Title: "infra: PRA, Virtomize and Jotelulu APIs", Version: o.Version},
		&sdk.ServerOptions{Instructions: fmt.Sprintf("This server runs the %d operations of the infra command line (%s). "+
			"Find an operation with find_operations, read its input schema with describe_operation, then run it with "+
			"call_operation. The server is %s. Secrets are never shown: they read %s.",
			s.cat.Len(), strings.Join(s.vendors(), ", "), mode, Redacted)})
	s.addTools()
	s.srv.AddReceivingMiddleware(s.auditRejected)
	return s, nil
}

type auditedKey struct{}

// auditRejected writes the audit line of tool calls that never reached their tool: arguments the input schema
// refused, unknown tools. The tools write their own (audited).
func (s *Server) auditRejected(next sdk.MethodHandler) sdk.MethodHandler {
	return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
		if method != "tools/call" {
			return next(ctx, method, req)
		}
		start := time.Now()
		done := new(bool)
		res, err := next(context.WithValue(ctx, auditedKey{}, done), method, req)
		if *done {
			return res, err
		}
		rec := AuditRecord{Time: start.UTC(), Outcome: OutcomeError, DurationMS: time.Since(start).Milliseconds()}
		if p, ok := req.GetParams().(*sdk.CallToolParamsRaw); ok {
			rec.Tool = p.Name
			_ = json.Unmarshal(p.Arguments, &rec.Arguments)
			if op, ok := rec.Arguments["operation"].(string); ok {
				rec.Operation = op
			}
		}
		if ss, ok := req.GetSession().(*sdk.ServerSession); ok {
			rec.Session = ss.ID()
		}
		if err != nil {
			rec.Error = err.Error()
		} else if r, ok := res.(*sdk.CallToolResult); ok && r.IsError {
			for _, c := range r.Content {
				if t, ok := c.(*sdk.TextContent); ok {
					rec.Error += t.Text
				}
			}
		}
		if aerr := s.o.Audit.Write(rec); aerr != nil {
			return nil, fmt.Errorf("audit log: %v", aerr)
		}
		return res, err
	}
}

// MCP returns the SDK server, to run on a transport.
func (s *Server) MCP() *sdk.Server { return s.srv }

func (s *Server) vendors() []string {
	if len(s.o.Vendors) == 0 {
		return Vendors
	}
	return s.o.Vendors
}

func (s *Server) enabled(vendor string) bool { return slices.Contains(s.vendors(), vendor) }

// FindInput is the input of find_operations.
type FindInput struct {
	Words    string `json:"words,omitempty" jsonschema:"words to look for in the operation's name, summary, method or API path (all must match)"`
	Vendor   string `json:"vendor,omitempty" jsonschema:"only this vendor: pra, virtomize or jotelulu"`
	Resource string `json:"resource,omitempty" jsonschema:"only this resource, e.g. jump-group, vm or vm snapshot"`
	Limit    int    `json:"limit,omitempty" jsonschema:"at most this many operations (default and maximum 100)"`
}

// DescribeInput is the input of describe_operation.
type DescribeInput struct {
	Operation string `json:"operation" jsonschema:"the operation's name as find_operations gives it, e.g. pra jump-group list"`
}

// CallInput is the input of call_operation.
type CallInput struct {
	Operation string         `json:"operation" jsonschema:"the operation's name, e.g. pra jump-group list"`
	Args      map[string]any `json:"args,omitempty" jsonschema:"path arguments by parameter name (see describe_operation)"`
	Fields    map[string]any `json:"fields,omitempty" jsonschema:"request fields by API name (see describe_operation)"`
	Options   map[string]any `json:"options,omitempty" jsonschema:"command options by flag name (see describe_operation)"`
	Secrets   []string       `json:"secrets,omitempty" jsonschema:"secret fields to fill from the server's configuration"`
	PerPage   int            `json:"per_page,omitempty" jsonschema:"lists: items per result (5 to 100, default 50)"`
	Cursor    string         `json:"cursor,omitempty" jsonschema:"lists: next_cursor of the previous result"`
}

func (s *Server) addTools() {
	ro := &sdk.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true}
	sdk.AddTool(s.srv, &sdk.Tool{Name: "find_operations", Annotations: ro,
		Description: "Search the operations of the infra catalogs (PRA, Virtomize, Jotelulu) by words, vendor and resource. " +
			"Returns names to pass to describe_operation and call_operation, with whether each reads or writes."},
		audited(s, "find_operations", func(in FindInput) string { return "" }, s.find))
	sdk.AddTool(s.srv, &sdk.Tool{Name: "describe_operation", Annotations: ro,
		Description: "Describe one operation: what it does, its API method and path, whether it reads or writes or is " +
			"irreversible, and the JSON Schema of the arguments call_operation takes for it (types, enums, required fields)."},
		audited(s, "describe_operation", func(in DescribeInput) string { return in.Operation }, s.describe))
	destructive := !s.o.AllowWrite
	sdk.AddTool(s.srv, &sdk.Tool{Name: "call_operation",
		Annotations: &sdk.ToolAnnotations{ReadOnlyHint: !s.o.AllowWrite, DestructiveHint: &destructive},
		Description: "Run one operation, validated exactly as the command line validates it, and return its JSON. Lists " +
			"come a page at a time: pass next_cursor back as cursor for more. Results are capped in size (a note says when). " +
			"Operations that change anything are refused unless the server allows writes; irreversible ones ask the user."},
		audited(s, "call_operation", func(in CallInput) string { return in.Operation }, s.call))
	s.addWorkflows()
}

// refusal is a call the server's policy stopped before anything was sent.
type refusal struct {
	outcome string
	msg     string
}

func (r *refusal) Error() string { return r.msg }

func refused(format string, a ...any) error {
	return &refusal{outcome: OutcomeRefused, msg: "refused: " + fmt.Sprintf(format, a...)}
}

// audited wraps a tool handler with the audit line of every call.
func audited[In any](s *Server, tool string, opName func(In) string,
	h func(context.Context, *sdk.CallToolRequest, In) (any, error)) sdk.ToolHandlerFor[In, any] {
	return func(ctx context.Context, req *sdk.CallToolRequest, in In) (*sdk.CallToolResult, any, error) {
		start := time.Now()
		out, err := h(ctx, req, in)
		var res *sdk.CallToolResult
		if ir, ok := out.(*inputRequired); ok {
			out, res = nil, ir.res
		}
		rec := AuditRecord{Time: start.UTC(), Tool: tool, Operation: opName(in), Outcome: OutcomeOK,
			DurationMS: time.Since(start).Milliseconds()}
		if req != nil && req.Session != nil {
			rec.Session = req.Session.ID()
		}
		var args map[string]any
		if b, jerr := json.Marshal(in); jerr == nil {
			_ = json.Unmarshal(b, &args)
		}
		rec.Arguments = args
		if res != nil {
			rec.Outcome = OutcomeAsked
		}
		if err != nil {
			rec.Outcome = OutcomeError
			var r *refusal
			if errors.As(err, &r) {
				rec.Outcome = r.outcome
			}
			rec.Error = err.Error()
			err = errors.New(api.Scrub(err.Error()))
		}
		if done, ok := ctx.Value(auditedKey{}).(*bool); ok {
			*done = true
		}
		if aerr := s.o.Audit.Write(rec); aerr != nil {
			// An unaudited call must not look successful.
			return nil, nil, fmt.Errorf("audit log: %v", aerr)
		}
		return res, out, err
	}
}

type opSummary struct {
	Name         string `json:"name"`
	Summary      string `json:"summary"`
	Access       string `json:"access"`
	Irreversible bool   `json:"irreversible,omitempty"`
	Kind         string `json:"kind"`
}

func kindName(k request.Kind) string {
	switch k {
	case request.KindList:
		return "list"
	case request.KindNone:
		return "none"
	case request.KindDownload:
		return "download"
	case request.KindRaw:
		return "raw"
	}
	return "object"
}

func access(o *Operation) string {
	if o.Read() {
		return "read"
	}
	return "write"
}

func opShort(o *Operation) string {
	if o.Op.Short != "" {
		return o.Op.Short
	}
	return o.Op.Method + " " + o.Op.Path
}

func (s *Server) find(_ context.Context, _ *sdk.CallToolRequest, in FindInput) (any, error) {
	if in.Vendor != "" && !s.enabled(in.Vendor) {
		return nil, fmt.Errorf("vendor %q is not served (served: %s)", in.Vendor, strings.Join(s.vendors(), ", "))
	}
	limit := in.Limit
	if limit <= 0 || limit > maxFound {
		limit = maxFound
	}
	found := s.cat.Find(strings.Fields(in.Words), in.Vendor, in.Resource)
	out := map[string]any{"total": len(found)}
	list := []opSummary{}
	for _, o := range found[:min(limit, len(found))] {
		list = append(list, opSummary{Name: o.Name, Summary: opShort(o), Access: access(o), Irreversible: o.Irreversible(), Kind: kindName(o.Op.Kind)})
	}
	out["operations"] = list
	if len(found) > limit {
		out["note"] = fmt.Sprintf("%d more match: add words, a vendor or a resource to narrow the search", len(found)-limit)
	}
	return out, nil
}

// lookup finds an operation of a served vendor, or says which names are close.
func (s *Server) lookup(name string) (*Operation, error) {
	if o := s.cat.Lookup(name); o != nil {
		return o, nil
	}
	msg := fmt.Sprintf("unknown operation %q", name)
	words := strings.Fields(name)
	for len(words) > 0 {
		if near := s.cat.Find(words, "", ""); len(near) > 0 {
			var names []string
			for _, o := range near[:min(5, len(near))] {
				names = append(names, o.Name)
			}
			return nil, fmt.Errorf("%s; did you mean %s? (find_operations searches)", msg, strings.Join(names, ", "))
		}
		words = words[1:]
	}
	return nil, fmt.Errorf("%s (find_operations searches the catalog)", msg)
}

// secretFields are the fields of o that only the server can fill.
func (s *Server) secretFields(o *Operation) []string {
	return secretFields(o.Op, IsSecretName, s.o.Executor.StdinSecret(o))
}

func (s *Server) describe(_ context.Context, _ *sdk.CallToolRequest, in DescribeInput) (any, error) {
	o, err := s.lookup(in.Operation)
	if err != nil {
		return nil, err
	}
	op := o.Op
	opts := s.o.Executor.Options(o)
	out := map[string]any{
		"name":         o.Name,
		"vendor":       o.Vendor,
		"summary":      opShort(o),
		"method":       op.Method,
		"path":         op.Path,
		"kind":         kindName(op.Kind),
		"access":       access(o),
		"irreversible": o.Irreversible(),
		"input_schema": InputSchema(o, opts, IsSecretName, s.secretFields(o)),
	}
	if o.Resource != "" {
		out["resource"] = o.Resource
	}
	if op.Long != "" {
		out["description"] = op.Long
	}
	var notes []string
	switch {
	case op.Kind == request.KindDownload:
		notes = append(notes, "this operation saves a file; files are not offered over MCP, so call_operation refuses it")
	case !o.Read() && !s.o.AllowWrite:
		notes = append(notes, "this operation changes data and the server is read-only: call_operation refuses it")
	case o.Irreversible():
		notes = append(notes, "irreversible: call_operation asks the user to confirm, and refuses it without a confirmation")
	}
	if sf := s.secretFields(o); len(sf) > 0 {
		var have []string
		for _, f := range sf {
			if s.o.Secrets[f] != nil {
				have = append(have, f)
			}
		}
		notes = append(notes, fmt.Sprintf("secret fields (%s) are never taken from the call; the server can fill: %s",
			strings.Join(sf, ", "), orNone(have)))
	}
	if len(notes) > 0 {
		out["notes"] = notes
	}
	return out, nil
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// connectionNames are settings that say where and as whom the server connects: they come from its configuration only.
var connectionNames = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"profile": true, "config": true, "env-file": true, "sandbox": true, "host": true, "client-id": true,
		"client-secret": true, "username": true, "password": true, "token": true, "insecure": true, "ca-cert": true,
		"debug": true, "timeout": true, "spec": true, "url": true,
	}
})

// cursor is where a list continues: a page of per_page items, of which skip were already returned.
type cursor struct {
	Page    int `json:"p"`
	PerPage int `json:"n"`
	Skip    int `json:"s,omitempty"`
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Page < 1 || c.PerPage < minPerPage || c.PerPage > maxPerPage || c.Skip < 0 {
		return cursor{}, errors.New("cursor: not a next_cursor this server gave")
	}
	return c, nil
}

// prepare applies the policy to a call and turns it into an executor call. It sends nothing.
func (s *Server) prepare(in CallInput) (*Call, *cursor, error) {
	o, err := s.lookup(in.Operation)
	if err != nil {
		return nil, nil, err
	}
	op := o.Op
	if op.Kind == request.KindDownload {
		return nil, nil, refused("%s saves a file; files are not offered over MCP (run `infra %s` in a shell)", o.Name, o.Name)
	}
	if !o.Read() && !s.o.AllowWrite {
		return nil, nil, refused("%s changes data (%s %s) and this server is read-only; it must be started with --allow-write", o.Name, op.Method, op.Path)
	}
	c := &Call{Operation: o, Fields: map[string]any{}, Options: map[string]any{}}
	// Path arguments, in the catalog's order.
	for k := range in.Args {
		known := false
		for _, a := range op.Args {
			known = known || a.Param == k
		}
		if !known {
			return nil, nil, &api.UsageError{Err: fmt.Errorf("args.%s: %s takes no such argument (takes: %s)", k, o.Name, argNames(op))}
		}
	}
	for i, a := range op.Args {
		v, ok := in.Args[a.Param]
		if !ok {
			return nil, nil, &api.UsageError{Err: fmt.Errorf("args.%s is required (%s)", a.Param, a.Name)}
		}
		if l, isList := v.([]any); isList {
			if !op.MultiID || i != len(op.Args)-1 {
				return nil, nil, &api.UsageError{Err: fmt.Errorf("args.%s takes one value", a.Param)}
			}
			for _, e := range l {
				c.Args = append(c.Args, flagText(e))
			}
			continue
		}
		c.Args = append(c.Args, flagText(v))
	}
	// Fields: never a secret from the model.
	for k, v := range in.Fields {
		if IsSecretName(k) {
			return nil, nil, refused("field %s holds a secret and is never taken from the call: list it in \"secrets\" to have the server fill it from its own configuration", k)
		}
		c.Fields[k] = v
	}
	stdinSecret := s.o.Executor.StdinSecret(o)
	for _, name := range in.Secrets {
		if !slices.Contains(s.secretFields(o), name) {
			return nil, nil, &api.UsageError{Err: fmt.Errorf("secrets: %s is not a secret field of %s", name, o.Name)}
		}
		src := s.o.Secrets[name]
		if src == nil {
			return nil, nil, refused("the server has no value for the secret field %s (it is configured at start-up with --secret %s=env:VAR, =file:PATH or =keyring:NAME)", name, name)
		}
		v, err := src()
		if err != nil {
			return nil, nil, fmt.Errorf("secret %s: %v", name, err)
		}
		if name == stdinSecret {
			c.StdinSecret = v
			continue
		}
		c.Fields[name] = v
	}
	// Options: only the operation's own, never connection settings.
	if len(in.Options) > 0 {
		opts := s.o.Executor.Options(o)
		for k, v := range in.Options {
			if connectionNames()[k] || connectionNames()[strings.ReplaceAll(k, "_", "-")] {
				return nil, nil, refused("%s is a connection setting: connection settings and credentials come only from the server's configuration", k)
			}
			found := false
			for _, x := range opts {
				found = found || x.Name == k
			}
			if !found {
				var names []string
				for _, x := range opts {
					names = append(names, x.Name)
				}
				return nil, nil, &api.UsageError{Err: fmt.Errorf("options.%s: %s has no such option (has: %s)", k, o.Name, orNone(names))}
			}
			c.Options[k] = v
		}
	}
	if op.Kind != request.KindList {
		if in.Cursor != "" || in.PerPage != 0 {
			return nil, nil, &api.UsageError{Err: fmt.Errorf("cursor and per_page apply to lists; %s is not one", o.Name)}
		}
		return c, nil, nil
	}
	cur := cursor{Page: 1, PerPage: defaultPerPage}
	if in.PerPage != 0 && (in.PerPage < minPerPage || in.PerPage > maxPerPage) {
		return nil, nil, &api.UsageError{Err: fmt.Errorf("per_page: between %d and %d", minPerPage, maxPerPage)}
	}
	if in.PerPage > 0 {
		cur.PerPage = in.PerPage
	}
	if in.Cursor != "" {
		if cur, err = parseCursor(in.Cursor); err != nil {
			return nil, nil, &api.UsageError{Err: err}
		}
	}
	c.List = request.ListOptions{Page: cur.Page, PerPage: cur.PerPage, Limit: cur.PerPage}
	return c, &cur, nil
}

func argNames(op *request.Op) string {
	var n []string
	for _, a := range op.Args {
		n = append(n, a.Param)
	}
	return orNone(n)
}

func (s *Server) call(ctx context.Context, req *sdk.CallToolRequest, in CallInput) (any, error) {
	c, cur, err := s.prepare(in)
	if err != nil {
		return nil, err
	}
	if c.Operation.Irreversible() {
		ask, err := s.confirm(req, c)
		if err != nil {
			return nil, err
		}
		if ask != nil {
			return ask, nil
		}
		c.Confirmed = true
	}
	var out bytes.Buffer
	notice, err := s.o.Executor.Execute(ctx, c, &limitedBuffer{b: &out, max: 64 << 20})
	if err != nil {
		return nil, err
	}
	return s.shape(c, cur, out.Bytes(), notice)
}

// confirmKey names the confirmation among the input requests of a call.
const confirmKey = "confirm"

// inputRequired is a handler's answer that asks the client for input (the user's confirmation) before the call
// goes on; the client calls again with the answer (MCP multi round-trip, or elicitation for older clients).
type inputRequired struct{ res *sdk.CallToolResult }

// confirm checks the user's confirmation of an irreversible operation. Without an answer yet it returns the
// request to ask for one, bound to this exact call: an answer given for another call is not taken.
func (s *Server) confirm(req *sdk.CallToolRequest, c *Call) (*inputRequired, error) {
	what := strings.TrimSpace(c.Operation.Name + " " + strings.Join(c.Args, " "))
	cannot := &refusal{outcome: OutcomeDeclined, msg: fmt.Sprintf("refused: %s is irreversible and needs the user's confirmation, which this client cannot give (it does not support elicitation)", what)}
	if req == nil || req.Session == nil || req.Params == nil {
		return nil, cannot
	}
	if ip := req.Session.InitializeParams(); ip == nil || ip.Capabilities == nil || ip.Capabilities.Elicitation == nil {
		return nil, cannot
	}
	state := s.callState(req.Params.Arguments)
	if answer, ok := req.Params.InputResponses[confirmKey]; ok {
		er, _ := answer.(*sdk.ElicitResult)
		if req.Params.RequestState != state {
			return nil, &refusal{outcome: OutcomeDeclined, msg: fmt.Sprintf("refused: the confirmation given does not belong to %s", what)}
		}
		if er == nil || er.Action != "accept" || er.Content[confirmKey] != true {
			return nil, &refusal{outcome: OutcomeDeclined, msg: fmt.Sprintf("refused: the user did not confirm %s", what)}
		}
		return nil, nil
	}
	return &inputRequired{res: &sdk.CallToolResult{
		InputRequests: sdk.InputRequestMap{confirmKey: &sdk.ElicitParams{
			Message: fmt.Sprintf("Allow the agent to run `infra %s`? It cannot be undone.", what),
			RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{
				confirmKey: map[string]any{"type": "boolean", "title": "Run " + what, "description": "This cannot be undone."},
			}, "required": []string{confirmKey}},
		}},
		RequestState: state,
	}}, nil
}

// callState binds a confirmation to the arguments of one call (a keyed hash, so a client cannot forge it for other
// arguments).
func (s *Server) callState(args json.RawMessage) string {
	m := hmac.New(sha256.New, s.key)
	m.Write(args)
	return hex.EncodeToString(m.Sum(nil))
}

// shape turns the command's JSON output into the result: redacted, a page of a list with its cursor, capped.
func (s *Server) shape(c *Call, cur *cursor, out []byte, notice string) (any, error) {
	values, err := decodeAll(out)
	if err != nil {
		return nil, fmt.Errorf("reading the output of %s: %v", c.Operation.Name, err)
	}
	res := map[string]any{"operation": c.Operation.Name}
	var notes []string
	if cur != nil {
		var items []any
		if len(values) == 1 {
			if l, ok := values[0].([]any); ok {
				items = l
			} else {
				items = values
			}
		} else {
			items = values
		}
		full := len(items) >= cur.PerPage
		if cur.Skip > 0 {
			items = items[min(cur.Skip, len(items)):]
		}
		redacted := 0
		kept := []any{}
		size := 0
		next := ""
		for i, it := range items {
			it, n := Redact(it)
			redacted += n
			b, _ := json.Marshal(it)
			if size+len(b) > s.o.MaxResultBytes && i > 0 {
				nc := cursor{Page: cur.Page, PerPage: cur.PerPage, Skip: cur.Skip + i}
				next = nc.String()
				notes = append(notes, fmt.Sprintf("result cut at %d of %d items to stay under %d bytes: pass next_cursor to continue", i, len(items), s.o.MaxResultBytes))
				break
			}
			if len(b) > s.o.MaxResultBytes {
				// One item larger than a whole result: its JSON text, cut.
				it = map[string]any{"truncated_json": string(b[:s.o.MaxResultBytes])}
				notes = append(notes, fmt.Sprintf("item %d cut at %d of %d bytes", cur.Skip+i+1, s.o.MaxResultBytes, len(b)))
				b = b[:s.o.MaxResultBytes]
			}
			size += len(b)
			kept = append(kept, it)
		}
		if next == "" && full {
			next = cursor{Page: cur.Page + 1, PerPage: cur.PerPage}.String()
		}
		res["items"], res["count"], res["page"] = kept, len(kept), cur.Page
		if next != "" {
			res["next_cursor"] = next
		}
		if redacted > 0 {
			notes = append(notes, fmt.Sprintf("%d secret value(s) redacted", redacted))
		}
	} else {
		var v any
		switch len(values) {
		case 0:
			res["done"] = true
		case 1:
			v = values[0]
		default:
			v = values
		}
		if v != nil {
			v, n := Redact(v)
			if n > 0 {
				notes = append(notes, fmt.Sprintf("%d secret value(s) redacted", n))
			}
			b, _ := json.Marshal(v)
			if len(b) > s.o.MaxResultBytes {
				res["result_truncated"] = string(b[:s.o.MaxResultBytes])
				notes = append(notes, fmt.Sprintf("result cut at %d of %d bytes", s.o.MaxResultBytes, len(b)))
			} else {
				res["result"] = v
			}
		}
	}
	if notice != "" {
		res["message"] = api.Scrub(notice)
	}
	if len(notes) > 0 {
		res["note"] = strings.Join(notes, "; ")
	}
	return res, nil
}

// decodeAll reads every JSON value of the output (one document, or JSON lines).
func decodeAll(b []byte) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

// limitedBuffer keeps at most max bytes and fails beyond: the output of one call is bounded in memory.
type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) > l.max {
		return 0, errors.New("output larger than " + strconv.Itoa(l.max) + " bytes: use per_page or narrower filters")
	}
	return l.b.Write(p)
}
