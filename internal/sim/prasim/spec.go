package prasim

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// configSpec is the vendor's Configuration API document (version 1.10),
// minimised by internal/specgen (`make pra-sim-spec PRA_SPEC=…`): paths,
// parameters, schemas and constraints, without prose. It is stored
// gzip-compressed: 17 KB of the binary instead of 302 KB.
//
//go:embed spec/config-api.json.gz
var configSpecGz []byte

// configSpec is the embedded document, decompressed.
func configSpec() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(configSpecGz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// opKind says how the simulator serves an operation.
type opKind int

const (
	kindList     opKind = iota + 1 // GET on a collection
	kindGet                        // GET on an item
	kindCreate                     // POST on a collection
	kindUpdate                     // PATCH on an item
	kindDelete                     // DELETE on an item
	kindDownload                   // GET answering with a file
	kindCustom                     // everything else: actions and singletons
)

// specOp is one operation of the document.
type specOp struct {
	Method, Path, ID string
	kind             opKind
	route            *route
	res              *resource // collection served by CRUD kinds
	query            map[string]*openapi3.Schema
	paginated        bool
	body             *openapi3.Schema // request body schema, nil when none is documented
	bodyPatch        *openapi3.Schema // body with nothing required (PATCH semantics)
	bodyRequired     bool
	success          int              // first documented 2xx status
	successSchema    *openapi3.Schema // its JSON schema, nil when no body is documented
	successType      string           // its content type
	statuses         []int            // every documented status
	// show lists the fields a CRUD response shows: the properties of its
	// response schema (for lists, of the items) and the key; nil shows
	// every field (no schema, or alternatives).
	show map[string]bool
}

// route is one path template of the document.
type route struct {
	template string
	segs     []string // literal segments; "" where a parameter sits
	params   []*openapi3.Parameter
	literals int
	ops      map[string]*specOp
	allow    []string
}

// apiModel is the parsed document and everything derived from it. It is
// built once per process and shared, read-only, by every Server.
type apiModel struct {
	doc        *openapi3.T
	ops        []*specOp
	routes     []*route
	reg        *registry
	collByNorm map[string]*resource // collection template ("/a/{}/b") → resource
	yaml       []byte               // the document as served by GET /openapi.yaml
}

var (
	modelOnce sync.Once
	model     *apiModel
	modelErr  error
)

// loadModel parses the embedded document once.
func loadModel() (*apiModel, error) {
	modelOnce.Do(func() {
		var doc []byte
		if doc, modelErr = configSpec(); modelErr == nil {
			model, modelErr = buildModel(doc)
		}
	})
	return model, modelErr
}

// Operations lists the operations of the embedded document as "METHOD /path"
// lines, sorted; tests use it to prove every one is served.
func Operations() []string {
	m, err := loadModel()
	if err != nil {
		panic("prasim: " + err.Error())
	}
	out := make([]string, 0, len(m.ops))
	for _, op := range m.ops {
		out = append(out, op.Method+" "+op.Path)
	}
	sort.Strings(out)
	return out
}

var methodOrder = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}

// buildModel parses the document, derives its routes, operations and resources, and classifies every operation.
func buildModel(data []byte) (*apiModel, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load embedded document: %w", err)
	}
	m := &apiModel{doc: doc}
	applyOverlay(doc)
	if m.yaml, err = servedYAML(data); err != nil {
		return nil, err
	}

	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	byTemplate := map[string]*route{}
	for _, p := range paths {
		rt := newRoute(p, doc.Paths.Value(p))
		for _, op := range rt.ops {
			m.ops = append(m.ops, op)
		}
		byTemplate[normTemplate(p)] = rt
		m.routes = append(m.routes, rt)
	}
	sort.Slice(m.ops, func(i, j int) bool {
		if m.ops[i].Path != m.ops[j].Path {
			return m.ops[i].Path < m.ops[j].Path
		}
		return m.ops[i].Method < m.ops[j].Method
	})

	decls, err := deriveResources(m, byTemplate)
	if err != nil {
		return nil, err
	}
	reg, err := newRegistry(decls)
	if err != nil {
		return nil, err
	}
	m.reg = reg
	m.collByNorm = map[string]*resource{}
	for _, r := range reg.list {
		m.collByNorm[normTemplate(r.Path)] = r
	}
	attachResources(reg, byTemplate)
	for _, op := range m.ops {
		op.classify()
	}
	return m, nil
}

// servedYAML is the document as GET /openapi.yaml serves it: YAML, without the x-order annotations.
func servedYAML(data []byte) ([]byte, error) {
	var generic map[string]any
	if err := json.Unmarshal(data, &generic); err != nil {
		return nil, err
	}
	dropKey(generic, "x-order")
	var yb bytes.Buffer
	enc := yaml.NewEncoder(&yb)
	enc.SetIndent(2)
	if err := enc.Encode(generic); err != nil {
		return nil, err
	}
	return yb.Bytes(), nil
}

// newRoute builds the route of path template p with its operations, path parameters and allowed methods.
func newRoute(p string, item *openapi3.PathItem) *route {
	rt := &route{template: p, ops: map[string]*specOp{}}
	for _, seg := range splitPath(p) {
		if isPlaceholder(seg) {
			rt.segs = append(rt.segs, "")
			continue
		}
		rt.segs = append(rt.segs, seg)
		rt.literals++
	}
	pathParams := map[string]*openapi3.Parameter{}
	for method, o := range item.Operations() {
		op := &specOp{Method: method, Path: p, ID: o.OperationID, route: rt, query: map[string]*openapi3.Schema{}}
		op.addParams(append(slices.Clone(item.Parameters), o.Parameters...), pathParams)
		if rb := o.RequestBody; rb != nil && rb.Value != nil {
			if mt := rb.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
				op.body = mt.Schema.Value
				op.bodyPatch = relaxed(op.body, map[*openapi3.Schema]*openapi3.Schema{})
				op.bodyRequired = rb.Value.Required
			}
		}
		op.addResponses(o.Responses)
		rt.ops[method] = op
	}
	// Path parameters in template order; one the document does not
	// declare is taken as a plain string.
	for _, seg := range splitPath(p) {
		if isPlaceholder(seg) {
			name := seg[1 : len(seg)-1]
			pr := pathParams[name]
			if pr == nil {
				pr = &openapi3.Parameter{Name: name, In: "path"}
			}
			rt.params = append(rt.params, pr)
		}
	}
	for _, meth := range methodOrder {
		if _, ok := rt.ops[meth]; ok {
			rt.allow = append(rt.allow, meth)
		}
		if meth == "HEAD" && rt.ops["GET"] != nil {
			rt.allow = append(rt.allow, "HEAD")
		}
	}
	return rt
}

// addParams records the operation's query parameters (per_page and current_page mark it paginated) and the first
// declaration of each path parameter in pathParams.
func (op *specOp) addParams(params openapi3.Parameters, pathParams map[string]*openapi3.Parameter) {
	for _, pr := range params {
		if pr == nil || pr.Value == nil {
			continue
		}
		switch pr.Value.In {
		case "query":
			var s *openapi3.Schema
			if pr.Value.Schema != nil {
				s = pr.Value.Schema.Value
			}
			if pr.Value.Name == "per_page" || pr.Value.Name == "current_page" {
				op.paginated = true
				continue
			}
			op.query[pr.Value.Name] = s
		case "path":
			if pathParams[pr.Value.Name] == nil {
				pathParams[pr.Value.Name] = pr.Value
			}
		}
	}
}

// addResponses records every documented status and the first 2xx one with its content type and JSON schema.
func (op *specOp) addResponses(responses *openapi3.Responses) {
	for code, resp := range responses.Map() {
		var n int
		if _, err := fmt.Sscanf(code, "%d", &n); err != nil {
			continue
		}
		op.statuses = append(op.statuses, n)
		if n < 200 || n > 299 || (op.success != 0 && n > op.success) {
			continue
		}
		op.success = n
		op.successSchema, op.successType = nil, ""
		if resp.Value == nil {
			continue
		}
		for ct, mt := range resp.Value.Content {
			op.successType = ct
			if ct == "application/json" && mt.Schema != nil {
				op.successSchema = mt.Schema.Value
			}
		}
	}
	sort.Ints(op.statuses)
}

// attachResources gives the CRUD operations of each resource's collection and item routes their kind and resource.
func attachResources(reg *registry, byTemplate map[string]*route) {
	for _, r := range reg.list {
		coll := byTemplate[normTemplate(r.Path)]
		for _, op := range coll.ops {
			switch op.Method {
			case "GET":
				if r.Ops.Has(OpList) && op.kind == 0 {
					op.kind, op.res = kindList, r
				}
			case "POST":
				if r.Ops.Has(OpCreate) {
					op.kind, op.res = kindCreate, r
				}
			}
		}
		if item := byTemplate[normTemplate(r.Path)+"/{}"]; item != nil {
			for _, op := range item.ops {
				switch op.Method {
				case "GET":
					op.kind, op.res = kindGet, r
				case "PATCH":
					op.kind, op.res = kindUpdate, r
				case "DELETE":
					op.kind, op.res = kindDelete, r
				}
			}
		}
	}
}

// classify sets the fields a CRUD response shows, and the kind of an operation no resource claimed: a download
// when it answers with something other than JSON, otherwise custom.
func (op *specOp) classify() {
	if op.res != nil {
		if objs := objectSchemas(op.successSchema, nil); len(objs) == 1 {
			op.show = map[string]bool{op.res.key(): true}
			for n := range objs[0].Properties {
				op.show[n] = true
			}
		}
	}
	if op.kind == 0 && op.Method == "GET" && op.successType != "" && op.successType != "application/json" {
		op.kind = kindDownload
	}
	if op.kind == 0 {
		op.kind = kindCustom
	}
}

// dropKey removes key from every object of a decoded JSON value.
func dropKey(v any, key string) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, key)
		for _, e := range x {
			dropKey(e, key)
		}
	case []any:
		for _, e := range x {
			dropKey(e, key)
		}
	}
}

// normTemplate replaces every placeholder by "{}".
func normTemplate(p string) string {
	segs := splitPath(p)
	for i, s := range segs {
		if isPlaceholder(s) {
			segs[i] = "{}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

// relaxed returns a copy of s in which nothing is required and oneOf is
// anyOf, which is how a PATCH body (a partial object) is checked.
func relaxed(s *openapi3.Schema, seen map[*openapi3.Schema]*openapi3.Schema) *openapi3.Schema {
	if s == nil {
		return nil
	}
	if c, ok := seen[s]; ok {
		return c
	}
	c := *s
	seen[s] = &c
	c.Required = nil
	relaxRefs := func(refs openapi3.SchemaRefs) openapi3.SchemaRefs {
		out := make(openapi3.SchemaRefs, len(refs))
		for i, r := range refs {
			out[i] = &openapi3.SchemaRef{Value: relaxed(r.Value, seen)}
		}
		return out
	}
	if len(c.OneOf) > 0 {
		c.AnyOf = append(relaxRefs(c.OneOf), relaxRefs(c.AnyOf)...)
		c.OneOf = nil
	} else {
		c.AnyOf = relaxRefs(c.AnyOf)
	}
	c.AllOf = relaxRefs(c.AllOf)
	return &c
}

// isListLike reports whether a GET answers with several resources.
func (op *specOp) isListLike() bool {
	if op == nil || op.Method != http.MethodGet {
		return false
	}
	if op.paginated {
		return true
	}
	return op.successSchema != nil && op.successSchema.Type != nil && op.successSchema.Type.Is("array")
}

// objectSchemas returns the object schemas a schema stands for: itself,
// array items, and the branches of oneOf/anyOf/allOf.
func objectSchemas(s *openapi3.Schema, out []*openapi3.Schema) []*openapi3.Schema {
	if s == nil {
		return out
	}
	if s.Type != nil && s.Type.Is("array") && s.Items != nil {
		return objectSchemas(s.Items.Value, out)
	}
	if len(s.Properties) > 0 {
		out = append(out, s)
	}
	for _, refs := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf} {
		for _, r := range refs {
			out = objectSchemas(r.Value, out)
		}
	}
	return out
}

// deriveResources turns the collections of the document into resource
// declarations: every path that lists resources or has item paths below it.
func deriveResources(m *apiModel, byTemplate map[string]*route) ([]Resource, error) {
	isColl := collections(byTemplate)
	var norms []string
	for n := range isColl {
		norms = append(norms, n)
	}
	sort.Strings(norms)
	names := map[string]string{} // norm → resource name
	for _, n := range norms {
		names[n] = resourceName(n)
	}
	var decls []Resource
	for _, norm := range norms {
		rt := byTemplate[norm]
		item := byTemplate[norm+"/{}"]
		d := Resource{Name: names[norm], Label: resourceLabel(names[norm], norm), Path: rt.template}
		// Parent: the nearest enclosing collection.
		segs := strings.Split(strings.TrimPrefix(norm, "/"), "/")
		for i := len(segs) - 1; i > 0; i-- {
			if segs[i] == "{}" {
				p := "/" + strings.Join(segs[:i], "/")
				if isColl[p] {
					d.Parent = names[p]
				}
				break
			}
		}
		if strings.Count(norm, "{}") > 0 && d.Parent == "" {
			return nil, fmt.Errorf("collection %s has no parent collection", rt.template)
		}
		d.Ops = collectionOps(rt, item)
		d.Fields = collectionFields(rt, item)
		setKey(&d, item)
		d.Filters = append(d.Filters, filtersOf(rt.ops["GET"])...)
		setShapes(&d, item)
		decls = append(decls, d)
	}
	for i := range decls {
		applyResourceOverlay(&decls[i], decls)
	}
	return decls, nil
}

// collections picks the collection paths (by normalised template): those that list, and those with integer-keyed
// item paths below them. A nested listing with neither create nor items is a computed view, not a collection.
func collections(byTemplate map[string]*route) map[string]bool {
	isColl := map[string]bool{}
	for norm, rt := range byTemplate {
		segs := rt.segs
		if len(segs) == 0 || segs[len(segs)-1] == "" {
			continue // a collection path ends with a literal
		}
		item := byTemplate[norm+"/{}"]
		if rt.ops["GET"].isListLike() {
			// A nested listing with neither create nor items (a user's
			// Group Policies, an endpoint's RDP candidates) is a computed
			// view, not a collection.
			if strings.Contains(norm, "{}") && rt.ops["POST"] == nil && item == nil {
				continue
			}
			isColl[norm] = true
			continue
		}
		if item != nil && item.params[len(item.params)-1].Schema != nil &&
			isIntegerParam(item.params[len(item.params)-1]) {
			if item.ops["GET"] != nil || item.ops["PATCH"] != nil || item.ops["DELETE"] != nil {
				isColl[norm] = true
			}
		}
	}
	return isColl
}

// collectionOps are the operations the collection route rt and its item route (nil when none) document.
func collectionOps(rt, item *route) Ops {
	var ops Ops
	if rt.ops["GET"].isListLike() {
		ops |= OpList
	}
	if rt.ops["POST"] != nil {
		ops |= OpCreate
	}
	if item != nil {
		if item.ops["GET"] != nil {
			ops |= OpGet
		}
		if item.ops["PATCH"] != nil {
			ops |= OpUpdate
		}
		if item.ops["DELETE"] != nil {
			ops |= OpDelete
		}
	}
	return ops
}

// collectionFields is the union of every schema the collection's operations send or accept. Request schemas come
// first so that a property written by clients is not taken for a read-only one.
func collectionFields(rt, item *route) []Field {
	var sources []*openapi3.Schema
	var required []string
	if op := rt.ops["POST"]; op != nil {
		sources = objectSchemas(op.body, sources)
		if op.body != nil && len(op.body.AnyOf) == 0 {
			required = op.body.Required
		}
	}
	if item != nil {
		if op := item.ops["PATCH"]; op != nil {
			sources = objectSchemas(op.body, sources)
			sources = objectSchemas(op.successSchema, sources)
		}
		if op := item.ops["GET"]; op != nil {
			sources = objectSchemas(op.successSchema, sources)
		}
	}
	if op := rt.ops["GET"]; op != nil {
		sources = objectSchemas(op.successSchema, sources)
	}
	if op := rt.ops["POST"]; op != nil {
		sources = objectSchemas(op.successSchema, sources)
	}
	return mergeFields(sources, required)
}

// setKey chooses the key of d and puts its field first: the item path's parameter when it names a field (a key the
// client gives), otherwise a server-assigned "id", added when no schema has one.
func setKey(d *Resource, item *route) {
	keyParam := ""
	if item != nil {
		keyParam = item.params[len(item.params)-1].Name
	}
	key := ""
	switch {
	case keyParam != "" && keyParam != "id" && fieldIndex(d.Fields, keyParam) >= 0:
		key = keyParam
		d.Key, d.ClientKey = key, true
	case fieldIndex(d.Fields, "id") >= 0:
		key = "id"
	default:
		// No id in the schemas (e.g. a member list keyed by user_id that
		// only lists): number the rows internally.
		key = "id"
		d.Fields = append([]Field{IDField("id").RO()}, d.Fields...)
	}
	i := fieldIndex(d.Fields, key)
	kf := d.Fields[i]
	if d.ClientKey {
		kf.ReadOnly, kf.Required, kf.Unique, kf.Immutable, kf.Nullable = false, true, true, true, false
	} else {
		kf.ReadOnly = true
	}
	// The key goes first in responses.
	d.Fields = append(append([]Field{kf}, d.Fields[:i]...), d.Fields[i+1:]...)
}

// setShapes records item alternatives told apart by a property (a vault
// account's "type"), from the item's response schema.
func setShapes(d *Resource, item *route) {
	key := d.Key
	if key == "" {
		key = "id"
	}
	if item == nil || item.ops["GET"] == nil || item.ops["GET"].successSchema == nil {
		return
	}
	branches := item.ops["GET"].successSchema.AnyOf
	if len(branches) < 2 {
		return
	}
	props := func(b *openapi3.SchemaRef) map[string]bool {
		out := map[string]bool{key: true}
		for n := range schemaFields(b.Value) {
			out[n] = true
		}
		return out
	}
	// An enum property present in every alternative tells them apart (a
	// vault account's "type").
	for _, name := range propertyOrder(branches[0].Value) {
		variants := map[string]map[string]bool{}
		ok := true
		for _, b := range branches {
			p := b.Value.Properties[name]
			if p == nil || p.Value == nil || len(p.Value.Enum) == 0 {
				ok = false
				break
			}
			for _, e := range p.Value.Enum {
				v, isStr := e.(string)
				if !isStr {
					ok = false
					break
				}
				if variants[v] == nil {
					variants[v] = map[string]bool{}
				}
				for n := range props(b) {
					variants[v][n] = true
				}
			}
		}
		if ok {
			d.VariantField, d.Variants = name, variants
			return
		}
	}
	// Otherwise the alternatives' names do: LDAPSecurityProvider is the
	// shape of a provider whose type is "ldap".
	tf := fieldIndex(d.Fields, "type")
	if tf < 0 {
		return
	}
	variants := map[string]map[string]bool{}
	for _, b := range branches {
		ref := strings.ToLower(b.Ref[strings.LastIndex(b.Ref, "/")+1:])
		for _, v := range d.Fields[tf].Enum {
			if ref != "" && strings.HasPrefix(ref, strings.ReplaceAll(v, "_", "")) {
				variants[v] = props(b)
			}
		}
	}
	if len(variants) >= 2 {
		d.VariantField, d.Variants = "type", variants
	}
}

func isIntegerParam(p *openapi3.Parameter) bool {
	if p.Schema == nil || p.Schema.Value == nil {
		return false
	}
	s := p.Schema.Value
	return s.Type != nil && s.Type.Is("integer")
}

func fieldIndex(fields []Field, name string) int {
	return slices.IndexFunc(fields, func(f Field) bool { return f.Name == name })
}

// resourceName names a collection by its literal segments: "/jump-group" is
// "jump-group", "/group-policy/{id}/jumpoint" is "group-policy-jumpoint".
func resourceName(norm string) string {
	var parts []string
	for _, s := range strings.Split(strings.TrimPrefix(norm, "/"), "/") {
		if s != "{}" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "-")
}

// labels name the collections whose path does not read well.
var labels = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"api-account":                    "API Account",
		"jump-item-shell-jump":           "Shell Jump Item",
		"jump-item-remote-rdp":           "Remote RDP Jump Item",
		"jump-item-remote-vnc":           "Remote VNC Jump Item",
		"jump-item-web-jump":             "Web Jump Item",
		"jump-item-protocol-tunnel-jump": "Protocol Tunnel Jump Item",
		"jump-item-network-tunnel-jump":  "Network Tunnel Jump Item",
		"jump-item-mysql-tunnel-jump":    "MySQL Tunnel Jump Item",
		"jump-item-psql-tunnel-jump":     "PostgreSQL Tunnel Jump Item",
		"jump-client-installer":          "Jump Client Installer",
		"vendor-user":                    "Vendor User",
	}
})

// resourceLabel is the human name used in messages: "Jump Group",
// "Group Policy Jumpoint", "Vault Account".
func resourceLabel(name, norm string) string {
	if l, ok := labels()[name]; ok {
		return l
	}
	var words []string
	for _, s := range strings.Split(strings.TrimPrefix(norm, "/"), "/") {
		if s == "{}" {
			continue
		}
		for _, w := range strings.Split(s, "-") {
			if w == "" {
				continue
			}
			words = append(words, strings.ToUpper(w[:1])+w[1:])
		}
	}
	return strings.Join(words, " ")
}

// mergeFields builds fields from the properties of several schemas. A
// property seen several times keeps its first definition, but its enum
// values are united, it is read-only only when every definition says so,
// and write-only when any does.
func mergeFields(sources []*openapi3.Schema, required []string) []Field {
	var fields []Field
	for _, s := range sources {
		for _, n := range propertyOrder(s) {
			ps := s.Properties[n].Value
			if ps == nil {
				continue
			}
			f := fieldFrom(n, ps)
			if i := fieldIndex(fields, n); i >= 0 {
				g := &fields[i]
				g.ReadOnly = g.ReadOnly && f.ReadOnly
				g.WriteOnly = g.WriteOnly || f.WriteOnly
				g.Nullable = g.Nullable || f.Nullable
				for _, e := range f.Enum {
					if !slices.Contains(g.Enum, e) {
						g.Enum = append(g.Enum, e)
					}
				}
				if g.Default == nil {
					g.Default = f.Default
				}
				continue
			}
			if slices.Contains(required, n) {
				f.Required = true
			}
			fields = append(fields, f)
		}
	}
	return fields
}

// propertyOrder lists a schema's properties in the vendor's order, which
// the derived document records under "x-order"; others follow sorted.
func propertyOrder(s *openapi3.Schema) []string {
	var names []string
	if list, ok := s.Extensions["x-order"].([]any); ok {
		for _, v := range list {
			if n, ok := v.(string); ok && s.Properties[n] != nil {
				names = append(names, n)
			}
		}
	}
	var rest []string
	for n := range s.Properties {
		if !slices.Contains(names, n) {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}

// fieldFrom converts one property schema into a field.
func fieldFrom(name string, s *openapi3.Schema) Field {
	f := Field{Name: name, Nullable: s.Nullable, ReadOnly: s.ReadOnly, WriteOnly: s.WriteOnly}
	typ := func(s *openapi3.Schema) string {
		if s == nil || s.Type == nil || len(*s.Type) == 0 {
			return ""
		}
		return (*s.Type)[0]
	}
	switch typ(s) {
	case "integer":
		f.Type = Integer
		if s.Min != nil {
			f.Min, f.HasMin = int64(*s.Min), true
		}
		if s.Max != nil {
			f.Max, f.HasMax = int64(*s.Max), true
		}
	case "number":
		f.Type = Any
	case "boolean":
		f.Type = Boolean
	case "string":
		switch {
		case s.Format == "date-time":
			f.Type = DateTime
		case len(s.Enum) > 0:
			f.Type = Enum
			for _, e := range s.Enum {
				if str, ok := e.(string); ok {
					f.Enum = append(f.Enum, str)
				}
			}
		default:
			f.Type = String
			f.MinLength = int(s.MinLength)
			if s.MaxLength != nil {
				f.MaxLength = int(*s.MaxLength)
			}
			if s.Pattern != "" {
				if re, err := regexp.Compile(s.Pattern); err == nil {
					f.Pattern = re
				}
			}
		}
	case "array":
		f.Type = Array
		f.Items = Any
		if s.MaxItems != nil {
			f.MaxItems = int(*s.MaxItems)
		}
		if s.Items != nil && s.Items.Value != nil {
			it := fieldFrom(name, s.Items.Value)
			switch it.Type {
			case Integer, String, Boolean, Enum, DateTime:
				f.Items, f.Enum = it.Type, it.Enum
			}
		}
	case "object":
		f.Type = Object
	default:
		f.Type = Any
	}
	if s.Default != nil {
		f.Default = storedDefault(&f, s)
	}
	return f
}

// storedDefault converts a documented default to the stored form, or nil
// when the document's default does not fit the schema (the vendor writes
// prose such as "SSH: 22, Telnet: 23" in some of them).
func storedDefault(f *Field, s *openapi3.Schema) any {
	if err := s.VisitJSON(s.Default); err != nil {
		return nil
	}
	raw, err := json.Marshal(s.Default)
	if err != nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil
	}
	var errs errorBag
	g := *f
	g.Pattern = nil
	if c, ok := convert(&g, f.Name, v, &errs); ok {
		return c
	}
	return nil
}

// filtersOf turns the documented query parameters of a list into filters.
func filtersOf(op *specOp) []Field {
	if op == nil {
		return nil
	}
	names := make([]string, 0, len(op.query))
	for n := range op.query {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Field
	for _, n := range names {
		s := op.query[n]
		if s == nil {
			out = append(out, Field{Name: n, Type: String})
			continue
		}
		f := fieldFrom(n, s)
		f.ReadOnly, f.WriteOnly, f.Default = false, false, nil
		out = append(out, f)
	}
	return out
}
