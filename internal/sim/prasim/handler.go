package prasim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/infractl/infra/internal/sim/simutil"
)

// Pagination bounds from the PerPage schema of the OpenAPI document.
const (
	defaultPerPage = 100
	minPerPage     = 5
	maxPerPage     = 100
)

const maxBodyBytes = 1 << 20

var linkNames = simutil.LinkNames{
	PerPageParam: "per_page", CurrentPageParam: "current_page",
	First: "first", Previous: "previous", Next: "next", Last: "last",
}

// serveConfig handles one Configuration API request; rel is the path below
// ConfigBase. Checks run in the order an appliance applies them: routing
// (404, OPTIONS, 405), authentication (401), rate limit (429), required
// headers (406, 415), query parameters (401, 422), path resources (404), and
// finally the request body (400, 401, 422).
func (s *Server) serveConfig(w http.ResponseWriter, r *http.Request, rel string) {
	rm, ok := s.model.matchRoute(rel)
	if !ok {
		simutil.WriteMessage(w, http.StatusNotFound, "The requested URL was not found on this server.")
		return
	}
	allow := strings.Join(rm.rt.allow, ",")
	if r.Method == http.MethodOptions {
		w.Header().Set("Allow", allow)
		w.WriteHeader(http.StatusOK)
		return
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	op := rm.rt.ops[method]
	if op == nil {
		w.Header().Set("Allow", allow)
		simutil.WriteMessage(w, http.StatusMethodNotAllowed, "The "+r.Method+
			" method is not supported for this route. Supported methods: "+strings.Join(rm.rt.allow, ", ")+".")
		return
	}
	// The guide's scripts fetch the btapi tool with a plain curl before any
	// credentials are used, so that download needs no token.
	if op.Path != "/cli/{platform}" || r.Header.Get("Authorization") != "" {
		if _, ok := s.admit(w, r); !ok {
			return
		}
	}
	if s.denyConfig.Load() {
		simutil.WriteMessage(w, http.StatusForbidden, "This API account does not have permission to use the Configuration API.")
		return
	}
	if s.denyVault.Load() && strings.HasPrefix(rel, "/vault/") {
		simutil.WriteMessage(w, http.StatusForbidden, "This API account does not have permission to use the Vault APIs.")
		return
	}
	if !mediaTypesOK(w, r, op, method) {
		return
	}
	// "Common HTTP Status Codes" in the Configuration API overview: a 401
	// means unrecognized query string parameters (GET) or unrecognized body
	// fields (POST, PATCH). Unknown parameters are therefore answered with
	// 401 and a message naming them, not 400 or 422.
	query := simutil.ParseQueryOrdered(r.URL.RawQuery)
	if unknown := append(unknownParams(query, op), s.unsupportedParams(query)...); len(unknown) > 0 {
		simutil.WriteMessage(w, http.StatusUnauthorized,
			"Unrecognized query string parameter(s): "+strings.Join(unknown, ", ")+".")
		return
	}
	m := &match{res: op.res, item: op.kind == kindGet || op.kind == kindUpdate || op.kind == kindDelete, keys: rm.ids}
	switch op.kind {
	case kindList:
		s.list(w, r, m, op, query)
	case kindGet:
		s.show(w, m, op)
	case kindCreate:
		s.create(w, r, m, op)
	case kindUpdate:
		s.update(w, r, m, op)
	case kindDelete:
		s.destroy(w, m, op)
	case kindDownload:
		s.download(w, r, op, rm)
	default:
		s.custom(w, r, op, rm, query)
	}
}

// mediaTypesOK checks the Accept header (a download's own type; JSON for GET and DELETE) and a body's Content-Type
// (JSON), answering 406 or 415 when one does not fit.
func mediaTypesOK(w http.ResponseWriter, r *http.Request, op *specOp, method string) bool {
	switch {
	case op.kind == kindDownload:
		if !acceptsType(r.Header.Values("Accept"), op.successType) {
			simutil.WriteMessage(w, http.StatusNotAcceptable,
				"The Accept header must allow "+op.successType+" for this download.")
			return false
		}
	case method == http.MethodGet || method == http.MethodDelete:
		if !acceptsJSON(r.Header.Values("Accept")) {
			simutil.WriteMessage(w, http.StatusNotAcceptable,
				"The Accept header must include application/json for "+r.Method+" requests.")
			return false
		}
	}
	if op.kind == kindCreate || op.kind == kindUpdate || (op.body != nil && (op.bodyRequired || r.ContentLength != 0)) {
		if !isJSONContent(r.Header.Get("Content-Type")) {
			simutil.WriteMessage(w, http.StatusUnsupportedMediaType,
				"The Content-Type header must be application/json for requests with a body.")
			return false
		}
	}
	return true
}

// acceptsJSON reports whether an Accept header lists application/json.
func acceptsJSON(values []string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || mt != "application/json" {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

func isJSONContent(v string) bool {
	mt, _, err := mime.ParseMediaType(v)
	return err == nil && mt == "application/json"
}

// unknownParams lists the query parameters the operation does not document.
// Every listing accepts per_page and current_page: the guide says all GET
// endpoints returning several resources are paginated.
func unknownParams(query []simutil.QueryParam, op *specOp) []string {
	var unknown []string
	for _, q := range query {
		_, known := op.query[q.Key]
		if (q.Key == "per_page" || q.Key == "current_page") && (op.paginated || op.kind == kindList) {
			known = true
		}
		if !known && !slices.Contains(unknown, q.Key) {
			unknown = append(unknown, q.Key)
		}
	}
	return unknown
}

// firstValue returns the first value of key in query.
func firstValue(query []simutil.QueryParam, key string) (string, bool) {
	for _, q := range query {
		if q.Key == key {
			return q.Value, true
		}
	}
	return "", false
}

func notFound(w http.ResponseWriter, label string) {
	simutil.WriteMessage(w, http.StatusNotFound, "The requested "+label+" was not found.")
}

func writeValidation(w http.ResponseWriter, errs *errorBag) {
	simutil.WriteJSON(w, http.StatusUnprocessableEntity, errs.body())
}

// pageParam parses per_page or current_page.
func pageParam(query []simutil.QueryParam, name string, def, lo, hi int, errs *errorBag) int {
	raw, ok := firstValue(query, name)
	if !ok {
		return def
	}
	a := attr(name)
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	switch {
	case err != nil:
		errs.add(name, "The "+a+" must be an integer.")
	case n < lo:
		errs.add(name, "The "+a+" must be at least "+strconv.Itoa(lo)+".")
	case hi > 0 && n > hi:
		errs.add(name, "The "+a+" must not be greater than "+strconv.Itoa(hi)+".")
	default:
		return n
	}
	return def
}

// requestURL rebuilds the absolute URL of r from its Host header.
func requestURL(r *http.Request) *url.URL {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := *r.URL
	u.Scheme = scheme
	u.Host = r.Host
	u.User = nil
	return &u
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, m *match, op *specOp, query []simutil.QueryParam) {
	var errs errorBag
	perPage := pageParam(query, "per_page", defaultPerPage, minPerPage, maxPerPage, &errs)
	current := pageParam(query, "current_page", 1, 1, 0, &errs)
	filters := listFilters(m.res, query, &errs)
	if !errs.empty() {
		writeValidation(w, &errs)
		return
	}

	s.mu.Lock()
	parents := m.parentKeys()
	if missing, ok := s.db.parentsExist(m.res, parents); !ok {
		s.mu.Unlock()
		notFound(w, missing.Label)
		return
	}
	var rows []Row
	if t := s.db.table(m.res, scopeOf(parents), false); t != nil {
		for _, row := range t.list() {
			if slices.ContainsFunc(filters, func(f listFilter) bool { return !f.matches(row) }) {
				continue
			}
			rows = append(rows, row)
		}
	}
	p := simutil.NewPage(len(rows), perPage, current)
	start, end := p.Bounds()
	var b bytes.Buffer
	b.WriteByte('[')
	for i, row := range rows[start:end] {
		if i > 0 {
			b.WriteByte(',')
		}
		encodeRowAs(&b, m.res, row, op.show)
	}
	b.WriteString("]\n")
	s.mu.Unlock()

	h := w.Header()
	h.Set("Link", simutil.LinkHeader(requestURL(r), p, linkNames))
	h.Set("X-BT-Pagination-Current-Page", strconv.Itoa(p.Current))
	h.Set("X-BT-Pagination-Per-Page", strconv.Itoa(p.PerPage))
	h.Set("X-BT-Pagination-Last-Page", strconv.Itoa(p.Last))
	h.Set("X-BT-Pagination-Total", strconv.Itoa(p.Total))
	simutil.WriteRawJSON(w, http.StatusOK, b.Bytes())
}

// listFilter is one filter of a list request.
type listFilter struct {
	name   string
	values []any // any of them matches
	inList bool  // the field is an array holding the value
}

// matches reports whether row passes the filter.
func (f listFilter) matches(row Row) bool {
	return slices.ContainsFunc(f.values, func(v any) bool {
		if f.inList {
			list, _ := row[f.name].([]any)
			return slices.ContainsFunc(list, func(e any) bool { return sameValue(e, v) })
		}
		return sameValue(row[f.name], v)
	})
}

// listFilters reads the filters of res given in query, converting their values; a value that does not convert is
// an error in errs.
func listFilters(res *resource, query []simutil.QueryParam, errs *errorBag) []listFilter {
	var filters []listFilter
	for i := range res.Filters {
		f := &res.Filters[i]
		raw, ok := firstValue(query, f.Name)
		if !ok {
			continue
		}
		// A filter matches the field of the same name; a plural filter
		// ("names", "tags") takes a comma-separated list for the singular
		// field. Documented filters on something the simulator does not
		// store (e.g. include_personal) are validated and then ignored.
		// An array field (an endpoint's "names") matches when it holds one
		// of the values.
		target, list := f.Name, false
		if tf := res.field(target); tf == nil {
			if sing := strings.TrimSuffix(f.Name, "s"); sing != f.Name && res.field(sing) != nil {
				target, list = sing, true
			} else {
				target = ""
			}
		} else if tf.Type == Array {
			list = true
		}
		parts := []string{raw}
		if list {
			parts = strings.Split(raw, ",")
		}
		if vals := filterValues(f, parts, errs); target != "" && len(vals) > 0 {
			filters = append(filters, listFilter{target, vals, res.field(target).Type == Array})
		}
	}
	return filters
}

// filterValues converts the query values of filter f to its type (integers, booleans as true/1 and false/0).
func filterValues(f *Field, parts []string, errs *errorBag) []any {
	var vals []any
	for _, part := range parts {
		var v any = part
		switch f.Type {
		case Integer:
			v = json.Number(strings.TrimSpace(part))
		case Boolean:
			switch strings.ToLower(strings.TrimSpace(part)) {
			case "true", "1":
				v = true
			case "false", "0":
				v = false
			}
		}
		if c, good := convert(f, f.Name, v, errs); good {
			vals = append(vals, c)
		}
	}
	return vals
}

// lookupLocked finds the item addressed by m, or writes a 404.
func (s *Server) lookupLocked(w http.ResponseWriter, m *match) (Row, bool) {
	parents := m.parentKeys()
	if missing, ok := s.db.parentsExist(m.res, parents); !ok {
		notFound(w, missing.Label)
		return nil, false
	}
	row, ok := s.db.get(m.res, scopeOf(parents), m.keys[len(m.keys)-1])
	if !ok {
		notFound(w, m.res.Label)
		return nil, false
	}
	return row, true
}

func writeRow(w http.ResponseWriter, status int, res *resource, row Row, show map[string]bool) {
	var b bytes.Buffer
	encodeRowAs(&b, res, row, show)
	b.WriteByte('\n')
	simutil.WriteRawJSON(w, status, b.Bytes())
}

func (s *Server) show(w http.ResponseWriter, m *match, op *specOp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if row, ok := s.lookupLocked(w, m); ok {
		writeRow(w, http.StatusOK, m.res, row, op.show)
	}
}

func (s *Server) destroy(w http.ResponseWriter, m *match, op *specOp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	row, ok := s.lookupLocked(w, m)
	if !ok {
		return
	}
	key := m.keys[len(m.keys)-1]
	scope := scopeOf(m.parentKeys())
	if m.res.Name == "vault-account" && row["personal"] == true {
		simutil.WriteMessage(w, http.StatusForbidden, "Personal accounts cannot be deleted.")
		return
	}
	msg := ""
	if m.res.BeforeDelete != nil {
		msg = m.res.BeforeDelete(row)
	}
	if msg == "" {
		msg = s.db.blockers(m.res, scope, key)
	}
	if msg != "" {
		var errs errorBag
		errs.add(m.res.key(), msg)
		writeValidation(w, &errs)
		return
	}
	s.db.delete(m.res, scope, key)
	w.WriteHeader(op.success)
}

// readBody decodes a JSON object body, writing a 400 (or 413) when it is not
// one. An empty body counts as an empty object.
func readBody(w http.ResponseWriter, r *http.Request) (map[string]any, []byte, bool) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			simutil.WriteMessage(w, http.StatusRequestEntityTooLarge, "The request body is too large.")
		} else {
			simutil.WriteMessage(w, http.StatusBadRequest, "The request body could not be read.")
		}
		return nil, nil, false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]any{}, []byte("{}"), true
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		simutil.WriteMessage(w, http.StatusBadRequest, "The request body is not valid JSON.")
		return nil, nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		simutil.WriteMessage(w, http.StatusBadRequest, "The request body is not valid JSON.")
		return nil, nil, false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		simutil.WriteMessage(w, http.StatusBadRequest, "The request body must be a JSON object.")
		return nil, nil, false
	}
	return obj, data, true
}

// checkUnknownFields answers 401 when the body names fields the resource
// does not have ("Common HTTP Status Codes", as for query parameters).
func checkUnknownFields(w http.ResponseWriter, res *resource, body map[string]any) bool {
	var unknown []string
	for k := range body {
		if res.field(k) == nil {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return true
	}
	slices.Sort(unknown)
	simutil.WriteMessage(w, http.StatusUnauthorized,
		"Unrecognized field(s) in the request body: "+strings.Join(unknown, ", ")+".")
	return false
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, m *match, op *specOp) {
	s.mu.Lock()
	parents := m.parentKeys()
	missing, ok := s.db.parentsExist(m.res, parents)
	s.mu.Unlock()
	if !ok {
		notFound(w, missing.Label)
		return
	}
	body, raw, ok := readBody(w, r)
	if !ok || !checkUnknownFields(w, m.res, body) {
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if missing, ok := s.db.parentsExist(m.res, parents); !ok {
		notFound(w, missing.Label)
		return
	}
	scope := scopeOf(parents)
	var errs errorBag
	vals := s.validateLocked(m.res, scope, body, nil, 0, &errs)
	if errs.empty() {
		checkSchema(op.body, raw, &errs)
	}
	s.fillFromParent(m.res, parents, body, vals, &errs)
	if !errs.empty() {
		writeValidation(w, &errs)
		return
	}
	row := s.newRowLocked(m.res, scope, vals)
	if hook := afterCreate()[m.res.Name]; hook != nil {
		hook(row, s.now())
	}
	key := s.db.insert(m.res, scope, row)
	loc := requestURL(r)
	loc.Path = ConfigBase + m.res.itemPath(parents, key)
	loc.RawPath, loc.RawQuery, loc.Fragment = "", "", ""
	w.Header().Set("Location", loc.String())
	writeRow(w, op.success, m.res, row, op.show)
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, m *match, op *specOp) {
	s.mu.Lock()
	_, ok := s.lookupLocked(w, m)
	s.mu.Unlock()
	if !ok {
		return
	}
	body, raw, ok := readBody(w, r)
	if !ok || !checkUnknownFields(w, m.res, body) {
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	row, ok := s.lookupLocked(w, m)
	if !ok {
		return
	}
	scope := scopeOf(m.parentKeys())
	key := m.keys[len(m.keys)-1]
	var errs errorBag
	vals := s.validateLocked(m.res, scope, body, row, key, &errs)
	if errs.empty() {
		checkSchema(op.bodyPatch, raw, &errs)
	}
	s.fillFromParent(m.res, m.parentKeys(), body, vals, &errs)
	if !errs.empty() {
		writeValidation(w, &errs)
		return
	}
	for k, v := range vals {
		if f := m.res.field(k); f != nil {
			row[k] = v // write-only values are kept (never shown) for check-out
		}
	}
	writeRow(w, op.success, m.res, row, op.show)
}

// validateLocked checks a create (current == nil) or update body against the
// resource declaration and returns the converted values of the fields given.
func (s *Server) validateLocked(res *resource, scope string, body map[string]any, current Row, key int64, errs *errorBag) Row {
	vals := Row{}
	creating := current == nil
	for i := range res.Fields {
		f := &res.Fields[i]
		raw, present := body[f.Name]
		a := attr(f.Name)
		if !present {
			if creating && f.Required {
				errs.add(f.Name, "The "+a+" field is required.")
			}
			continue
		}
		if f.ReadOnly {
			errs.add(f.Name, "The "+a+" field is read-only and cannot be set.")
			continue
		}
		if f.Required && isEmpty(raw) {
			errs.add(f.Name, "The "+a+" field is required.")
			continue
		}
		var v any
		if raw == nil {
			if !f.Nullable {
				errs.add(f.Name, typeMessage(f, f.Name))
				continue
			}
		} else {
			c, ok := convert(f, f.Name, raw, errs)
			if !ok {
				continue
			}
			v = c
		}
		if f.DeriveFrom != "" && v == "" {
			continue // generated below from the source field
		}
		if !creating && f.Immutable && !sameValue(current[f.Name], v) {
			errs.add(f.Name, "The "+a+" cannot be changed.")
			continue
		}
		if ref := refFor(f, body, current); ref != "" && v != nil && v != int64(0) {
			if _, ok := s.db.get(s.reg.byName[ref], "", v.(int64)); !ok {
				errs.add(f.Name, "The selected "+a+" is invalid.")
				continue
			}
		}
		if f.Unique && v != nil && s.takenLocked(res, scope, f.Name, v, current, key) {
			errs.add(f.Name, "The "+a+" has already been taken.")
			continue
		}
		if creating && f.IgnoreOnCreate {
			continue
		}
		vals[f.Name] = v
	}
	// Generate missing or emptied code names from their source field.
	for i := range res.Fields {
		f := &res.Fields[i]
		if f.DeriveFrom == "" {
			continue
		}
		raw, present := body[f.Name]
		if present && raw != "" {
			continue
		}
		if !creating && !present {
			continue
		}
		src, _ := vals[f.DeriveFrom].(string)
		if src == "" && current != nil {
			src, _ = current[f.DeriveFrom].(string)
		}
		if src == "" {
			continue
		}
		vals[f.Name] = s.uniqueCodeLocked(res, scope, f, deriveCodeName(src), current, key)
	}
	return vals
}

// takenLocked reports whether another row of the collection holds v in field.
func (s *Server) takenLocked(res *resource, scope, field string, v any, current Row, key int64) bool {
	t := s.db.table(res, scope, false)
	if t == nil {
		return false
	}
	for k, row := range t.rows {
		if current != nil && k == key {
			continue
		}
		if sameValue(row[field], v) {
			return true
		}
	}
	return false
}

// uniqueCodeLocked appends _2, _3, ... to base until no other row uses it.
func (s *Server) uniqueCodeLocked(res *resource, scope string, f *Field, base string, current Row, key int64) string {
	code := base
	for n := 2; s.takenLocked(res, scope, f.Name, code, current, key); n++ {
		suffix := "_" + strconv.Itoa(n)
		trimmed := base
		if max := f.MaxLength; max > 0 && len(trimmed)+len(suffix) > max {
			trimmed = trimmed[:max-len(suffix)]
		}
		code = trimmed + suffix
	}
	return code
}

// newRowLocked builds a full row from validated values plus defaults.
func (s *Server) newRowLocked(res *resource, scope string, vals Row) Row {
	row := Row{}
	now := s.now().UTC().Truncate(1e9)
	for i := range res.Fields {
		f := &res.Fields[i]
		if v, ok := vals[f.Name]; ok {
			row[f.Name] = v // write-only values are kept but never encoded
			continue
		}
		if f.WriteOnly {
			continue
		}
		switch {
		case f.FromParent && scope != "":
			// The enclosing item's key, from the scope "…/parent".
			id, _ := parseID(scope[strings.LastIndex(scope, "/")+1:])
			row[f.Name] = id
		case f.AutoNow:
			row[f.Name] = now
		case f.Default != nil:
			row[f.Name] = cloneValue(f.Default)
		case f.ReadOnly:
			row[f.Name] = synthField(f, s.now())
		default:
			row[f.Name] = zeroValue(f)
		}
	}
	for i := range res.Fields {
		f := &res.Fields[i]
		if f.DeriveFrom != "" && row[f.Name] == nil {
			if src, _ := row[f.DeriveFrom].(string); src != "" {
				row[f.Name] = s.uniqueCodeLocked(res, scope, f, deriveCodeName(src), nil, 0)
			}
		}
	}
	return row
}

// admit authenticates the request's bearer token and applies the rate limit,
// writing the 401 or 429 answer itself when the request may not proceed.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (string, bool) {
	client, ok := s.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", "Bearer")
		simutil.WriteJSON(w, http.StatusUnauthorized, accessDenied)
		return "", false
	}
	if s.limiter.Enabled() {
		d := s.limiter.Take(client)
		if d.Limit > 0 {
			w.Header().Set("X-RateLimit-Limit", strconv.Itoa(d.Limit))
			w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(d.Remaining))
		}
		if !d.Allowed {
			w.Header().Set("Retry-After", strconv.Itoa(d.RetryAfterSeconds()))
			simutil.WriteMessage(w, http.StatusTooManyRequests, "Too Many Attempts.")
			return "", false
		}
	}
	return client, true
}
