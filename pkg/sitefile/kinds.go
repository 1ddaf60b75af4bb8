// Package sitefile keeps a site's configuration as a reviewed file: it exports the resources of a site to one YAML
// document, compares such a document with a live site (plan) and carries the difference out (apply). It is driven by a
// vendor's operation catalog as data: a kind is every resource the API can both list and create, its fields are the
// create operation's body fields that are not read-only, and a field holding the id of another kind ("jump_group_id")
// is written in the file as that object's natural key (its name), so a file applies to another site.
package sitefile

import (
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/infractl/infra/pkg/api/request"
)

// Kind is one resource type a site file can hold.
type Kind struct {
	Name   string // the collection's API path without the leading slash: "jump-group", "jump-item/shell-jump"
	Key    string // natural key field: name, username, display_name…
	List   *request.Op
	Create *request.Op // nil for a kind only referred to (read-only lists such as security providers)
	Update *request.Op
	Delete *request.Op
	// Fields are the writable fields of the file, by wire name, in catalog order.
	Fields []request.Field
	// Refs maps a wire field holding an id ("jump_group_id") to the kind it refers to.
	Refs map[string]string
	// Secret reports the fields that hold credentials: never exported, read from env: or file: on apply.
	Secret map[string]bool
	// Level orders creates: a kind comes after every kind it refers to.
	Level int
	// Assocs are the association collections under each object (a Group Policy's members…).
	Assocs []*Assoc
	// Composite lists the wire fields whose values together name an object of a kind without a name field of its
	// own (a notification filter: its user, type and address); Key is then derivedKey.
	Composite []string
	// Singleton marks a kind that is one object per site (the appliance settings): read whole, changed with Update
	// (a PUT on the collection's own path), never created or deleted.
	Singleton bool
	// Duration marks the fields the API shows as a count of nanoseconds and takes as a duration ("40m") too.
	Duration map[string]bool

	orderOnce sync.Once
	order     []request.Field
}

// Managed reports whether the file may declare objects of the kind (it can be listed, created and changed, or it is a
// singleton that can be read and changed).
func (k *Kind) Managed() bool { return k.Create != nil || k.Singleton }

// FileField is the name of a wire field in the file: a reference drops its "_id" suffix ("_ids" becomes "s":
// team_ids → teams).
func (k *Kind) FileField(wire string) string {
	if _, ok := k.Refs[wire]; ok {
		if s, ok := strings.CutSuffix(wire, "_ids"); ok {
			return s + "s"
		}
		return strings.TrimSuffix(wire, "_id")
	}
	return wire
}

// field returns the catalog field for a name used in the file (a reference's file name or its wire name).
func (k *Kind) field(fileName string) (*request.Field, bool) {
	for i := range k.Fields {
		f := &k.Fields[i]
		if f.Name == fileName || k.FileField(f.Name) == fileName {
			return f, true
		}
	}
	return nil, false
}

// Catalog is every kind of one vendor.
type Catalog struct {
	Vendor string
	Kinds  []*Kind // managed kinds in apply order (Level, then name), then referred-only kinds
	byName map[string]*Kind

	refOnce sync.Once
	targets map[string]bool // kinds referred to by id
}

// Kind returns a kind by name.
func (c *Catalog) Kind(name string) *Kind { return c.byName[name] }

// Managed returns the kinds a file may declare, in apply order.
func (c *Catalog) Managed() []*Kind {
	var out []*Kind
	for _, k := range c.Kinds {
		if k.Managed() {
			out = append(out, k)
		}
	}
	return out
}

// naturalKeys are the fields tried, in order, as a kind's natural key.
var naturalKeys = []string{"name", "username", "display_name", "hostname"}

// Options describe what a vendor's catalog does not say by its names.
type Options struct {
	// Refs maps fields holding ids that are not named "<kind>_id" or "<kind>_ids" to the kind they refer to
	// (Virtomize: "clusterkey" → "clusters").
	Refs map[string]string
	// Keys gives the natural key of kinds without a name field (Virtomize callbacks: "callbackurl").
	Keys map[string]string
	// Skip lists kinds that are not configuration (virtual machines are workloads).
	Skip []string
	// SecretField returns a credential an operation takes beside its body fields (Virtomize's passwords).
	SecretField func(op *request.Op) (request.Field, bool)
	// CompositeKeys names the objects of kinds without a name field by several of their fields, references among
	// them by the name of the object referred to (Virtomize notification filters: "userkey", "type", "to").
	CompositeKeys map[string][]string
	// Singletons are collections that are one object, read with a GET and replaced with a PUT on their own path
	// (Virtomize "setting"): exported as one object, planned field by field, never created, deleted or pruned.
	Singletons []string
	// Durations are fields the API shows as a count of nanoseconds and takes as a duration such as 40m too: they are
	// exported as durations and compared by what they mean.
	Durations []string
}

// NewCatalog builds the kinds from a vendor's operation tree. secret reports credential fields. Collections under a
// parent object (paths with parameters) are left out.
func NewCatalog(vendor string, root *request.Group, secret func(field string) bool, opt ...Options) *Catalog {
	var o Options
	if len(opt) > 0 {
		o = opt[0]
	}
	opts := o
	type ops struct{ list, create, update, del *request.Op }
	byPath := map[string]*ops{}
	get := func(p string) *ops {
		if byPath[p] == nil {
			byPath[p] = &ops{}
		}
		return byPath[p]
	}
	walk := func(op *request.Op) {
		p := op.Path
		switch {
		case len(op.Args) == 0 && slices.Contains(opts.Singletons, strings.TrimPrefix(p, "/")) && (op.Method == "GET" || op.Method == "PUT"):
			if op.Method == "GET" {
				get(p).list = op
			} else {
				get(p).update = op
			}
		case op.Method == "GET" && (op.Kind == request.KindList || op.Kind == request.KindRaw) && len(op.Args) == 0 && !strings.Contains(p, "{"):
			get(p).list = op
		case op.Method == "POST" && len(op.Args) == 0 && !strings.Contains(p, "{") && len(op.Body) > 0:
			get(p).create = op
		case (op.Method == "PATCH" || op.Method == "PUT") && len(op.Args) == 1 && p == parentOf(p)+"/{"+op.Args[0].Param+"}":
			get(parentOf(p)).update = op
		case op.Method == "DELETE" && len(op.Args) == 1 && len(op.Body) == 0 && p == parentOf(p)+"/{"+op.Args[0].Param+"}":
			get(parentOf(p)).del = op
		}
	}
	for _, op := range root.Ops {
		walk(op)
	}
	root.Walk(func(_ []string, op *request.Op) { walk(op) })
	c := &Catalog{Vendor: vendor, byName: map[string]*Kind{}}
	for p, o := range byPath {
		if o.list == nil {
			continue
		}
		k := &Kind{Name: strings.TrimPrefix(p, "/"), List: o.list, Refs: map[string]string{}, Secret: map[string]bool{}}
		body := o.list.Query
		if o.create != nil && o.update != nil && o.del != nil && !slices.Contains(opts.Skip, k.Name) {
			k.Create, k.Update, k.Delete = o.create, o.update, o.del
			body = o.create.Body
		}
		if key := opts.Keys[k.Name]; key != "" {
			k.Key = key
		}
		if slices.Contains(opts.Singletons, k.Name) && o.update != nil {
			k.Singleton, k.Update, k.Key = true, o.update, derivedKey
			body = o.update.Body
		}
		if keys := opts.CompositeKeys[k.Name]; len(keys) > 0 && k.Managed() {
			k.Composite, k.Key = keys, derivedKey
		}
		for _, f := range body {
			if !f.ReadOnly {
				k.Fields = append(k.Fields, f)
			}
		}
		if write := k.writeOp(); opts.SecretField != nil && write != nil {
			if f, ok := opts.SecretField(write); ok {
				k.Fields = append(k.Fields, f)
				k.Secret[f.Name] = true
			}
		}
		for _, name := range naturalKeys {
			if k.Key != "" {
				break
			}
			for _, f := range body {
				if f.Name == name && f.Type == request.String {
					k.Key = name
				}
			}
			if k.Key == "" && !k.Managed() && slices.Contains(o.list.Columns, name) {
				k.Key = name // a kind only referred to: its list's columns say what names it
			}
		}
		if k.Key == "" {
			continue
		}
		if !k.Managed() {
			k.Fields = nil
		}
		for _, f := range k.Fields {
			if secret(f.Name) {
				k.Secret[f.Name] = true
			}
			if slices.Contains(opts.Durations, f.Name) {
				k.markDuration(f.Name)
			}
		}
		c.Kinds = append(c.Kinds, k)
		c.byName[k.Name] = k
	}
	for _, k := range c.Kinds {
		for _, f := range k.Fields {
			if target := opts.Refs[f.Name]; target != "" && c.byName[target] != nil {
				k.Refs[f.Name] = target
			} else if target := c.refTarget(f); target != "" {
				k.Refs[f.Name] = target
			}
		}
	}
	c.order()
	c.findAssocs(root)
	return c
}

func parentOf(p string) string {
	if i := strings.LastIndex(p, "/"); i > 0 {
		return p[:i]
	}
	return ""
}

// refTarget finds the kind an integer "…_id" field refers to: the kind whose last path segment, with '-' as '_',
// ends the field's stem (default_jump_item_role_id → jump-item-role); the longest match wins.
func (c *Catalog) refTarget(f request.Field) string {
	var stem string
	switch {
	case f.Type == request.Integer && strings.HasSuffix(f.Name, "_id"):
		stem = strings.TrimSuffix(f.Name, "_id")
	case f.Type == request.Array && f.Items == request.Integer && strings.HasSuffix(f.Name, "_ids"):
		stem = strings.TrimSuffix(f.Name, "_ids")
	default:
		return ""
	}
	best, bestLen := "", 0
	for _, k := range c.Kinds {
		seg := strings.ReplaceAll(k.Name[strings.LastIndex(k.Name, "/")+1:], "-", "_")
		if (stem == seg || strings.HasSuffix(stem, "_"+seg)) && len(seg) > bestLen {
			best, bestLen = k.Name, len(seg)
		}
	}
	return best
}

// order computes each kind's level (after every kind it refers to) and sorts the kinds by it.
func (c *Catalog) order() {
	level := map[string]int{}
	var visit func(k *Kind, depth int) int
	visit = func(k *Kind, depth int) int {
		if l, ok := level[k.Name]; ok {
			return l
		}
		if depth > len(c.Kinds) {
			return 0
		}
		l := 0
		for _, t := range k.Refs {
			if t == k.Name {
				continue
			}
			l = max(l, visit(c.byName[t], depth+1)+1)
		}
		level[k.Name] = l
		return l
	}
	for _, k := range c.Kinds {
		k.Level = visit(k, 0)
	}
	sort.SliceStable(c.Kinds, func(i, j int) bool {
		a, b := c.Kinds[i], c.Kinds[j]
		if a.Managed() != b.Managed() {
			return a.Managed()
		}
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		return a.Name < b.Name
	})
}
