package prasim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestDocumentOperations checks the embedded document against the vendor's
// operation count and the guide's operation list (testdata copy): all 222
// operations of version 1.10, including the guide's 154.
func TestDocumentOperations(t *testing.T) {
	ops := Operations()
	if len(ops) != 222 {
		t.Fatalf("%d operations in the embedded document, want 222", len(ops))
	}
	f, err := os.Open("testdata/pra-config-operations.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		n++
		if _, found := slices.BinarySearch(ops, line); !found {
			t.Errorf("guide operation %q is not in the embedded document", line)
		}
	}
	if n != 154 {
		t.Fatalf("%d guide operations, want 154", n)
	}
}

// opRunner builds valid requests for the document's operations against a
// seeded simulator.
type opRunner struct {
	e   *env
	seq int
}

// firstKey returns the key of the first item of res in scope.
func (o *opRunner) firstKey(res *resource, scope string) (int64, bool) {
	o.e.sim.mu.Lock()
	defer o.e.sim.mu.Unlock()
	t := o.e.sim.db.table(res, scope, false)
	if t == nil || len(t.order) == 0 {
		return 0, false
	}
	return t.order[0], true
}

// path fills the parameters of op's path with existing items.
func (o *opRunner) path(op *specOp) string {
	o.e.t.Helper()
	m, _ := loadModel()
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
			out = append(out, o.stringParam(p))
			continue
		}
		coll := m.collByNorm["/"+strings.Join(normSegs(segs[:i]), "/")]
		var key int64
		switch {
		case coll != nil:
			k, ok := o.firstKey(coll, scopeOf(keys))
			if !ok {
				o.e.t.Fatalf("%s %s: no %s to address", op.Method, op.Path, coll.Label)
			}
			key = k
		case p.Name == "user_id": // /jump-approval/{user_id}: the requester
			key = o.e.sim.approvals[0]["created_by_user_id"].(int64)
		default:
			key = 1
		}
		keys = append(keys, key)
		out = append(out, strconv.FormatInt(key, 10))
	}
	return "/" + strings.Join(out, "/")
}

func (o *opRunner) stringParam(p *openapi3.Parameter) string {
	s := p.Schema.Value
	if len(s.Enum) > 0 {
		return s.Enum[0].(string)
	}
	if p.Name == "installer_id" {
		res := o.e.sim.reg.byName["jump-client-installer"]
		k, _ := o.firstKey(res, "")
		o.e.sim.mu.Lock()
		defer o.e.sim.mu.Unlock()
		row, _ := o.e.sim.db.get(res, "", k)
		return row["installer_id"].(string)
	}
	return "x"
}

// body builds a valid request body for op from its schema.
func (o *opRunner) body(op *specOp, scope string) map[string]any {
	if op.body == nil {
		if op.kind == kindCreate && op.res.ClientKey {
			// The document gives no body; the member to add is the key.
			return map[string]any{op.res.key(): o.unusedKey(op.res, scope)}
		}
		return nil
	}
	v, _ := o.value(op.body, "", op, scope, op.kind != kindUpdate && op.Method != http.MethodPatch).(map[string]any)
	return v
}

func (o *opRunner) value(s *openapi3.Schema, name string, op *specOp, scope string, full bool) any {
	if len(s.AnyOf) > 0 {
		return o.value(s.AnyOf[0].Value, name, op, scope, full)
	}
	if len(s.AllOf) > 0 {
		out := map[string]any{}
		for _, r := range s.AllOf {
			if m, ok := o.value(r.Value, name, op, scope, full).(map[string]any); ok {
				for k, v := range m {
					out[k] = v
				}
			}
		}
		return out
	}
	if len(s.Properties) > 0 || (s.Type != nil && s.Type.Is("object")) {
		out := map[string]any{}
		for n, p := range s.Properties {
			ps := p.Value
			if f := fieldOf(op, n); op.kind == kindUpdate && (n == op.res.key() || f != nil && (f.FromParent || f.Immutable)) {
				continue // keys are in the path; immutable fields keep their value
			}
			required := slices.Contains(s.Required, n)
			if ps.ReadOnly && !required {
				continue
			}
			if !required && op.kind != kindCustom && !(full && slices.Contains([]string{"name", "username", "hostname", "protocol"}, n)) {
				continue
			}
			out[n] = o.value(ps, n, op, scope, full)
		}
		if op.res != nil && op.res.ClientKey && op.kind == kindCreate {
			out[op.res.key()] = o.unusedKey(op.res, scope)
		}
		return out
	}
	if target, ok := refTargets[name]; ok && s.Type != nil && s.Type.Is("integer") {
		if res := o.e.sim.reg.byName[target]; res != nil {
			if k, ok := o.firstKey(res, ""); ok {
				return k
			}
		}
	}
	if s.Default != nil && s.VisitJSON(s.Default) == nil {
		return s.Default
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	switch {
	case s.Type == nil:
		return nil
	case s.Type.Is("integer"):
		if s.Min != nil && *s.Min > 0 {
			return int64(*s.Min)
		}
		return int64(1)
	case s.Type.Is("boolean"):
		return true
	case s.Type.Is("array"):
		if (s.MinItems > 0 || required(op, name)) && s.Items != nil {
			return []any{o.value(s.Items.Value, name, op, scope, full)}
		}
		return []any{}
	case s.Type.Is("string"):
		if s.Format == "date-time" {
			return "2030-01-02T03:04:05Z"
		}
		o.seq++
		v := fmt.Sprintf("%s-%d", strings.ReplaceAll(name, "_", "-"), o.seq)
		if s.Pattern != "" {
			v = fmt.Sprintf("sample_%d", o.seq)
		}
		if s.MaxLength != nil && uint64(len(v)) > *s.MaxLength {
			v = v[:*s.MaxLength]
		}
		return v
	}
	return nil
}

func fieldOf(op *specOp, name string) *Field {
	if op.res == nil {
		return nil
	}
	return op.res.field(name)
}

// required reports whether a top-level body property is required.
func required(op *specOp, name string) bool {
	b := op.body
	if len(b.AnyOf) > 0 {
		b = b.AnyOf[0].Value
	}
	return slices.Contains(b.Required, name)
}

// unusedKey picks an item of the key's target collection not yet in scope.
func (o *opRunner) unusedKey(res *resource, scope string) int64 {
	target := o.e.sim.reg.byName[res.field(res.key()).Ref]
	o.e.sim.mu.Lock()
	defer o.e.sim.mu.Unlock()
	for _, k := range o.e.sim.db.table(target, "", false).order {
		if _, used := o.e.sim.db.get(res, scope, k); !used {
			return k
		}
	}
	o.e.t.Fatalf("no unused %s for %s", target.Label, res.Label)
	return 0
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

// opOrder runs reads first, then creates, updates and actions (check-out
// before check-in, associations before their removal), deletes last.
func opOrder(op *specOp) int {
	switch {
	case op.Method == http.MethodGet:
		return 0
	case op.kind == kindCreate:
		return 1
	case op.Method == http.MethodPatch:
		return 2
	case strings.HasSuffix(op.Path, "/check-out"):
		return 3
	case strings.HasSuffix(op.Path, "/check-in"):
		return 4
	case op.Method == http.MethodDelete:
		return 9
	}
	return 5
}

func sortedOps() []*specOp {
	m, _ := loadModel()
	ops := slices.Clone(m.ops)
	sort.SliceStable(ops, func(i, j int) bool {
		a, b := opOrder(ops[i]), opOrder(ops[j])
		if a == 9 && b == 9 {
			return len(ops[i].Path) > len(ops[j].Path) // nested first
		}
		return a < b
	})
	return ops
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEveryOperationServed sends a valid request to each of the 222
// operations of the document and expects a documented success status, a
// JSON body shaped like the documented response schema, or the documented
// file type.
func TestEveryOperationServed(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	o := &opRunner{e: e}
	served := 0
	for _, op := range sortedOps() {
		path := o.path(op)
		if op.kind == kindDelete && op.res.Ops.Has(OpCreate) {
			// Delete a fresh item, so references from the sample data do
			// not get in the way.
			post := op.res.Path
			cop := findOp(op.res.Path, "POST")
			collPath := path[:strings.LastIndex(path, "/")]
			body := o.body(cop, scopeFor(op, path))
			r := e.call("POST", collPath, marshal(t, body))
			if r.status != cop.success {
				t.Fatalf("setup POST %s (%s): status %d body %s", collPath, post, r.status, r.body)
			}
			var created map[string]any
			r.decode(t, &created)
			path = collPath + "/" + fmt.Sprint(created[op.res.key()])
		}
		var body any
		if b := o.body(op, scopeFor(op, path)); b != nil {
			if op.body != nil {
				if err := op.body.VisitJSON(roundTrip(t, b)); err != nil && op.Method != http.MethodPatch {
					t.Fatalf("%s %s: generated body %v is invalid: %v", op.Method, op.Path, b, err)
				}
			}
			body = b
		}
		r := e.call(op.Method, path, marshal(t, body))
		if !slices.Contains(op.statuses, r.status) || r.status/100 != 2 {
			t.Errorf("%s %s → %s %s: status %d (documented %v); body %s", op.Method, op.Path, path, marshal(t, body), r.status, op.statuses, r.body)
			continue
		}
		served++
		switch {
		case op.kind == kindDownload:
			if ct := r.header.Get("Content-Type"); ct != op.successType {
				t.Errorf("%s: Content-Type %q, want %q", op.Path, ct, op.successType)
			}
			if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="`) {
				t.Errorf("%s: Content-Disposition %q", op.Path, cd)
			}
			if r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) || len(r.body) == 0 {
				t.Errorf("%s: Content-Length %q for %d bytes", op.Path, r.header.Get("Content-Length"), len(r.body))
			}
		case op.successSchema != nil && len(r.body) > 0:
			var v any
			if err := json.Unmarshal(r.body, &v); err != nil {
				t.Errorf("%s %s: body is not JSON: %s", op.Method, op.Path, r.body)
				continue
			}
			checkShape(t, op, op.successSchema, v)
		}
	}
	if served != 222 {
		t.Fatalf("%d of 222 operations answered with a documented success", served)
	}
}

func findOp(path, method string) *specOp {
	m, _ := loadModel()
	for _, op := range m.ops {
		if op.Path == path && op.Method == method {
			return op
		}
	}
	return nil
}

func roundTrip(t *testing.T, v any) any {
	t.Helper()
	var out any
	if err := json.Unmarshal([]byte(marshal(t, v)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkShape checks that a response carries the documented properties of
// its schema (for lists, of the item schema) and nothing undocumented.
func checkShape(t *testing.T, op *specOp, s *openapi3.Schema, v any) {
	t.Helper()
	if list, ok := v.([]any); ok {
		if s.Type != nil && s.Type.Is("array") && s.Items != nil {
			s = s.Items.Value
		}
		for _, e := range list {
			checkShape(t, op, s, e)
		}
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	allowed := schemaFields(s)
	if allowed == nil {
		return
	}
	if op.res != nil {
		allowed[op.res.key()] = true // member lists are keyed by a field the schema may lack
	}
	for k := range obj {
		if !allowed[k] {
			t.Errorf("%s %s: undocumented field %q in %v", op.Method, op.Path, k, obj)
		}
	}
	for n, p := range s.Properties {
		if p.Value.WriteOnly {
			if _, leaked := obj[n]; leaked {
				t.Errorf("%s %s: write-only field %q returned", op.Method, op.Path, n)
			}
		}
	}
}

// TestEveryBodyValidated sends, to every operation that takes a body (and
// every create and update), one body with an undocumented field (401, as the
// guide states) and one with a wrongly typed field (422 naming the field);
// and to every GET an undocumented query parameter (401).
func TestEveryBodyValidated(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	o := &opRunner{e: e}
	checked := 0
	for _, op := range sortedOps() {
		if op.Method == http.MethodGet {
			r := e.call("GET", o.path(op)+"?no_such_param=1", "")
			if r.status != http.StatusUnauthorized || !strings.Contains(r.message(t), "no_such_param") {
				t.Errorf("GET %s with an unknown parameter: status %d body %s", op.Path, r.status, r.body)
			}
		}
		if op.body == nil && op.kind != kindCreate && op.kind != kindUpdate {
			continue
		}
		path := o.path(op)
		good := o.body(op, scopeFor(op, path))
		if good == nil {
			good = map[string]any{}
		}
		bad := map[string]any{"no_such_field": 1}
		for k, v := range good {
			bad[k] = v
		}
		r := e.call(op.Method, path, marshal(t, bad))
		if r.status != http.StatusUnauthorized || !strings.Contains(r.message(t), "no_such_field") {
			t.Errorf("%s %s with an unknown field: status %d body %s", op.Method, op.Path, r.status, r.body)
		}
		field, wrong := wrongTyped(op)
		if field == "" {
			t.Errorf("%s %s: no property to mistype", op.Method, op.Path)
			continue
		}
		bad = map[string]any{field: wrong}
		for k, v := range good {
			if k != field {
				bad[k] = v
			}
		}
		r = e.call(op.Method, path, marshal(t, bad))
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s %s with %s=%#v: status %d body %s", op.Method, op.Path, field, wrong, r.status, r.body)
			continue
		}
		errs := r.errorsBag(t)
		if len(errs[field]) == 0 {
			t.Errorf("%s %s with %s=%#v: errors %v do not name the field", op.Method, op.Path, field, wrong, errs)
		}
		checked++
	}
	if checked < 60 {
		t.Fatalf("only %d operations with a body checked", checked)
	}
}

// wrongTyped picks a writable property of an operation's body (through
// anyOf/allOf; for collections also the collection's writable fields, where
// the document's body schema marks everything read-only) and a value of the
// wrong JSON type for it.
func wrongTyped(op *specOp) (string, any) {
	bad := func(t string) any {
		switch t {
		case "integer":
			return "12"
		case "string":
			return 12
		case "boolean":
			return "yes"
		case "array", "object":
			return "x"
		}
		return nil
	}
	for _, obj := range objectSchemas(op.body, nil) {
		for _, n := range propertyOrder(obj) {
			p := obj.Properties[n].Value
			if (p.ReadOnly && !slices.Contains(obj.Required, n)) || p.Type == nil || len(*p.Type) == 0 {
				continue
			}
			if v := bad((*p.Type)[0]); v != nil {
				return n, v
			}
		}
	}
	if op.res != nil {
		for _, f := range op.res.Fields {
			if f.ReadOnly || f.FromParent {
				continue
			}
			switch f.Type {
			case Integer:
				return f.Name, "12"
			case String, Enum, DateTime:
				return f.Name, 12
			case Boolean:
				return f.Name, "yes"
			}
		}
	}
	return "", nil
}
