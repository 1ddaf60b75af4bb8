package jotelulusim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Options configure a simulator.
type Options struct {
	// Token is the accepted bearer token (see MakeToken). Empty accepts any
	// well-formed, unexpired JWT.
	Token string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ProgressSteps is how many polls an asynchronous operation takes before
	// it finishes (see the package documentation). Zero or less means 3.
	ProgressSteps int
	// FailNext, when it returns true for an operation id, makes the
	// asynchronous work that operation starts end in "error" or "failed".
	FailNext func(opID string) bool
	// Seed loads the sample data described in the package documentation.
	Seed bool
	// SecondOrg, together with Seed, adds a second organization with the same
	// name as the first.
	SecondOrg bool
	// Ops is the operation table to serve; nil means the simulator's own table (see Operations).
	Ops []Op
	// PathOverrides moves operations: operation id (any case) -> "METHOD /path" with the table's parameter
	// names, as a vendor OpenAPI document might place them. Applied on top of Ops.
	PathOverrides map[string]string
}

// Server is the simulator. It is an http.Handler and safe for concurrent use.
type Server struct {
	mu     sync.Mutex
	opts   Options
	now    func() time.Time
	steps  int
	routes []route
	calls  map[string]int
	armed  map[string]int // armed one-shot failures by lower-case operation id
	nextID int
	st     state
}

type route struct {
	op   Op
	segs []string // literal segments, or "{name}" for parameters
	lits int      // number of literal segments, to prefer the most specific match
}

// New builds a simulator.
func New(o Options) *Server {
	s := &Server{opts: o, now: o.Now, steps: o.ProgressSteps, calls: map[string]int{}, nextID: 10000}
	if s.now == nil {
		s.now = time.Now
	}
	if s.steps <= 0 {
		s.steps = 3
	}
	builtin := table()
	ops := o.Ops
	if ops == nil {
		ops = builtin
	}
	for _, op := range ops {
		if op.handle == nil {
			// An operation built by the caller is implemented when the built-in table has its id.
			if i := slices.IndexFunc(builtin, func(b Op) bool { return strings.EqualFold(b.ID, op.ID) }); i >= 0 {
				op.handle = builtin[i].handle
			}
		}
		s.routes = append(s.routes, newRoute(op))
	}
	for id, mp := range o.PathOverrides {
		if err := s.move(id, mp); err != nil {
			panic("jotelulusim: " + err.Error())
		}
	}
	if o.Seed {
		s.seed(o.SecondOrg)
	}
	return s
}

func newRoute(op Op) route {
	r := route{op: op, segs: strings.Split(strings.Trim(op.Path, "/"), "/")}
	for _, seg := range r.segs {
		if !isParam(seg) {
			r.lits++
		}
	}
	return r
}

// Move serves the operation at another method and path ("METHOD /path", parameters named as in the table) from
// now on; the old route stops answering. It is how a vendor spec that moves an inferred path is simulated.
func (s *Server) Move(opID, methodPath string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.move(opID, methodPath)
}

func (s *Server) move(opID, methodPath string) error {
	method, path, ok := strings.Cut(strings.TrimSpace(methodPath), " ")
	if !ok || !strings.HasPrefix(strings.TrimSpace(path), "/") {
		return fmt.Errorf("path override for %s: want \"METHOD /path\", got %q", opID, methodPath)
	}
	for i, r := range s.routes {
		if strings.EqualFold(r.op.ID, opID) {
			op := r.op
			op.Method, op.Path = strings.ToUpper(method), strings.TrimSpace(path)
			s.routes[i] = newRoute(op)
			return nil
		}
	}
	return fmt.Errorf("path override: unknown operation %q", opID)
}

// FailNext makes the asynchronous work started by the next call of the operation end in "error" or "failed",
// once, in addition to Options.FailNext.
func (s *Server) FailNext(opID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.armed == nil {
		s.armed = map[string]int{}
	}
	s.armed[strings.ToLower(opID)]++
}

// Calls reports how many requests were routed to the operation (whatever
// their outcome, including authentication failures). The id is matched
// without regard to case.
func (s *Server) Calls(opID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[strings.ToLower(opID)]
}

func isParam(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// errItem is one entry of an error answer.
type errItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// apiErr is a failed request: a status and one or more error entries.
type apiErr struct {
	status int
	items  []errItem
}

func errf(status int, code, format string, args ...any) *apiErr {
	return &apiErr{status: status, items: []errItem{{Code: code, Message: fmt.Sprintf(format, args...)}}}
}

func fieldErr(code, field, format string, args ...any) *apiErr {
	return &apiErr{status: http.StatusBadRequest, items: []errItem{{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}}}
}

func notFound(kind, id string) *apiErr {
	return errf(http.StatusNotFound, "not_found", "%s %q not found", kind, id)
}

type meta struct {
	CorrelationID string `json:"correlationId"`
	Timestamp     string `json:"timestamp"`
}

// call is one routed request.
type call struct {
	op     Op
	params map[string]string
	query  url.Values
	data   map[string]any // the data object of a write request, nil otherwise
}

type handler func(s *Server, c *call) (int, any, *apiErr)

// ServeHTTP routes the request by the operation table and answers with an
// envelope.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, body := s.serve(r)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", s.allowed(r))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) serve(r *http.Request) (int, []byte) {
	// The body is read before taking the lock so a slow client cannot stall
	// other requests.
	raw, readErr := io.ReadAll(io.LimitReader(r.Body, 1<<20))

	s.mu.Lock()
	defer s.mu.Unlock()
	m := meta{CorrelationID: uuid.NewString(), Timestamp: s.stamp()}

	op, params, status := s.match(r)
	if status != http.StatusOK {
		if status == http.StatusMethodNotAllowed {
			return s.fail(m, errf(status, "method_not_allowed", "method %s is not allowed on %s", r.Method, r.URL.Path))
		}
		return s.fail(m, errf(status, "not_found", "no operation at %s %s", r.Method, r.URL.Path))
	}
	s.calls[strings.ToLower(op.ID)]++

	if e := s.authenticate(r); e != nil {
		return s.fail(m, e)
	}
	if readErr != nil {
		return s.fail(m, errf(http.StatusBadRequest, "invalid_body", "could not read the request body"))
	}
	c := &call{op: op, params: params, query: r.URL.Query()}
	if e := checkQuery(op, c.query); e != nil {
		return s.fail(m, e)
	}
	write := r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch
	if write || len(bytes.TrimSpace(raw)) > 0 {
		data, e := readEnvelope(raw)
		if e != nil {
			return s.fail(m, e)
		}
		if e := checkBody(op, data); e != nil {
			return s.fail(m, e)
		}
		c.data = data
	}
	h := op.handle
	if h == nil {
		return s.fail(m, errf(http.StatusNotImplemented, "not_implemented", "operation %s is not implemented by the simulator", op.ID))
	}
	code, data, e := h(s, c)
	if e != nil {
		return s.fail(m, e)
	}
	return encode(code, struct {
		Data any  `json:"data"`
		Meta meta `json:"meta"`
	}{data, m})
}

func (s *Server) fail(m meta, e *apiErr) (int, []byte) {
	return encode(e.status, struct {
		Errors []errItem `json:"errors"`
		Meta   meta      `json:"meta"`
	}{e.items, m})
}

func encode(status int, v any) (int, []byte) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return http.StatusInternalServerError, []byte(`{"errors":[{"code":"internal","message":"could not encode the answer"}],"meta":{}}` + "\n")
	}
	return status, buf.Bytes()
}

func (s *Server) stamp() string { return s.now().UTC().Format(time.RFC3339) }

// match finds the operation for the request. It returns 404 when no path
// matches and 405 when a path matches with another method.
func (s *Server) match(r *http.Request) (Op, map[string]string, int) {
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	best, bestParams := -1, map[string]string(nil)
	pathMatched := false
	for i, rt := range s.routes {
		params, ok := rt.bind(segs)
		if !ok {
			continue
		}
		pathMatched = true
		if !strings.EqualFold(rt.op.Method, r.Method) {
			continue
		}
		if best < 0 || rt.lits > s.routes[best].lits {
			best, bestParams = i, params
		}
	}
	if best >= 0 {
		return s.routes[best].op, bestParams, http.StatusOK
	}
	if pathMatched {
		return Op{}, nil, http.StatusMethodNotAllowed
	}
	return Op{}, nil, http.StatusNotFound
}

func (s *Server) allowed(r *http.Request) string {
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	var methods []string
	for _, rt := range s.routes {
		if _, ok := rt.bind(segs); ok && !slices.Contains(methods, rt.op.Method) {
			methods = append(methods, rt.op.Method)
		}
	}
	slices.Sort(methods)
	return strings.Join(methods, ", ")
}

func (rt route) bind(segs []string) (map[string]string, bool) {
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	params := map[string]string{}
	for i, want := range rt.segs {
		got, err := url.PathUnescape(segs[i])
		if err != nil {
			return nil, false
		}
		if isParam(want) {
			if got == "" {
				return nil, false
			}
			params[want[1:len(want)-1]] = got
		} else if got != want {
			return nil, false
		}
	}
	return params, true
}

func (s *Server) authenticate(r *http.Request) *apiErr {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return errf(http.StatusUnauthorized, "unauthorized", "missing bearer token")
	}
	if s.opts.Token != "" && token != s.opts.Token {
		return errf(http.StatusUnauthorized, "unauthorized", "invalid bearer token")
	}
	_, exp, err := ParseToken(token)
	if err != nil {
		return errf(http.StatusUnauthorized, "unauthorized", "invalid bearer token: %v", err)
	}
	if !exp.After(s.now()) {
		return errf(http.StatusUnauthorized, "token_expired", "bearer token expired at %s", exp.UTC().Format(time.RFC3339))
	}
	return nil
}

// readEnvelope checks the {data, meta{requestId, timestamp}} envelope of a
// write request and returns its data object.
func readEnvelope(raw []byte) (map[string]any, *apiErr) {
	bad := func(format string, args ...any) (map[string]any, *apiErr) {
		return nil, errf(http.StatusBadRequest, "invalid_envelope", format, args...)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return bad("write requests need a body {\"data\": {...}, \"meta\": {\"requestId\": ..., \"timestamp\": ...}}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var env map[string]any
	if err := dec.Decode(&env); err != nil {
		return bad("request body is not a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad("request body has content after the JSON object")
	}
	for k := range env {
		if k != "data" && k != "meta" {
			return bad("unexpected top-level member %q; fields go inside \"data\"", k)
		}
	}
	data, ok := env["data"].(map[string]any)
	if !ok {
		return bad("request body needs a \"data\" object")
	}
	m, ok := env["meta"].(map[string]any)
	if !ok {
		return bad("request body needs a \"meta\" object with requestId and timestamp")
	}
	if id, _ := m["requestId"].(string); strings.TrimSpace(id) == "" {
		return bad("meta.requestId is required")
	}
	ts, _ := m["timestamp"].(string)
	if _, err := time.Parse(time.RFC3339, ts); err != nil {
		return bad("meta.timestamp must be an RFC 3339 time")
	}
	return data, nil
}

// checkQuery validates query parameters that the table declares with an enum.
func checkQuery(op Op, q url.Values) *apiErr {
	for _, f := range op.Query {
		v := q.Get(f.Name)
		if v == "" {
			if f.Required {
				return fieldErr("required", f.Name, "query parameter %s is required", f.Name)
			}
			continue
		}
		if len(f.Enum) > 0 && !slices.Contains(f.Enum, v) {
			return fieldErr("invalid_value", f.Name, "query parameter %s must be one of %s", f.Name, strings.Join(f.Enum, ", "))
		}
	}
	return nil
}

// checkBody validates the data object against the Body fields of the
// operation, reporting every problem at once.
func checkBody(op Op, data map[string]any) *apiErr {
	var items []errItem
	add := func(code, field, format string, args ...any) {
		items = append(items, errItem{Code: code, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	var unknown []string
	for k := range data {
		if _, ok := op.bodyField(k); !ok {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		add("unknown_field", k, "data.%s is not a field of %s", k, op.ID)
	}
	for _, f := range op.Body {
		v, present := data[f.Name]
		if !present || v == nil {
			if f.Required {
				add("required", f.Name, "data.%s is required", f.Name)
			}
			continue
		}
		ok := true
		switch f.Type {
		case "string":
			var str string
			str, ok = v.(string)
			if ok && f.Required && strings.TrimSpace(str) == "" {
				add("required", f.Name, "data.%s must not be empty", f.Name)
				continue
			}
		case "integer":
			var n json.Number
			if n, ok = v.(json.Number); ok {
				_, err := n.Int64()
				ok = err == nil
			}
		case "boolean":
			_, ok = v.(bool)
		case "array":
			_, ok = v.([]any)
		case "object":
			_, ok = v.(map[string]any)
		}
		if !ok {
			add("invalid_type", f.Name, "data.%s must be of type %s", f.Name, f.Type)
			continue
		}
		if str, isStr := v.(string); isStr && len(f.Enum) > 0 && !slices.Contains(f.Enum, str) {
			add("invalid_value", f.Name, "data.%s must be one of %s", f.Name, strings.Join(f.Enum, ", "))
		}
	}
	if len(items) > 0 {
		return &apiErr{status: http.StatusBadRequest, items: items}
	}
	return nil
}

// Accessors for an already validated data object.

func str(data map[string]any, name string) string {
	v, _ := data[name].(string)
	return v
}

func has(data map[string]any, name string) bool {
	v, ok := data[name]
	return ok && v != nil
}

func integer(data map[string]any, name string) (int64, bool) {
	n, ok := data[name].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

func boolean(data map[string]any, name string) (bool, bool) {
	b, ok := data[name].(bool)
	return b, ok
}

// strList returns an array field whose elements must be non-empty strings.
func strList(data map[string]any, name string) ([]string, *apiErr) {
	raw, _ := data[name].([]any)
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		s, ok := v.(string)
		if !ok || s == "" {
			return nil, fieldErr("invalid_type", name, "data.%s must be a list of id strings", name)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}
