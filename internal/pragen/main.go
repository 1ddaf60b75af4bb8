// Command pragen reads BeyondTrust's PRA Configuration API OpenAPI document and writes the command catalog
// pkg/catalog/pra/zz_generated.go: one request.Op per operation, named by resource, with typed arguments, query filters and
// body fields.
//
//	go run ./internal/pragen -spec pra-config-openapi-1.10.yaml -out pkg/catalog/pra/zz_generated.go
//
// (make pra-catalog PRA_SPEC=…). The spec itself is not committed; the generated catalog is.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

func main() {
	spec := flag.String("spec", "", "path to the PRA Configuration API OpenAPI document (pra-config-openapi-*.yaml)")
	out := flag.String("out", "pkg/catalog/pra/zz_generated.go", "generated Go file")
	list := flag.Bool("list", false, "print the command for every operation instead of writing the catalog")
	flag.Parse()
	if *spec == "" {
		fmt.Fprintln(os.Stderr, "pragen: -spec is required (make pra-catalog PRA_SPEC=/path/to/pra-config-openapi-1.10.yaml)")
		os.Exit(2)
	}
	if err := run(*spec, *out, *list); err != nil {
		fmt.Fprintln(os.Stderr, "pragen:", err)
		os.Exit(1)
	}
}

func run(specPath, outPath string, list bool) error {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	fixed, order, err := normalise(raw)
	if err != nil {
		return err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(fixed)
	if err != nil {
		return fmt.Errorf("loading %s: %w", specPath, err)
	}
	g := &gen{doc: doc, order: order}
	ops, err := g.operations()
	if err != nil {
		return err
	}
	if list {
		for _, o := range ops {
			fmt.Printf("%-7s %-68s infra pra %s\n", o.method, o.path, strings.Join(o.cmdPath(), " "))
		}
		fmt.Println(len(ops), "operations")
		return nil
	}
	src, err := g.render(ops, specVersion(doc))
	if err != nil {
		return err
	}
	return os.WriteFile(outPath, src, 0o644)
}

func specVersion(doc *openapi3.T) string {
	if doc.Info != nil {
		return doc.Info.Version
	}
	return "?"
}

// normalise repairs what the vendor document gets wrong for OpenAPI 3 (a boolean `required: true` inside a property
// instead of the parent's required list) and records the declared order of every property set, which the loader loses.
func normalise(raw []byte) ([]byte, map[string][]string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, nil, err
	}
	order := map[string][]string{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "properties" && v.Kind == yaml.MappingNode {
					var names, req []string
					for j := 0; j+1 < len(v.Content); j += 2 {
						pn, pv := v.Content[j].Value, v.Content[j+1]
						names = append(names, pn)
						if pv.Kind != yaml.MappingNode {
							continue
						}
						for m := 0; m+1 < len(pv.Content); m += 2 {
							if pv.Content[m].Value == "required" && pv.Content[m+1].Kind == yaml.ScalarNode && pv.Content[m+1].Tag == "!!bool" {
								if pv.Content[m+1].Value == "true" {
									req = append(req, pn)
								}
								pv.Content = append(pv.Content[:m], pv.Content[m+2:]...)
								break
							}
						}
					}
					order[orderKey(names)] = names
					if len(req) > 0 {
						addRequired(n, req)
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	out, err := yaml.Marshal(&root)
	return out, order, err
}

func addRequired(schema *yaml.Node, names []string) {
	for i := 0; i+1 < len(schema.Content); i += 2 {
		if schema.Content[i].Value == "required" && schema.Content[i+1].Kind == yaml.SequenceNode {
			for _, n := range names {
				schema.Content[i+1].Content = append(schema.Content[i+1].Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: n})
			}
			return
		}
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, n := range names {
		seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: n})
	}
	schema.Content = append(schema.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "required"}, seq)
}

func orderKey(names []string) string {
	s := append([]string(nil), names...)
	sort.Strings(s)
	return strings.Join(s, ",")
}

type gen struct {
	doc   *openapi3.T
	order map[string][]string
}

type field struct {
	Name, Type, Items                    string
	Required, ReadOnly, Nullable, Secret bool
	Enum                                 []string
	Help, Pattern, Default               string
	MinLen, MaxLen                       int
	Min, Max                             *int64
}

type arg struct {
	Param, Name, Help string
	Integer           bool
}

type op struct {
	method, path, id string
	kind             string // KindList, ...
	args             []arg
	query            []field
	body             []field
	bodyRequired     bool
	columns          []string
	group            []string // command path of the group, below `infra pra`
	name             string
	aliases          []string
	short            string
	long             string
	example          string
	confirm, multiID bool
}

// verb is the operation's verb: the command name, or for Jump Items the group (jump-item delete shell-jump).
func (o *op) verb() string {
	if len(o.group) == 2 && o.group[0] == "jump-item" {
		return o.group[1]
	}
	return o.name
}

func (o *op) cmdPath() []string {
	p := append(append([]string(nil), o.group...), o.name)
	for _, a := range o.args {
		p = append(p, a.Name)
	}
	return p
}

var methodOrder = []string{"GET", "POST", "PATCH", "PUT", "DELETE"}

func (g *gen) operations() ([]*op, error) {
	paths := g.doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	type pm struct{ path, method string }
	var all []pm
	for _, p := range paths {
		item := g.doc.Paths.Value(p)
		for _, m := range methodOrder {
			if item.GetOperation(m) != nil {
				all = append(all, pm{p, m})
			}
		}
	}
	methodsAt := map[string][]string{}
	for _, x := range all {
		methodsAt[x.path] = append(methodsAt[x.path], x.method)
	}
	hasChild := func(p string) bool {
		for _, x := range all {
			if strings.HasPrefix(x.path, p+"/{") {
				return true
			}
		}
		return false
	}
	var out []*op
	seen := map[string]string{}
	for _, x := range all {
		o, err := g.operation(x.path, x.method, len(methodsAt[x.path]) > 1 || hasChild(x.path))
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", x.method, x.path, err)
		}
		key := strings.Join(append(append([]string(nil), o.group...), o.name), " ")
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s %s and %s both map to `infra pra %s`: add a naming rule", x.method, x.path, prev, key)
		}
		seen[key] = x.method + " " + x.path
		out = append(out, o)
	}
	return out, nil
}

// operation describes the command of one operation: what it answers, its name, arguments, filters, body fields
// and help. resource says the path is a resource (it has other methods or sub-paths).
func (g *gen) operation(path, method string, resource bool) (*op, error) {
	oa := g.doc.Paths.Value(path).GetOperation(method)
	o := &op{method: method, path: path, id: oa.OperationID}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	respSchema, err := g.answer(o, oa)
	if err != nil {
		return nil, err
	}
	if err := o.setName(segs, resource, respSchema); err != nil {
		return nil, err
	}
	g.addArgs(o, oa, segs)

	// Query filters (pagination is the engine's).
	for _, pr := range oa.Parameters {
		p := pr.Value
		if p == nil || p.In != "query" || p.Name == "per_page" || p.Name == "current_page" {
			continue
		}
		f := g.field(p.Name, p.Schema, p.Required)
		f.Help = filterHelp(p.Name, f.Type)
		o.query = append(o.query, f)
	}
	sort.Slice(o.query, func(i, j int) bool { return o.query[i].Name < o.query[j].Name })

	// Body fields.
	if oa.RequestBody != nil && oa.RequestBody.Value != nil {
		rb := oa.RequestBody.Value
		o.bodyRequired = rb.Required
		if mt := rb.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			o.body = g.fields(mt.Schema)
		}
	}
	if fix, ok := bodyFixes[method+" "+path]; ok {
		o.body = fix
	}
	// Deleting a resource by id: several ids at once, confirmed when it is the resource itself. DELETEs that carry a
	// body (removing one association criterion) are single requests.
	if o.verb() == "delete" && len(o.body) == 0 && len(o.args) > 0 && o.args[len(o.args)-1].Integer {
		o.multiID = true
		o.confirm = len(o.args) == 1
	}

	// Default columns from the answer's model.
	if respSchema != nil {
		s := respSchema
		if s.Type.Is("array") && s.Items != nil {
			s = s.Items.Value
		}
		o.columns = g.columns(s)
	}
	g.describe(o)
	return o, nil
}

func isParam(s string) bool { return strings.HasPrefix(s, "{") }

// answer sets what the operation answers (o.kind: none, object, list, raw or download) and returns the answer's
// JSON schema, after the response fixes. Paginated lists take per_page (some are documented with an object
// schema); an array answer without per_page is not paginated: it is shown as it comes and no paging parameters are
// sent.
func (g *gen) answer(o *op, oa *openapi3.Operation) (*openapi3.Schema, error) {
	o.kind = "request.KindObject"
	var respSchema *openapi3.Schema
	for _, code := range []string{"200", "201", "204"} {
		r := oa.Responses.Value(code)
		if r == nil || r.Value == nil {
			continue
		}
		if code == "204" || len(r.Value.Content) == 0 {
			o.kind = "request.KindNone"
			break
		}
		if mt := r.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			respSchema = mt.Schema.Value
			if respSchema.Type.Is("array") {
				o.kind = "request.KindList"
			}
		} else {
			o.kind = "request.KindDownload"
		}
		break
	}
	if name, ok := responseFixes[o.method+" "+o.path]; ok {
		s := g.doc.Components.Schemas[name]
		if s == nil || s.Value == nil {
			return nil, fmt.Errorf("response fix: no schema %s", name)
		}
		respSchema, o.kind = s.Value, "request.KindObject"
	}
	switch {
	case o.method == "GET" && hasParam(oa, "per_page"):
		o.kind = "request.KindList"
	case o.kind == "request.KindList":
		o.kind = "request.KindRaw"
	}
	return respSchema, nil
}

// setName names the command (group words and verb) from a naming rule or the path's literal segments and the
// method; Jump Items are named verb first, type second.
func (o *op) setName(segs []string, resource bool, respSchema *openapi3.Schema) error {
	var lits []string
	for _, s := range segs {
		if !isParam(s) {
			lits = append(lits, s)
		}
	}
	last := segs[len(segs)-1]
	isList := o.kind == "request.KindList" || (o.kind == "request.KindRaw" && respSchema != nil && respSchema.Type.Is("array"))
	if rule, ok := naming[o.method+" "+o.path]; ok {
		f := strings.Fields(rule)
		o.group, o.name = f[:len(f)-1], f[len(f)-1]
	} else if isParam(last) {
		o.group = lits
		switch o.method {
		case "GET":
			o.name = "get"
		case "PATCH", "PUT":
			o.name = "update"
		case "DELETE":
			o.name = "delete"
		default:
			return fmt.Errorf("no verb for %s on an item: add a naming rule", o.method)
		}
	} else {
		method := o.method
		switch {
		case method == "GET" && isList && (resource || len(lits) == 1):
			o.group, o.name = lits, "list"
		case resource && method == "GET":
			o.group, o.name = lits, "get"
		case resource && method == "POST":
			o.group, o.name = lits, "create"
		case resource && (method == "PATCH" || method == "PUT"):
			o.group, o.name = lits, "update"
		case resource && method == "DELETE":
			o.group, o.name = lits, "delete"
		default:
			o.group, o.name = lits[:len(lits)-1], last
		}
	}
	// Jump Items are named verb first, type second: `jump-item list shell-jump`, `jump-item copy remote-rdp 12`.
	if len(o.group) == 2 && o.group[0] == "jump-item" {
		o.group, o.name = []string{"jump-item", o.name}, o.group[1]
	}
	o.aliases = verbAliases[o.name]
	if len(o.group) == 2 && o.group[0] == "jump-item" {
		o.aliases = nil
	}
	return nil
}

// addArgs makes every path parameter a positional argument, in order.
func (g *gen) addArgs(o *op, oa *openapi3.Operation, segs []string) {
	for i, s := range segs {
		if !isParam(s) {
			continue
		}
		pname := strings.Trim(s, "{}")
		p := findParam(oa, g.doc.Paths.Value(o.path), pname)
		a := arg{Param: pname}
		if p != nil && p.Schema != nil && p.Schema.Value != nil {
			sv := p.Schema.Value
			a.Integer = sv.Type.Is("integer")
			if len(sv.Enum) > 0 {
				a.Help = "one of: " + strings.Join(enumStrings(sv.Enum), ", ")
			}
		}
		a.Name = argName(pname, segs[:i])
		if n, ok := argNames[o.path+" "+s]; ok {
			a.Name = n
		}
		o.args = append(o.args, a)
	}
}

// describe writes the command's help: the short line, the example, and a long help naming the arguments' values
// and the credentials that are never flags.
func (g *gen) describe(o *op) {
	o.short = g.short(o)
	o.example = example(o)
	for _, ar := range o.args {
		if ar.Help != "" {
			o.long += fmt.Sprintf("\n%s is %s.", ar.Name, ar.Help)
		}
	}
	var secrets []string
	for _, f := range o.body {
		if f.Secret && !f.ReadOnly {
			secrets = append(secrets, f.Name)
		}
	}
	if len(secrets) > 0 {
		o.long += fmt.Sprintf("\nCredentials (%s) are never taken from flags: give them on stdin, as key=value pairs with -k or as JSON with --json -.",
			strings.Join(secrets, ", "))
	}
	if o.long != "" {
		o.long = o.short + "." + "\n" + o.long
	}
}

func hasParam(oa *openapi3.Operation, name string) bool {
	for _, p := range oa.Parameters {
		if p.Value != nil && p.Value.Name == name {
			return true
		}
	}
	return false
}

func findParam(oa *openapi3.Operation, item *openapi3.PathItem, name string) *openapi3.Parameter {
	for _, ps := range []openapi3.Parameters{oa.Parameters, item.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == "path" && p.Value.Name == name {
				return p.Value
			}
		}
	}
	return nil
}

// argName names a path parameter after the resource it identifies: /jump-group/{id} → JUMP_GROUP_ID.
func argName(param string, before []string) string {
	if param == "id" && len(before) == 2 && before[0] == "jump-item" {
		return "JUMP_ITEM_ID"
	}
	if param == "id" {
		for i := len(before) - 1; i >= 0; i-- {
			if !strings.HasPrefix(before[i], "{") {
				return strings.ToUpper(strings.ReplaceAll(singular(before[i]), "-", "_")) + "_ID"
			}
		}
	}
	return strings.ToUpper(param)
}

func singular(s string) string {
	if strings.HasSuffix(s, "ies") {
		return strings.TrimSuffix(s, "ies") + "y"
	}
	return s
}

// fields flattens a body schema. oneOf variants (Vault account types) are merged: a field is required only when every
// variant requires it; enums of the same field are united.
func (g *gen) fields(ref *openapi3.SchemaRef) []field {
	props, required := g.collect(ref)
	var names []string
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []field
	for _, n := range names {
		out = append(out, g.fieldFrom(n, props[n], required[n]))
	}
	return out
}

type propSet map[string][]*openapi3.SchemaRef

func (g *gen) collect(ref *openapi3.SchemaRef) (propSet, map[string]bool) {
	s := ref.Value
	props := propSet{}
	req := map[string]bool{}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
		variants := append(append(openapi3.SchemaRefs(nil), s.OneOf...), s.AnyOf...)
		count := map[string]int{}
		for _, v := range variants {
			p, r := g.collect(v)
			for n, refs := range p {
				props[n] = append(props[n], refs...)
			}
			for n := range r {
				count[n]++
			}
		}
		for n, c := range count {
			if c == len(variants) {
				req[n] = true
			}
		}
		return props, req
	}
	for _, part := range s.AllOf {
		p, r := g.collect(part)
		for n, refs := range p {
			props[n] = append(props[n], refs...)
		}
		for n := range r {
			req[n] = true
		}
	}
	for n, p := range s.Properties {
		props[n] = append(props[n], p)
	}
	for _, n := range s.Required {
		req[n] = true
	}
	return props, req
}

func (g *gen) fieldFrom(name string, refs []*openapi3.SchemaRef, required bool) field {
	f := g.field(name, refs[0], required)
	// Merge variants: read-only only when read-only everywhere, enums united.
	if len(refs) > 1 {
		ro := true
		enum := map[string]bool{}
		var enums []string
		for _, r := range refs {
			ro = ro && r.Value.ReadOnly
			for _, e := range enumStrings(r.Value.Enum) {
				if !enum[e] {
					enum[e] = true
					enums = append(enums, e)
				}
			}
		}
		f.ReadOnly = ro
		if len(f.Enum) > 0 {
			f.Enum = enums
		}
	}
	return f
}

func (g *gen) field(name string, ref *openapi3.SchemaRef, required bool) field {
	f := field{Name: name, Required: required}
	if ref == nil || ref.Value == nil {
		f.Type = "request.String"
		return f
	}
	s := ref.Value
	f.Type = typeOf(s)
	if s.Type.Is("array") && s.Items != nil && s.Items.Value != nil {
		f.Items = typeOf(s.Items.Value)
		if len(s.Items.Value.Enum) > 0 {
			f.Enum = enumStrings(s.Items.Value.Enum)
		}
	}
	f.ReadOnly = s.ReadOnly
	f.Nullable = s.Nullable
	if len(s.Enum) > 0 {
		f.Enum = enumStrings(s.Enum)
	}
	if s.Type.Is("string") {
		f.MinLen = int(s.MinLength)
		if s.MaxLength != nil {
			f.MaxLen = int(*s.MaxLength)
		}
		f.Pattern = s.Pattern
	}
	if s.Type.Is("integer") {
		if s.Min != nil {
			v := int64(*s.Min)
			f.Min = &v
		}
		if s.Max != nil {
			v := int64(*s.Max)
			f.Max = &v
		}
	}
	if s.Default != nil && f.Type != "request.Object" && f.Type != "request.Array" {
		f.Default = fmt.Sprint(s.Default)
	}
	f.Secret = s.WriteOnly || s.Format == "password" || isSecretName(name)
	f.Help = fieldHelp(name, f)
	return f
}

// isSecretName: credentials by name, for fields the document does not mark writeOnly.
func isSecretName(n string) bool {
	switch n {
	case "password", "passphrase", "private_key", "private_key_passphrase", "token", "secret", "x509_key", "x509_key_passphrase":
		return true
	}
	return strings.HasSuffix(n, "_password") || strings.HasSuffix(n, "_passphrase") || strings.HasSuffix(n, "_secret")
}

func typeOf(s *openapi3.Schema) string {
	switch {
	case len(s.OneOf) > 0 || len(s.AllOf) > 0 || len(s.AnyOf) > 0:
		return "request.Object"
	case s.Type.Is("integer"):
		return "request.Integer"
	case s.Type.Is("number"):
		return "request.Number"
	case s.Type.Is("boolean"):
		return "request.Boolean"
	case s.Type.Is("array"):
		return "request.Array"
	case s.Type.Is("object"):
		return "request.Object"
	case s.Type.Is("string") && s.Format == "date-time":
		return "request.DateTime"
	}
	return "request.String"
}

func enumStrings(e []any) []string {
	var out []string
	for _, v := range e {
		if v == nil {
			continue
		}
		out = append(out, fmt.Sprint(v))
	}
	return out
}

var preferredColumns = []string{"id", "name", "code_name", "display_name", "username", "hostname", "type", "status"}

func (g *gen) columns(s *openapi3.Schema) []string {
	props, _ := g.collect(&openapi3.SchemaRef{Value: s})
	if len(props) == 0 {
		return nil
	}
	var names []string
	for n := range props {
		names = append(names, n)
	}
	if ord, ok := g.order[orderKey(names)]; ok {
		names = ord
	} else {
		sort.Strings(names)
		// Variants merged: lead with the usual identifying fields.
		sort.SliceStable(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })
	}
	var cols []string
	for _, n := range names {
		t := typeOf(props[n][0].Value)
		if t == "request.Array" || t == "request.Object" || props[n][0].Value.WriteOnly {
			continue // write-only properties (a user's password) never come back
		}
		cols = append(cols, n)
		if len(cols) == 6 {
			break
		}
	}
	return cols
}

func rank(n string) int {
	for i, p := range preferredColumns {
		if p == n {
			return i
		}
	}
	return len(preferredColumns)
}
