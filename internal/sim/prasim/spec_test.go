package prasim

import (
	"bufio"
	"encoding/json"
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
	served := 0
	for _, op := range sortedOps() {
		path, b, err := e.sim.ExampleRequest(op.Method, op.Path)
		if err != nil {
			t.Fatal(err)
		}
		var body any
		if b != nil {
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
	checked := 0
	for _, op := range sortedOps() {
		if op.Method != http.MethodGet && op.body == nil && op.kind != kindCreate && op.kind != kindUpdate {
			continue
		}
		path, good, err := e.sim.ExampleRequest(op.Method, op.Path)
		if err != nil {
			t.Fatal(err)
		}
		if op.Method == http.MethodGet {
			r := e.call("GET", path+"?no_such_param=1", "")
			if r.status != http.StatusUnauthorized || !strings.Contains(r.message(t), "no_such_param") {
				t.Errorf("GET %s with an unknown parameter: status %d body %s", op.Path, r.status, r.body)
			}
		}
		if op.body == nil && op.kind != kindCreate && op.kind != kindUpdate {
			continue
		}
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

// TestExampleRequestStandsAlone proves ExampleRequest needs no earlier
// request: each operation, on a fresh seeded simulator, is answered with a
// documented success (a check-in with nothing checked out, a delete of an
// item other data refers to, would not be).
func TestExampleRequestStandsAlone(t *testing.T) {
	m, _ := loadModel()
	for _, op := range m.ops {
		e := newEnv(t, Options{Seed: true})
		path, body, err := e.sim.ExampleRequest(op.Method, op.Path)
		if err != nil {
			t.Errorf("%s %s: %v", op.Method, op.Path, err)
			continue
		}
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "{}") {
			t.Errorf("%s %s: path %q is not concrete", op.Method, op.Path, path)
		}
		var raw string
		if body != nil {
			raw = marshal(t, body)
		}
		r := e.call(op.Method, path, raw)
		if !slices.Contains(op.statuses, r.status) || r.status/100 != 2 {
			t.Errorf("%s %s → %s %s: status %d; body %s", op.Method, op.Path, path, raw, r.status, r.body)
		}
	}
	if _, _, err := New(Options{}).ExampleRequest("GET", "/no-such-thing"); err == nil || !strings.Contains(err.Error(), "/no-such-thing") {
		t.Errorf("unknown operation: err %v", err)
	}
	if _, _, err := New(Options{}).ExampleRequest("GET", "/vault/account/{id}"); err == nil {
		t.Error("an unseeded simulator has no Vault account to address, yet ExampleRequest gave a path")
	}
}
