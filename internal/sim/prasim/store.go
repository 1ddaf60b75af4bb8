package prasim

import (
	"fmt"
	"strconv"
	"strings"
)

// resource is a declared Resource with its derived routing and relations.
type resource struct {
	Resource
	segs      []string    // collection path segments; "{x}" for placeholders
	ancestors []*resource // outermost first; len == number of placeholders
	children  []*resource // resources whose Parent is this one
	referrers []refUse    // fields of other resources that point here
}

type refUse struct {
	res   *resource
	field string
	on    RefAction
}

// registry holds the compiled resources.
type registry struct {
	byName map[string]*resource
	list   []*resource
}

func splitPath(p string) []string {
	return strings.Split(strings.TrimPrefix(p, "/"), "/")
}

func isPlaceholder(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// newRegistry checks the declarations and links parents, children and
// references. Declaration mistakes are programming errors.
func newRegistry(decls []Resource) (*registry, error) {
	g := &registry{byName: map[string]*resource{}}
	for _, d := range decls {
		if _, dup := g.byName[d.Name]; dup || d.Name == "" {
			return nil, fmt.Errorf("resource %q declared twice or unnamed", d.Name)
		}
		r := &resource{Resource: d, segs: splitPath(d.Path)}
		if r.field(r.key()) == nil {
			return nil, fmt.Errorf("resource %q: key field %q not declared", d.Name, r.key())
		}
		g.byName[d.Name] = r
		g.list = append(g.list, r)
	}
	for _, r := range g.list {
		if r.Parent != "" {
			p, ok := g.byName[r.Parent]
			if !ok {
				return nil, fmt.Errorf("resource %q: unknown parent %q", r.Name, r.Parent)
			}
			p.children = append(p.children, r)
		}
		for _, f := range r.Fields {
			if f.Ref == "" {
				continue
			}
			t, ok := g.byName[f.Ref]
			if !ok || t.Parent != "" {
				return nil, fmt.Errorf("resource %q field %q: reference to %q must name a top-level resource", r.Name, f.Name, f.Ref)
			}
			t.referrers = append(t.referrers, refUse{res: r, field: f.Name, on: f.OnDelete})
		}
	}
	for _, r := range g.list {
		for p := r.Parent; p != ""; p = g.byName[p].Parent {
			r.ancestors = append([]*resource{g.byName[p]}, r.ancestors...)
			if len(r.ancestors) > len(g.list) {
				return nil, fmt.Errorf("resource %q: parent cycle", r.Name)
			}
		}
		n := 0
		for _, s := range r.segs {
			if isPlaceholder(s) {
				n++
			}
		}
		if n != len(r.ancestors) {
			return nil, fmt.Errorf("resource %q: path %q has %d placeholders for %d ancestors", r.Name, r.Path, n, len(r.ancestors))
		}
	}
	return g, nil
}

// match is a resolved request path.
type match struct {
	res  *resource
	item bool
	keys []int64 // ancestor keys, then the item key when item is set
}

// parseID accepts the decimal form of an object id (1 to 2^31-1).
func parseID(s string) (int64, bool) {
	if s == "" || s[0] == '+' || s[0] == '-' || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > maxInt32 {
		return 0, false
	}
	return n, true
}

// parentKeys returns the keys naming the collection instance.
func (m *match) parentKeys() []int64 {
	if m.item {
		return m.keys[:len(m.keys)-1]
	}
	return m.keys
}

// itemPath renders the path of an item of res in the collection named by
// parentKeys.
func (r *resource) itemPath(parentKeys []int64, key int64) string {
	var b strings.Builder
	i := 0
	for _, s := range r.segs {
		b.WriteByte('/')
		if isPlaceholder(s) {
			b.WriteString(strconv.FormatInt(parentKeys[i], 10))
			i++
			continue
		}
		b.WriteString(s)
	}
	b.WriteByte('/')
	b.WriteString(strconv.FormatInt(key, 10))
	return b.String()
}

// table is one collection instance: rows in insertion order.
type table struct {
	order []int64
	rows  map[int64]Row
}

func (t *table) list() []Row {
	out := make([]Row, 0, len(t.order))
	for _, k := range t.order {
		out = append(out, t.rows[k])
	}
	return out
}

func (t *table) remove(key int64) {
	delete(t.rows, key)
	for i, k := range t.order {
		if k == key {
			t.order = append(t.order[:i:i], t.order[i+1:]...)
			return
		}
	}
}

// store holds every collection instance, by resource name and scope. The
// scope of a top-level collection is ""; a nested collection's scope is its
// ancestor keys joined by "/".
type store struct {
	tables map[string]map[string]*table
	seq    map[string]int64
}

func newStore() *store {
	return &store{tables: map[string]map[string]*table{}, seq: map[string]int64{}}
}

func scopeOf(keys []int64) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strconv.FormatInt(k, 10)
	}
	return strings.Join(parts, "/")
}

func childScope(scope string, key int64) string {
	if scope == "" {
		return strconv.FormatInt(key, 10)
	}
	return scope + "/" + strconv.FormatInt(key, 10)
}

// table returns the collection instance, creating it when create is set.
func (s *store) table(res *resource, scope string, create bool) *table {
	byScope := s.tables[res.Name]
	if byScope == nil {
		if !create {
			return nil
		}
		byScope = map[string]*table{}
		s.tables[res.Name] = byScope
	}
	t := byScope[scope]
	if t == nil && create {
		t = &table{rows: map[int64]Row{}}
		byScope[scope] = t
	}
	return t
}

func (s *store) get(res *resource, scope string, key int64) (Row, bool) {
	t := s.table(res, scope, false)
	if t == nil {
		return nil, false
	}
	row, ok := t.rows[key]
	return row, ok
}

// insert stores row under its key, assigning the next id when the resource
// numbers its own rows.
func (s *store) insert(res *resource, scope string, row Row) int64 {
	var key int64
	if res.ClientKey {
		key = row[res.key()].(int64)
	} else {
		s.seq[res.Name]++
		key = s.seq[res.Name]
		row[res.key()] = key
	}
	t := s.table(res, scope, true)
	t.rows[key] = row
	t.order = append(t.order, key)
	return key
}

// parentsExist reports whether every ancestor named by keys exists; when not,
// it returns the first missing ancestor.
func (s *store) parentsExist(res *resource, keys []int64) (*resource, bool) {
	for i, a := range res.ancestors {
		if _, ok := s.get(a, scopeOf(keys[:i]), keys[i]); !ok {
			return a, false
		}
	}
	return nil, true
}

// blockers returns a message when a Restrict reference still points at the
// row, which must then not be deleted.
func (s *store) blockers(res *resource, scope string, key int64) string {
	if scope != "" {
		return ""
	}
	for _, ref := range res.referrers {
		if ref.on != Restrict {
			continue
		}
		f := ref.res.field(ref.field)
		for _, t := range s.tables[ref.res.Name] {
			for _, row := range t.rows {
				if f.AltRef != "" && row[f.AltWhenField] == f.AltWhenValue {
					continue // the value names an item of AltRef instead
				}
				if v, ok := row[ref.field].(int64); ok && v == key {
					return fmt.Sprintf("The %s is still referenced by a %s.", res.Label, ref.res.Label)
				}
			}
		}
	}
	return ""
}

// delete removes a row, its nested collections, and applies the delete
// actions of references to it.
func (s *store) delete(res *resource, scope string, key int64) {
	t := s.table(res, scope, false)
	if t == nil {
		return
	}
	if _, ok := t.rows[key]; !ok {
		return
	}
	t.remove(key)
	cs := childScope(scope, key)
	for _, c := range res.children {
		if ct := s.table(c, cs, false); ct != nil {
			for _, k := range append([]int64(nil), ct.order...) {
				s.delete(c, cs, k)
			}
			delete(s.tables[c.Name], cs)
		}
	}
	if scope != "" {
		return
	}
	for _, ref := range res.referrers {
		for sc, rt := range s.tables[ref.res.Name] {
			for _, k := range append([]int64(nil), rt.order...) {
				row, ok := rt.rows[k]
				if !ok {
					continue
				}
				if v, isInt := row[ref.field].(int64); !isInt || v != key {
					continue
				}
				if f := ref.res.field(ref.field); f.AltRef != "" && row[f.AltWhenField] == f.AltWhenValue {
					continue
				}
				switch ref.on {
				case Cascade:
					s.delete(ref.res, sc, k)
				case SetNull:
					row[ref.field] = nil
				}
			}
		}
	}
}
