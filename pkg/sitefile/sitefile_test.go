package sitefile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/infractl/infra/pkg/api/request"
	pracat "github.com/infractl/infra/pkg/catalog/pra"
)

// fakeSite is an in-memory backend: collections by path, ids counted per collection.
type fakeSite struct {
	mu    sync.Mutex
	items map[string][]map[string]any
	next  int
	sent  []string // "METHOD path" of every mutating call, in order
}

func newFakeSite() *fakeSite { return &fakeSite{items: map[string][]map[string]any{}, next: 100} }

func (f *fakeSite) add(path string, m map[string]any) {
	f.next++
	m["id"] = float64(f.next)
	f.items[path] = append(f.items[path], m)
}

func (f *fakeSite) List(_ context.Context, c *request.Call, _ request.ListOptions, each func(any) error) error {
	f.mu.Lock()
	items := append([]map[string]any(nil), f.items[c.Path()]...)
	f.mu.Unlock()
	for _, it := range items {
		if err := each(it); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeSite) Invoke(_ context.Context, c *request.Call) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, c.Op.Method+" "+c.Op.Path)
	switch c.Op.Method {
	case "POST":
		m := map[string]any{}
		for k, v := range c.Body {
			m[k] = normalize(v)
		}
		f.next++
		m["id"] = float64(f.next)
		f.items[c.Op.Path] = append(f.items[c.Op.Path], m)
		return m, nil
	case "PATCH", "PUT", "DELETE":
		coll := c.Op.Path[:strings.LastIndex(c.Op.Path, "/")]
		for i, it := range f.items[coll] {
			if fmt.Sprint(normalizeID(it["id"])) != c.PathParams[c.Op.Args[0].Param] {
				continue
			}
			if c.Op.Method == "DELETE" {
				f.items[coll] = append(f.items[coll][:i], f.items[coll][i+1:]...)
				return nil, nil
			}
			for k, v := range c.Body {
				it[k] = normalize(v)
			}
			return it, nil
		}
		return nil, errors.New("not found")
	}
	return nil, errors.New("unexpected call")
}

func praCatalog() *Catalog { return NewCatalog("pra", pracat.Root(), pracat.IsSecret) }

func seeded() *fakeSite {
	f := newFakeSite()
	f.add("/jump-group", map[string]any{"name": "Prod", "code_name": "prod", "comments": "live"})
	f.add("/jump-group", map[string]any{"name": "Old", "code_name": "old", "comments": nil})
	f.add("/jumpoint", map[string]any{"name": "DC", "platform": "linux-x86", "enabled": true})
	prod := f.items["/jump-group"][0]["id"]
	jp := f.items["/jumpoint"][0]["id"]
	f.add("/jump-item/shell-jump", map[string]any{"name": "web-1", "hostname": "10.0.0.1", "jump_group_id": prod, "jumpoint_id": jp, "jump_group_type": "shared", "port": float64(22)})
	return f
}

func TestCatalogOrdersKindsByReference(t *testing.T) {
	c := praCatalog()
	pos := map[string]int{}
	for i, k := range c.Managed() {
		pos[k.Name] = i
	}
	for _, pair := range [][2]string{
		{"jump-group", "jump-item/shell-jump"}, {"jumpoint", "jump-item/shell-jump"}, {"jump-policy", "jump-item/web-jump"},
		{"vault/account-group", "vault/account"},
	} {
		a, aok := pos[pair[0]]
		b, bok := pos[pair[1]]
		if !aok || !bok || a >= b {
			t.Errorf("%s (at %d) must come before %s (at %d)", pair[0], a, pair[1], b)
		}
	}
	k := c.Kind("jump-item/shell-jump")
	if k.Refs["jump_group_id"] != "jump-group" || k.Refs["jumpoint_id"] != "jumpoint" || k.FileField("jump_group_id") != "jump_group" {
		t.Errorf("shell-jump references: %v", k.Refs)
	}
	if gp := c.Kind("group-policy"); gp.Refs["default_jump_item_role_id"] != "jump-item-role" {
		t.Errorf("group-policy references: %v", gp.Refs)
	}
	if u := c.Kind("user"); u.Key != "username" || !u.Secret["password"] {
		t.Errorf("user: key %q, secrets %v", u.Key, u.Secret)
	}
}

func TestExportThenPlanIsEmpty(t *testing.T) {
	c := praCatalog()
	be := seeded()
	kinds := []string{"jump-group", "jumpoint", "jump-item/shell-jump"}
	site, err := c.Read(context.Background(), be, kinds, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := site.Export(&buf, kinds, "test"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"jump_group: Prod", "jumpoint: DC", "comments: null"} {
		if !strings.Contains(out, want) {
			t.Errorf("export lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "id:") {
		t.Errorf("export shows ids:\n%s", out)
	}
	doc, err := c.Parse("site.yaml", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := site.Diff(doc, true)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Empty() {
		t.Fatalf("plan of the exported site is not empty: %+v", plan.Changes)
	}

	// Applied to an empty site, in dependency order; then the plan there is empty too.
	empty := newFakeSite()
	site2, err := c.Read(context.Background(), empty, doc.Kinds, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plan2, err := site2.Diff(doc, false)
	if err != nil {
		t.Fatal(err)
	}
	if plan2.Create != 4 {
		t.Fatalf("creates: %d, want 4", plan2.Create)
	}
	if _, err := site2.Apply(context.Background(), empty, doc, plan2, ApplyOptions{Concurrency: 4}); err != nil {
		t.Fatal(err)
	}
	last := empty.sent[len(empty.sent)-1]
	if last != "POST /jump-item/shell-jump" {
		t.Errorf("the Jump Item must be created last, after its group and jumpoint: %v", empty.sent)
	}
	site3, _ := c.Read(context.Background(), empty, doc.Kinds, ReadOptions{})
	plan3, err := site3.Diff(doc, true)
	if err != nil || !plan3.Empty() {
		t.Fatalf("after apply: %v %+v", err, plan3)
	}
	item := empty.items["/jump-item/shell-jump"][0]
	if item["jump_group_id"] != empty.items["/jump-group"][1]["id"] && item["jump_group_id"] != empty.items["/jump-group"][0]["id"] {
		t.Errorf("the reference was not resolved to the new site's id: %v", item)
	}
}

func TestDiffFieldByFieldAndPrune(t *testing.T) {
	c := praCatalog()
	be := seeded()
	file := `jump-group:
  - name: Prod
    comments: changed
  - name: New
jump-item/shell-jump:
  - name: web-1
    port: 2222
    jump_group: New
`
	doc, err := c.Parse("f.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	site, err := c.Read(context.Background(), be, doc.Kinds, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := site.Diff(doc, true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range plan.Changes {
		s := ch.Action + " " + ch.Kind + " " + ch.Name
		if ch.Action == "update" {
			for f, fc := range ch.Fields {
				s += fmt.Sprintf(" %s:%v→%v", f, fc.Old, fc.New)
			}
		}
		got = append(got, s)
	}
	want := []string{
		"create jump-group New",
		"update jump-group Prod comments:live→changed",
		"update jump-item/shell-jump web-1", // two fields, checked below
		"delete jump-group Old",
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || !strings.HasPrefix(got[2], want[2]) || got[3] != want[3] {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	fields := plan.Changes[2].Fields
	if len(fields) != 2 || fields["port"].Old != int64(22) || fields["port"].New != int64(2222) || fields["jump_group"].Old != "Prod" || fields["jump_group"].New != "New" {
		t.Errorf("shell-jump fields: %+v", fields)
	}
	if plan.Create != 1 || plan.Update != 2 || plan.Delete != 1 {
		t.Errorf("counts: %+v", plan)
	}
	// Without --prune nothing is deleted; kinds the file does not declare are never pruned (the jumpoint).
	plan, _ = site.Diff(doc, false)
	if plan.Delete != 0 {
		t.Errorf("deletes without prune: %+v", plan.Changes)
	}
}

func TestParseReportsEveryProblemWithItsLine(t *testing.T) {
	c := praCatalog()
	file := `jump-group:
  - name: A
    bogus: 1
  - name: a
jump-item/shell-jump:
  - name: s
    port: "22"
    jump_group_type: private
user:
  - username: u
    password: plain
  - username: v
    password: {from: env:V_PW}
nope: []
`
	_, err := c.Parse("f.yaml", []byte(file))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want Problems, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`f.yaml:3: jump-group: unknown field "bogus"`,
		`f.yaml:4: jump-group "a" is declared twice (first on line 2)`,
		`f.yaml:7: jump-item/shell-jump: port: expected a whole number, got "22"`,
		`f.yaml:8: jump-item/shell-jump: jump_group_type: "private" is not one of shared, personal`,
		`f.yaml:11: user: password: a credential is never written in the file`,
		`f.yaml:14: unknown kind "nope"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if len(ps) != 6 {
		t.Errorf("%d problems, want 6:\n%s", len(ps), msg)
	}
	if _, err := c.Parse("f.yaml", []byte("jump-group: [\n")); err == nil || !strings.HasPrefix(err.Error(), "1 problem in the site file") || !strings.Contains(err.Error(), "f.yaml:") {
		t.Errorf("syntax error: %v", err)
	}
}

func TestSecretsAreReadBeforeAnythingIsSent(t *testing.T) {
	c := praCatalog()
	doc, err := c.Parse("u.yaml", []byte("jump-group:\n  - name: G\nuser:\n  - username: u\n    public_display_name: U\n    password: {from: env:U_PW}\n"))
	if err != nil {
		t.Fatal(err)
	}
	be := newFakeSite()
	site, _ := c.Read(context.Background(), be, doc.Kinds, ReadOptions{})
	plan, _ := site.Diff(doc, false)
	_, err = site.Apply(context.Background(), be, doc, plan, ApplyOptions{Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "u.yaml:6: user \"u\": password: environment variable U_PW is not set") || len(be.sent) != 0 {
		t.Fatalf("err %v, sent %v", err, be.sent)
	}
	var masked []string
	_, err = site.Apply(context.Background(), be, doc, plan, ApplyOptions{Getenv: func(string) string { return "pw-1" },
		OnSecret: func(s string) { masked = append(masked, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(masked) != 1 || masked[0] != "pw-1" {
		t.Errorf("credentials given to be masked: %q", masked)
	}
	for _, u := range be.items["/user"] {
		if u["password"] != "pw-1" {
			t.Errorf("the user was created without its credential: %v", u)
		}
	}
}

func TestSchemaCoversEveryManagedKind(t *testing.T) {
	c := praCatalog()
	names, _ := c.KindNames(nil)
	s := c.Schema(names)
	props := s["properties"].(map[string]any)
	for _, n := range names {
		if props[n] == nil {
			t.Errorf("schema lacks %s", n)
		}
	}
	item := props["jump-item/shell-jump"].(map[string]any)["items"].(map[string]any)["properties"].(map[string]any)
	if item["jump_group"] == nil || item["jump_group_id"] != nil || item["id"] != nil {
		t.Errorf("shell-jump properties: references by name, no ids: %v", item)
	}
	user := props["user"].(map[string]any)["items"].(map[string]any)["properties"].(map[string]any)
	if pw := user["password"].(map[string]any); pw["type"] != "object" {
		t.Errorf("a credential is a {from: …} object: %v", pw)
	}
}

func TestAssociationsByNameAfterObjects(t *testing.T) {
	c := praCatalog()
	gp := c.Kind("group-policy")
	if gp.assoc("member") == nil || gp.assoc("jump-group") == nil || gp.assoc("jump-group").IDField != "jump_group_id" {
		t.Fatalf("group-policy associations: %+v", gp.Assocs)
	}
	if gp.assoc("member").IDField != "" {
		t.Errorf("a member is removed by its own id")
	}
	file := `jump-group:
  - name: Prod
group-policy:
  - name: Ops
    jump-group:
      - jump_group: Prod
        jump_item_role: Admin
`
	doc, err := c.Parse("f.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	be := newFakeSite()
	be.add("/jump-item-role", map[string]any{"name": "Admin"})
	site, err := c.Read(context.Background(), be, doc.Kinds, ReadOptions{Doc: doc})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := site.Diff(doc, true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range plan.Changes {
		got = append(got, ch.Action+" "+ch.Kind+" "+ch.Name)
	}
	want := "create jump-group Prod|create group-policy Ops|create group-policy/jump-group Ops: Prod Admin"
	if strings.Join(got, "|") != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.ReplaceAll(want, "|", "\n"))
	}
	if _, err := site.Apply(context.Background(), be, doc, plan, ApplyOptions{Concurrency: 2}); err != nil {
		t.Fatal(err)
	}
	if last := be.sent[len(be.sent)-1]; last != "POST /group-policy/{id}/jump-group" {
		t.Errorf("the association must be added last: %v", be.sent)
	}
}

func TestKindNamesTakeFamilies(t *testing.T) {
	c := praCatalog()
	got, err := c.KindNames([]string{"jump-group", "jump-item"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 9 || got[0] != "jump-group" || !strings.HasPrefix(got[len(got)-1], "jump-item/") {
		t.Errorf("kinds: %v", got)
	}
	if _, err := c.KindNames([]string{"jump-itemz"}); err == nil || !strings.Contains(err.Error(), `unknown kind(s) jump-itemz`) {
		t.Errorf("unknown kind: %v", err)
	}
	all, _ := c.KindNames(nil)
	for _, n := range all {
		if n == "vault/account" {
			t.Errorf("a full export leaves Vault accounts out (their credentials and user names cannot be read)")
		}
	}
}
