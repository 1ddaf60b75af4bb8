package sitefile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
	vcat "github.com/infractl/infra/pkg/catalog/virtomize"
)

// applianceFake is an in-memory Virtomize appliance: collections keyed by "key", and singletons (/setting,
// /setting/notification) that are one object each, read whole and merged by PUT.
type applianceFake struct {
	mu         sync.Mutex
	items      map[string][]map[string]any
	singletons map[string]map[string]any
	next       int
	sent       []string
	loseCreate string // a collection whose next create is stored but answered with a 502
}

func newApplianceFake() *applianceFake {
	f := &applianceFake{items: map[string][]map[string]any{}, next: 0, singletons: map[string]map[string]any{
		"/setting": {"installtimeout": float64(2400000000000), "regexfilter": "", "ignorefilter": []any{}, "loglevelcore": "info"},
		// An appliance without a mail server: port 0 is what it shows, and what it refuses on a PUT.
		"/setting/notification": {"mailserver": "", "mailport": float64(0), "username": ""},
	}}
	f.add("/users", map[string]any{"username": "admin"})
	f.add("/users", map[string]any{"username": "operator"})
	f.add("/usergroups", map[string]any{"groupname": "operators", "users": []any{float64(1)}})
	return f
}

func (f *applianceFake) add(path string, m map[string]any) float64 {
	f.next++
	m["key"] = float64(f.next)
	f.items[path] = append(f.items[path], m)
	return float64(f.next)
}

func (f *applianceFake) List(_ context.Context, c *request.Call, _ request.ListOptions, each func(any) error) error {
	f.mu.Lock()
	var items []any
	if s, ok := f.singletons[c.Path()]; ok {
		items = []any{copyMap(s)}
	}
	for _, it := range f.items[c.Path()] {
		items = append(items, copyMap(it))
	}
	f.mu.Unlock()
	for _, it := range items {
		if err := each(it); err != nil {
			return err
		}
	}
	return nil
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (f *applianceFake) Invoke(_ context.Context, c *request.Call) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, c.Op.Method+" "+c.Op.Path)
	body := map[string]any{}
	for k, v := range c.Body {
		body[k] = normalize(v)
	}
	if s, ok := f.singletons[c.Op.Path]; ok && c.Op.Method == "PUT" {
		if p, ok := body["mailport"].(float64); ok && (p < 1 || p > 65535) {
			return nil, &api.HTTPError{StatusCode: 400, Message: "mailport out of range"}
		}
		for k, v := range body {
			s[k] = v
		}
		return copyMap(s), nil
	}
	switch c.Op.Method {
	case "POST":
		f.add(c.Op.Path, body)
		if f.loseCreate == c.Op.Path {
			f.loseCreate = ""
			return nil, &api.HTTPError{StatusCode: 502, Status: "502 Bad Gateway"}
		}
		return copyMap(body), nil
	case "PUT", "DELETE":
		coll := c.Op.Path[:strings.LastIndex(c.Op.Path, "/")]
		for i, it := range f.items[coll] {
			if fmt.Sprint(normalizeID(it["key"])) != c.PathParams[c.Op.Args[0].Param] {
				continue
			}
			if c.Op.Method == "DELETE" {
				f.items[coll] = append(f.items[coll][:i], f.items[coll][i+1:]...)
				return nil, nil
			}
			for k, v := range body {
				it[k] = v
			}
			return copyMap(it), nil
		}
		return nil, &api.HTTPError{StatusCode: 404}
	}
	return nil, errors.New("unexpected call")
}

func (f *applianceFake) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.items[path])
}

// applianceCatalog is the Virtomize catalog with the options the virtomize commands give it.
func applianceCatalog() *Catalog {
	return NewCatalog("virtomize", vcat.Root(), func(string) bool { return false }, Options{
		Refs:          map[string]string{"userkey": "users", "usergroupkey": "usergroups", "users": "users"},
		Keys:          map[string]string{"usergroups": "groupname"},
		Skip:          []string{"virtualmachines"},
		SecretField:   vcat.SecretField,
		CompositeKeys: map[string][]string{"notificationfilter": {"userkey", "type", "to"}, "resourcecontingents": {"usergroupkey"}},
		Singletons:    []string{"setting", "setting/notification"},
		Durations:     []string{"installtimeout"},
	})
}

var derivedKinds = []string{"notificationfilter", "resourcecontingents", "setting", "setting/notification"}

func seededAppliance() *applianceFake {
	f := newApplianceFake()
	f.add("/notificationfilter", map[string]any{"userkey": float64(2), "type": "mail", "to": "ops@example.com", "filter": []any{"error"}})
	f.add("/resourcecontingents", map[string]any{"usergroupkey": float64(3), "cpulimit": float64(64), "memorylimit": "256GB",
		"disclimit": "4TB", "vmlimit": float64(50)})
	f.singletons["/setting"]["installtimeout"] = float64(3600000000000)
	f.singletons["/setting/notification"] = map[string]any{"mailserver": "smtp.example.com", "mailport": float64(465), "username": "mailer"}
	return f
}

func TestCompositeKeysAndSingletonsInTheCatalog(t *testing.T) {
	c := applianceCatalog()
	nf := c.Kind("notificationfilter")
	if nf == nil || !nf.Managed() || nf.Refs["userkey"] != "users" || nf.keyFields() != "userkey, type and to" {
		t.Fatalf("notificationfilter: %+v", nf)
	}
	if rc := c.Kind("resourcecontingents"); rc == nil || rc.keyFields() != "usergroupkey" || rc.Refs["usergroupkey"] != "usergroups" {
		t.Fatalf("resourcecontingents: %+v", rc)
	}
	for _, name := range []string{"setting", "setting/notification"} {
		k := c.Kind(name)
		if k == nil || !k.Singleton || !k.Managed() || k.Create != nil || k.Delete != nil || k.Update.Method != "PUT" {
			t.Fatalf("%s: %+v", name, k)
		}
	}
	if !c.Kind("setting/notification").Secret["password"] || !c.Kind("setting").Duration["installtimeout"] {
		t.Error("the mail password is a secret and the install timeout a duration")
	}
	if c.Kind("servicesettings") != nil {
		t.Error("/servicesettings is not a kind: /setting carries its log levels")
	}
	names, err := c.KindNames([]string{"setting"})
	if err != nil || strings.Join(names, ",") != "setting,setting/notification" {
		t.Errorf("KindNames(setting) = %v, %v", names, err)
	}
	// Composite keys are written first, in their order; references among them by name.
	var order []string
	for _, f := range nf.exportOrder() {
		order = append(order, f.Name)
	}
	if strings.Join(order, ",") != "userkey,type,to,filter" {
		t.Errorf("export order %v", order)
	}
}

func exportKinds(t *testing.T, c *Catalog, be request.Backend, kinds []string) string {
	t.Helper()
	site, err := c.Read(context.Background(), be, kinds, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := site.Export(&buf, kinds, ""); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func planFor(t *testing.T, c *Catalog, be request.Backend, doc *Document, prune bool) (*Site, *Plan) {
	t.Helper()
	site, err := c.Read(context.Background(), be, doc.Kinds, ReadOptions{Doc: doc})
	if err != nil {
		t.Fatal(err)
	}
	p, err := site.Diff(doc, prune)
	if err != nil {
		t.Fatal(err)
	}
	return site, p
}

func TestDerivedKindsCopyToAnotherSite(t *testing.T) {
	c := applianceCatalog()
	text := exportKinds(t, c, seededAppliance(), derivedKinds)
	for _, want := range []string{
		"notificationfilter:\n  - userkey: operator\n    type: mail\n    to: ops@example.com\n",
		"resourcecontingents:\n  - usergroupkey: operators\n    cpulimit: 64\n",
		"setting:\n  regexfilter: \"\"\n", "  installtimeout: 1h\n",
		"setting/notification:\n  mailserver: smtp.example.com\n  mailport: 465\n  username: mailer\n  password: {from: 'env:VIRTOMIZE_SETTING_NOTIFICATION_PASSWORD'}\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("export lacks %q:\n%s", want, text)
		}
	}
	doc, err := c.Parse("site.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if _, p := planFor(t, c, seededAppliance(), doc, true); !p.Empty() {
		t.Fatalf("plan against the exported site: %+v", p.Changes)
	}

	empty := newApplianceFake()
	site, p := planFor(t, c, empty, doc, true)
	var got []string
	for _, ch := range p.Changes {
		got = append(got, ch.Action+" "+ch.Kind+" "+ch.Name)
	}
	want := "update setting setting,update setting/notification setting/notification,create notificationfilter operator/mail/ops@example.com," +
		"create resourcecontingents operators"
	if strings.Join(got, ",") != want {
		t.Fatalf("plan on an empty site:\n got %s\nwant %s", strings.Join(got, ","), want)
	}
	if fc := p.Changes[0].Fields["installtimeout"]; fc.Old != "40m" || fc.New != "1h" {
		t.Errorf("installtimeout change %+v", fc)
	}
	res, err := site.Apply(context.Background(), empty, doc, p, ApplyOptions{Getenv: func(n string) string {
		return map[string]string{"VIRTOMIZE_SETTING_NOTIFICATION_PASSWORD": "smtp-pass"}[n]
	}})
	if err != nil || res.Failed != 0 {
		t.Fatalf("apply: %+v, %v", res, err)
	}
	if got := empty.singletons["/setting/notification"]["password"]; got != "smtp-pass" {
		t.Errorf("the mail password sent is %v", got)
	}
	if _, p := planFor(t, c, empty, doc, true); !p.Empty() {
		t.Fatalf("plan after apply: %+v", p.Changes)
	}
}

func TestEmptyApplianceExportApplies(t *testing.T) {
	c := applianceCatalog()
	text := exportKinds(t, c, newApplianceFake(), []string{"setting/notification"})
	if strings.Contains(text, "mailport") {
		t.Errorf("a port of 0, which the appliance refuses, is exported:\n%s", text)
	}
	if _, err := c.Parse("site.yaml", []byte(text)); err != nil {
		t.Errorf("the export of an empty appliance does not parse: %v", err)
	}
}

func TestDurationsCompareByMeaning(t *testing.T) {
	c := applianceCatalog()
	for v, same := range map[string]bool{"40m": true, "40m0s": true, "2400s": true, "2400000000000": true, `"2400000000000"`: true,
		"41m": false, "1h": false, "2400000000001": false} {
		doc, err := c.Parse("s.yaml", []byte("setting:\n  installtimeout: "+v+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if _, p := planFor(t, c, newApplianceFake(), doc, false); p.Empty() != same {
			t.Errorf("installtimeout %s against 2400000000000: same %v, plan %+v", v, same, p.Changes)
		}
	}
	_, err := c.Parse("s.yaml", []byte("setting:\n  installtimeout: soon\n"))
	if err == nil || !strings.Contains(err.Error(), `s.yaml:2: setting: installtimeout: "soon" is not a duration`) {
		t.Errorf("a bad duration: %v", err)
	}
}

func TestPruneNeverDeletesSingletons(t *testing.T) {
	c := applianceCatalog()
	doc, err := c.Parse("s.yaml", []byte("notificationfilter: []\nsetting:\nsetting/notification: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, p := planFor(t, c, seededAppliance(), doc, true)
	if len(p.Changes) != 1 || p.Changes[0].Action != "delete" || p.Changes[0].Kind != "notificationfilter" {
		t.Fatalf("prune: %+v", p.Changes)
	}
}

func TestParseProblemsOfDerivedKinds(t *testing.T) {
	c := applianceCatalog()
	_, err := c.Parse("s.yaml", []byte(`setting:
  - loglevelcore: debug
setting/notification:
  password: inline
notificationfilter:
  - userkey: admin
    type: mail
  - {userkey: admin, type: mail, to: a@example.com}
  - {userkey: admin, type: mail, to: A@example.com}
`))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want problems, got %v", err)
	}
	want := []string{
		"s.yaml:2: setting: expected one object (field: value lines), not a list",
		"s.yaml:4: setting/notification: password: a credential is never written in the file: give {from: env:NAME} or {from: file:PATH}",
		"s.yaml:6: notificationfilter: the object has no userkey, type and to (the natural key that names it)",
		`s.yaml:9: notificationfilter "admin/mail/A@example.com" is declared twice (first on line 8)`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in\n%v", w, err)
		}
	}
	if len(ps) != len(want) {
		t.Errorf("%d problems, want %d:\n%v", len(ps), len(want), err)
	}
}

func TestLostCreateOfCompositeKindIsLookedUp(t *testing.T) {
	c := applianceCatalog()
	doc, err := c.Parse("s.yaml", []byte("notificationfilter:\n  - {userkey: operator, type: mail, to: ops@example.com, filter: [error]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	be := newApplianceFake()
	be.loseCreate = "/notificationfilter"
	site, p := planFor(t, c, be, doc, false)
	res, err := site.Apply(context.Background(), be, doc, p, ApplyOptions{})
	if err != nil || res.Done != 1 {
		t.Fatalf("apply: %+v, %v", res, err)
	}
	if n := be.count("/notificationfilter"); n != 1 {
		t.Errorf("%d filters after a lost create answer, want 1", n)
	}
}

func TestSchemaOfDerivedKinds(t *testing.T) {
	s := applianceCatalog().Schema(derivedKinds)
	props := s["properties"].(map[string]any)
	setting := props["setting"].(map[string]any)
	if fmt.Sprint(setting["type"]) != "[object null]" {
		t.Errorf("setting: %v", setting["type"])
	}
	if it := setting["properties"].(map[string]any)["installtimeout"].(map[string]any); fmt.Sprint(it["type"]) != "[string integer]" {
		t.Errorf("installtimeout: %v", it)
	}
	items := props["notificationfilter"].(map[string]any)["items"].(map[string]any)
	if fmt.Sprint(items["required"]) != "[userkey type to]" {
		t.Errorf("notificationfilter required %v", items["required"])
	}
}

// A file with singletons (mappings, not lists) and kinds named by composite keys reads in pieces as it reads whole:
// the same kinds, names, objects and problems.
func TestPiecesOfDerivedKinds(t *testing.T) {
	c := applianceCatalog()
	for _, text := range []string{
		"notificationfilter:\n  - user: admin\n    type: mail\n    to: ops@example.com\nsetting:\n  installtimeout: 40m\nsetting/notification:\n  mailport: 25\n",
		"setting:\n  installtimeout: 40m\n  bogus: 1\nnotificationfilter:\n  - user: admin\n    type: mail\n    to: a@example.com\n  - user: admin\n    type: mail\n    to: a@example.com\n",
		"setting:\n  - installtimeout: 40m\n",
	} {
		_, _, ok := c.parsePieces("f.yaml", bytesOpener([]byte(text)))
		if !ok {
			t.Errorf("%q: not read in pieces", text)
		}
		doc, err := c.Parse("f.yaml", []byte(text))
		wdoc, werr := c.parseWhole("f.yaml", []byte(text))
		if fmt.Sprint(err) != fmt.Sprint(werr) || !sameDocument(doc, wdoc) {
			t.Errorf("%q:\npieces: %v %+v\nwhole:  %v %+v", text, err, doc, werr, wdoc)
		}
	}
	doc, err := c.Parse("f.yaml", []byte("setting:\n  installtimeout: 40m\nsetting/notification:\n  mailport: 25\n"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for o := range doc.Objects() {
		names = append(names, o.Name)
	}
	if got := strings.Join(names, " "); got != "setting setting/notification" {
		t.Errorf("objects %q", got)
	}
}
