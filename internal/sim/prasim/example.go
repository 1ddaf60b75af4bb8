package prasim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// ExampleRequest returns a request the simulator accepts for the operation
// METHOD pathTemplate of the embedded document (pathTemplate as the document
// writes it, e.g. "/jump-group/{id}"): a concrete path below ConfigBase whose
// parameters name existing items, and a valid JSON body (nil when the
// operation takes none; an update changes at least one property). Tests and
// demonstrations use it to drive every operation without knowing each one.
//
// It may change the simulator to make the request valid: a delete of an item
// that can be created addresses an item it creates first (so references from
// the sample data do not get in the way), a Vault check-in an account it
// checks out first, the removal of a Jump Item or Jump Group from a Vault
// association one it adds first. Paths into the sample data need a seeded
// simulator (Options.Seed).
func (s *Server) ExampleRequest(method, pathTemplate string) (path string, body map[string]any, err error) {
	op := s.model.find(method, pathTemplate)
	if op == nil {
		return "", nil, fmt.Errorf("prasim: %s %s is not an operation of the document", method, pathTemplate)
	}
	x := &exampler{s: s}
	if path, err = x.path(op); err != nil {
		return "", nil, err
	}
	switch {
	case op.kind == kindDelete && op.res.Ops.Has(OpCreate):
		if path, err = x.fresh(op, path); err != nil {
			return "", nil, err
		}
	case op.Path == "/vault/account/{id}/check-in":
		rm, _ := s.model.matchRoute(path)
		id := rm.ids[len(rm.ids)-1]
		s.mu.Lock()
		if s.checkouts == nil {
			s.checkouts = map[int64]bool{}
		}
		s.checkouts[id] = true
		s.mu.Unlock()
	}
	if body, err = x.body(op, scopeFor(op, path)); err != nil {
		return "", nil, err
	}
	if add := s.model.find(http.MethodPost, op.Path); op.Method == http.MethodDelete && body != nil && add != nil && add.kind == kindCustom {
		// Removing one Jump Item or Jump Group from an association: add it first.
		if _, err := x.serve(add, path, body); err != nil {
			return "", nil, fmt.Errorf("prasim: adding what %s %s removes: %w", op.Method, op.Path, err)
		}
	}
	return path, body, nil
}

// find returns the operation METHOD template, nil when there is none.
func (m *apiModel) find(method, template string) *specOp {
	for _, op := range m.ops {
		if op.Path == template && op.Method == method {
			return op
		}
	}
	return nil
}

// exampler builds valid requests against the simulator's current data.
type exampler struct {
	s *Server
}

// firstKey returns the key of the first item of res in scope.
func (x *exampler) firstKey(res *resource, scope string) (int64, bool) {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	t := x.s.db.table(res, scope, false)
	if t == nil || len(t.order) == 0 {
		return 0, false
	}
	return t.order[0], true
}

// path fills the parameters of op's path with existing items.
func (x *exampler) path(op *specOp) (string, error) {
	segs := op.route.segs
	var keys []int64
	var out []string
	pi := 0
	for i, seg := range segs {
		if seg != "" {
			out = append(out, seg)
			continue
		}
		p := op.route.params[pi]
		pi++
		if !isIntegerParam(p) {
			v, err := x.stringParam(p)
			if err != nil {
				return "", err
			}
			out = append(out, v)
			continue
		}
		coll := x.s.model.collByNorm["/"+strings.Join(normSegs(segs[:i]), "/")]
		var key int64
		switch {
		case coll != nil:
			k, ok := x.firstKey(coll, scopeOf(keys))
			if !ok {
				return "", fmt.Errorf("prasim: %s %s: no %s to address", op.Method, op.Path, coll.Label)
			}
			key = k
		case p.Name == "user_id": // /jump-approval/{user_id}: the requester
			x.s.mu.Lock()
			var ok bool
			if len(x.s.approvals) > 0 {
				key, ok = x.s.approvals[0]["created_by_user_id"].(int64)
			}
			x.s.mu.Unlock()
			if !ok {
				return "", fmt.Errorf("prasim: %s %s: no Jump approval request to address", op.Method, op.Path)
			}
		default:
			key = 1
		}
		keys = append(keys, key)
		out = append(out, strconv.FormatInt(key, 10))
	}
	return "/" + strings.Join(out, "/"), nil
}

func (x *exampler) stringParam(p *openapi3.Parameter) (string, error) {
	s := p.Schema.Value
	if len(s.Enum) > 0 {
		return s.Enum[0].(string), nil
	}
	if p.Name == "installer_id" {
		res := x.s.reg.byName["jump-client-installer"]
		k, ok := x.firstKey(res, "")
		if !ok {
			return "", fmt.Errorf("prasim: no Jump Client installer to address")
		}
		x.s.mu.Lock()
		defer x.s.mu.Unlock()
		row, _ := x.s.db.get(res, "", k)
		return row["installer_id"].(string), nil
	}
	return "x", nil
}

// fresh creates an item in the collection of the item path (an item path of
// op's resource) and returns the new item's path.
func (x *exampler) fresh(op *specOp, path string) (string, error) {
	cop := x.s.model.find(http.MethodPost, op.res.Path)
	if cop == nil {
		return "", fmt.Errorf("prasim: %s has no create operation", op.res.Path)
	}
	collPath := path[:strings.LastIndex(path, "/")]
	body, err := x.body(cop, scopeFor(op, path))
	if err != nil {
		return "", err
	}
	w, err := x.serve(cop, collPath, body)
	if err != nil {
		return "", fmt.Errorf("prasim: creating an item to delete: %w", err)
	}
	var created map[string]any
	if err := json.Unmarshal(w.body.Bytes(), &created); err != nil {
		return "", fmt.Errorf("prasim: creating an item to delete, POST %s: %v", collPath, err)
	}
	return collPath + "/" + fmt.Sprint(created[op.res.key()]), nil
}

// serve has the simulator answer a create or an action sent to itself (no
// token, no rate limit), and fails unless the answer is op's documented
// success.
func (x *exampler) serve(op *specOp, path string, body map[string]any) (*captureWriter, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	rm, ok := x.s.model.matchRoute(path)
	if !ok || rm.rt != op.route {
		return nil, fmt.Errorf("%s is not a path of %s", path, op.Path)
	}
	r, err := http.NewRequest(op.Method, "http://sim"+ConfigBase+path, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	w := &captureWriter{header: http.Header{}}
	switch op.kind {
	case kindCreate:
		x.s.create(w, r, &match{res: op.res, keys: rm.ids}, op)
	case kindCustom:
		x.s.custom(w, r, op, rm, nil)
	default:
		return nil, fmt.Errorf("%s %s cannot be prepared", op.Method, op.Path)
	}
	if w.status != op.success {
		return nil, fmt.Errorf("%s %s %s: status %d: %s", op.Method, path, raw, w.status, w.body.Bytes())
	}
	return w, nil
}

// captureWriter is the http.ResponseWriter of requests the simulator makes
// to itself.
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *captureWriter) Header() http.Header { return w.header }

func (w *captureWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *captureWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// body builds a valid request body for op from its schema.
func (x *exampler) body(op *specOp, scope string) (map[string]any, error) {
	if op.body == nil {
		if op.kind == kindCreate && op.res.ClientKey {
			// The document gives no body; the member to add is the key.
			k, err := x.unusedKey(op.res, scope)
			if err != nil {
				return nil, err
			}
			return map[string]any{op.res.key(): k}, nil
		}
		return nil, nil
	}
	v, err := x.value(op.body, "", op, scope, op.kind != kindUpdate && op.Method != http.MethodPatch)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	return m, nil
}

// value is an example value of schema s for the property name ("" at the top of a body) of op's request: the
// first alternative, the merged parts, an object, a reference to an existing row, or a scalar.
func (x *exampler) value(s *openapi3.Schema, name string, op *specOp, scope string, full bool) (any, error) {
	if len(s.AnyOf) > 0 {
		return x.value(s.AnyOf[0].Value, name, op, scope, full)
	}
	if len(s.AllOf) > 0 {
		out := map[string]any{}
		for _, r := range s.AllOf {
			v, err := x.value(r.Value, name, op, scope, full)
			if err != nil {
				return nil, err
			}
			if m, ok := v.(map[string]any); ok {
				for k, v := range m {
					out[k] = v
				}
			}
		}
		return out, nil
	}
	if len(s.Properties) > 0 || (s.Type != nil && s.Type.Is("object")) {
		return x.object(s, name, op, scope, full)
	}
	if target, ok := refTargets()[name]; ok && s.Type != nil && s.Type.Is("integer") {
		if res := x.s.reg.byName[target]; res != nil {
			if k, ok := x.firstKey(res, ""); ok {
				return k, nil
			}
		}
	}
	if s.Default != nil && s.VisitJSON(s.Default) == nil {
		return s.Default, nil
	}
	if len(s.Enum) > 0 {
		return s.Enum[0], nil
	}
	return x.scalar(s, name, op, scope, full)
}

// object is an example object: its required properties (all of a custom operation's, and the naming ones of a full
// body), never a key or immutable field of an update; a PATCH changes at least one property, and a create gives a
// client-chosen key that is not used yet.
func (x *exampler) object(s *openapi3.Schema, name string, op *specOp, scope string, full bool) (any, error) {
	out := map[string]any{}
	settable := func(n string) bool {
		f := exampleField(op, n)
		// Keys are in the path; immutable fields keep their value.
		return !(op.kind == kindUpdate && (n == op.res.key() || f != nil && (f.FromParent || f.Immutable)))
	}
	var change string // a PATCH changes at least one property
	for _, n := range propertyOrder(s) {
		ps := s.Properties[n].Value
		if !settable(n) {
			continue
		}
		required := slices.Contains(s.Required, n)
		if ps.ReadOnly && !required {
			continue
		}
		if change == "" && !ps.ReadOnly {
			change = n
		}
		if !required && op.kind != kindCustom && !(full && slices.Contains([]string{"name", "username", "hostname", "protocol"}, n)) {
			continue
		}
		v, err := x.value(ps, n, op, scope, full)
		if err != nil {
			return nil, err
		}
		out[n] = v
	}
	if len(out) == 0 && name == "" && op.Method == http.MethodPatch && change != "" {
		v, err := x.value(s.Properties[change].Value, change, op, scope, full)
		if err != nil {
			return nil, err
		}
		out[change] = v
	}
	if op.res != nil && op.res.ClientKey && op.kind == kindCreate {
		k, err := x.unusedKey(op.res, scope)
		if err != nil {
			return nil, err
		}
		out[op.res.key()] = k
	}
	return out, nil
}

// scalar is an example of a typed value: the minimum (or 1) for an integer, true, one element for a required
// array, a fixed date-time or a numbered string within the length limit.
func (x *exampler) scalar(s *openapi3.Schema, name string, op *specOp, scope string, full bool) (any, error) {
	switch {
	case s.Type == nil:
		return nil, nil
	case s.Type.Is("integer"):
		if s.Min != nil && *s.Min > 0 {
			return int64(*s.Min), nil
		}
		return int64(1), nil
	case s.Type.Is("boolean"):
		return true, nil
	case s.Type.Is("array"):
		if (s.MinItems > 0 || bodyRequires(op, name)) && s.Items != nil {
			v, err := x.value(s.Items.Value, name, op, scope, full)
			if err != nil {
				return nil, err
			}
			return []any{v}, nil
		}
		return []any{}, nil
	case s.Type.Is("string"):
		if s.Format == "date-time" {
			return "2030-01-02T03:04:05Z", nil
		}
		n := x.s.exampleSeq.Add(1)
		v := fmt.Sprintf("%s-%d", strings.ReplaceAll(name, "_", "-"), n)
		if s.Pattern != "" {
			v = fmt.Sprintf("sample_%d", n)
		}
		if s.MaxLength != nil && uint64(len(v)) > *s.MaxLength {
			v = v[:*s.MaxLength]
		}
		return v, nil
	}
	return nil, nil
}

func exampleField(op *specOp, name string) *Field {
	if op.res == nil {
		return nil
	}
	return op.res.field(name)
}

// bodyRequires reports whether a top-level body property is required.
func bodyRequires(op *specOp, name string) bool {
	b := op.body
	if len(b.AnyOf) > 0 {
		b = b.AnyOf[0].Value
	}
	return slices.Contains(b.Required, name)
}

// unusedKey picks an item of the key's target collection not yet in scope.
func (x *exampler) unusedKey(res *resource, scope string) (int64, error) {
	target := x.s.reg.byName[res.field(res.key()).Ref]
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if t := x.s.db.table(target, "", false); t != nil {
		for _, k := range t.order {
			if _, used := x.s.db.get(res, scope, k); !used {
				return k, nil
			}
		}
	}
	return 0, fmt.Errorf("prasim: no unused %s for %s", target.Label, res.Label)
}

// scopeFor is the collection scope a CRUD path addresses.
func scopeFor(op *specOp, path string) string {
	segs := splitPath(path)
	var keys []int64
	for i, seg := range segs {
		if i < len(op.route.segs) && op.route.segs[i] == "" {
			if id, ok := parseID(seg); ok {
				keys = append(keys, id)
			}
		}
	}
	if op.kind == kindGet || op.kind == kindUpdate || op.kind == kindDelete {
		keys = keys[:len(keys)-1]
	}
	return scopeOf(keys)
}
