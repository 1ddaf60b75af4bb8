package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

const miniSpec = `openapi: 3.0.0
info: {title: t, version: '9.9'}
paths:
  /widget:
    get:
      operationId: widget.index
      parameters:
        - {name: per_page, in: query, schema: {type: integer}}
        - {name: current_page, in: query, schema: {type: integer}}
        - {name: tag, in: query, schema: {type: string, maxLength: 64}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Widget'}}}}}
    post:
      operationId: widget.store
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Widget'}}}}
      responses:
        '201': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Widget'}}}}
  /widget/{id}:
    delete:
      operationId: widget.destroy
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses: {'204': {description: gone}}
  /widget/{id}/rotate:
    post:
      operationId: widget.rotate
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses: {'204': {description: done}}
  /jump-item/gizmo/{id}/copy:
    post:
      operationId: gizmo.copy
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object}}}}}
  /widget/{id}/installer:
    get:
      operationId: widget.download
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses: {'200': {description: ok, content: {application/x-executable: {schema: {type: string, format: binary}}}}}
components:
  schemas:
    Widget:
      type: object
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string, minLength: 1, maxLength: 10, required: true}
        when: {type: string, format: date-time}
        size: {type: string, enum: [s, m]}
        secret: {type: string, writeOnly: true}
`

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec.yaml")
	if err := os.WriteFile(spec, []byte(miniSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	fixed, order, err := normalise([]byte(miniSpec))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order[orderKey([]string{"id", "name", "when", "size", "secret"})], ","); got != "id,name,when,size,secret" {
		t.Fatalf("declared order %q", got)
	}
	doc, err := openapi3.NewLoader().LoadFromData(fixed)
	if err != nil {
		t.Fatal(err)
	}
	g := &gen{doc: doc, order: order}
	ops, err := g.operations()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*op{}
	for _, o := range ops {
		got[o.method+" "+o.path] = o
	}
	want := map[string]string{
		"GET /widget":                     "widget list",
		"POST /widget":                    "widget create",
		"DELETE /widget/{id}":             "widget delete WIDGET_ID",
		"POST /widget/{id}/rotate":        "widget rotate WIDGET_ID",
		"POST /jump-item/gizmo/{id}/copy": "jump-item copy gizmo JUMP_ITEM_ID",
		"GET /widget/{id}/installer":      "widget installer WIDGET_ID",
	}
	for k, w := range want {
		o := got[k]
		if o == nil {
			t.Fatalf("%s: no operation", k)
		}
		if c := strings.Join(o.cmdPath(), " "); c != w {
			t.Errorf("%s → %q, want %q", k, c, w)
		}
	}
	if k := got["GET /widget"].kind; k != "request.KindList" {
		t.Errorf("list kind %s", k)
	}
	if k := got["GET /widget/{id}/installer"].kind; k != "request.KindDownload" {
		t.Errorf("download kind %s", k)
	}
	if o := got["DELETE /widget/{id}"]; !o.confirm || !o.multiID {
		t.Errorf("delete: confirm %v multi %v", o.confirm, o.multiID)
	}
	fields := map[string]field{}
	for _, f := range got["POST /widget"].body {
		fields[f.Name] = f
	}
	if f := fields["name"]; !f.Required || f.MinLen != 1 || f.MaxLen != 10 {
		t.Errorf("name: %+v (a boolean required in the property must become required)", f)
	}
	if !fields["id"].ReadOnly || fields["when"].Type != "request.DateTime" || !fields["secret"].Secret || len(fields["size"].Enum) != 2 {
		t.Errorf("fields: %+v", fields)
	}
	// Write-only properties never come back: no column for them.
	if c := strings.Join(got["GET /widget"].columns, ","); c != "id,name,when,size" {
		t.Errorf("list columns %s, want id,name,when,size", c)
	}
	if q := got["GET /widget"].query; len(q) != 1 || q[0].Name != "tag" {
		t.Errorf("query: %+v (paging parameters are the engine's)", q)
	}
	out := filepath.Join(dir, "zz.go")
	if err := run(spec, out, false); err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile(out)
	for _, w := range []string{`const SpecVersion = "9.9"`, `const OperationCount = 6`, `var SecretFields = []string{"secret"}`, `Path: "/widget/{id}/rotate"`} {
		if !strings.Contains(string(src), w) {
			t.Errorf("generated code lacks %s", w)
		}
	}
}

// TestRenderedCatalogImportsOnlyTheRequestModel: the generated catalog is data over package request and nothing else,
// and every qualified name it uses belongs to that package (a stale import would only show at the next regeneration).
func TestRenderedCatalogImportsOnlyTheRequestModel(t *testing.T) {
	fixed, order, err := normalise([]byte(miniSpec))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(fixed)
	if err != nil {
		t.Fatal(err)
	}
	g := &gen{doc: doc, order: order}
	ops, err := g.operations()
	if err != nil {
		t.Fatal(err)
	}
	src, err := g.render(ops, "9.9")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "zz_generated.go", src, 0)
	if err != nil {
		t.Fatalf("rendered catalog does not parse: %v", err)
	}
	if len(f.Imports) != 1 || f.Imports[0].Path.Value != `"github.com/infractl/infra/pkg/api/request"` {
		t.Fatalf("imports %v, want only pkg/api/request", f.Imports)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Obj == nil && id.Name != "request" {
				t.Errorf("rendered catalog uses %s.%s", id.Name, sel.Sel.Name)
			}
		}
		return true
	})
}
