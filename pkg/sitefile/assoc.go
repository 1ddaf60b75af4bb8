package sitefile

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/bulk"
)

// Assoc is a collection under each object of a kind that holds its associations: a Group Policy's members and the
// Jump Groups, Jumpoints, teams and Vault accounts it grants, a team's users. In a file it is a list under the object,
// named like the collection (member:, jump-group:), of entries whose references are names.
type Assoc struct {
	Name                 string // the collection's last path segment: "member", "jump-group"
	List, Create, Delete *request.Op
	Fields               []request.Field
	Refs                 map[string]string
	// IDField is the entry field the delete takes as its second path parameter ("jump_group_id"); empty when the
	// delete takes the entry's own id (a Group Policy member).
	IDField string
}

// findAssocs attaches to each managed kind the association collections under its objects.
func (c *Catalog) findAssocs(root *request.Group) {
	type ops struct{ list, create, del *request.Op }
	byPath := map[string]*ops{}
	get := func(p string) *ops {
		if byPath[p] == nil {
			byPath[p] = &ops{}
		}
		return byPath[p]
	}
	root.Walk(func(_ []string, op *request.Op) {
		switch {
		case op.Method == "GET" && len(op.Args) == 1 && (op.Kind == request.KindList || op.Kind == request.KindRaw):
			get(op.Path).list = op
		case op.Method == "POST" && len(op.Args) == 1 && len(op.Body) > 0:
			get(op.Path).create = op
		case op.Method == "DELETE" && len(op.Args) == 2 && len(op.Body) == 0:
			get(parentOf(op.Path)).del = op
		}
	})
	for p, o := range byPath {
		if o.list == nil || o.create == nil || o.del == nil {
			continue
		}
		parent := parentOf(p) // /group-policy/{id}
		owner := c.Kind(strings.TrimPrefix(parentOf(parent), "/"))
		if owner == nil || !owner.Managed() || parent != parentOf(owner.Update.Path)+"/{"+o.list.Args[0].Param+"}" {
			continue
		}
		a := &Assoc{Name: p[strings.LastIndex(p, "/")+1:], List: o.list, Create: o.create, Delete: o.del, Refs: map[string]string{}}
		for _, f := range o.create.Body {
			if !f.ReadOnly {
				a.Fields = append(a.Fields, f)
				if t := c.refTarget(f); t != "" {
					a.Refs[f.Name] = t
				}
			}
		}
		for _, f := range a.Fields {
			if f.Name == o.del.Args[1].Param {
				a.IDField = f.Name
			}
		}
		owner.Assocs = append(owner.Assocs, a)
	}
	for _, k := range c.Kinds {
		sort.Slice(k.Assocs, func(i, j int) bool { return k.Assocs[i].Name < k.Assocs[j].Name })
	}
}

// assoc returns the association collection of a kind by name.
func (k *Kind) assoc(name string) *Assoc {
	for _, a := range k.Assocs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// asKind describes an association's entries like a kind's objects, for parsing and viewing.
func (a *Assoc) asKind() *Kind {
	return &Kind{Name: a.Name, Fields: a.Fields, Refs: a.Refs, Secret: map[string]bool{}}
}

// readAssocs lists the associations of the objects of a kind named (every object when names is nil).
func (s *Site) readAssocs(ctx context.Context, be request.Backend, k *Kind, names map[string]bool) error {
	for item := range s.rows(k.Name) {
		name, _ := item[k.Key].(string)
		if names != nil && !names[strings.ToLower(name)] {
			continue
		}
		id := idOf(item)
		for _, a := range k.Assocs {
			call := &request.Call{Op: a.List, PathParams: map[string]string{a.List.Args[0].Param: id}, Query: url.Values{}}
			var entries []map[string]any
			err := retryList(ctx, func() error {
				entries = entries[:0]
				return be.List(ctx, call, request.ListOptions{}, func(it any) error {
					if m, ok := it.(map[string]any); ok {
						entries = append(entries, m)
					}
					return nil
				})
			})
			if err != nil {
				return fmt.Errorf("listing %s of %s %q: %w", a.Name, k.Name, name, err)
			}
			s.mu.Lock()
			s.assocs[k.Name+"\x00"+id+"\x00"+a.Name] = entries
			s.mu.Unlock()
		}
	}
	return nil
}

// assocView is the live entries of an object's association as a file describes them.
func (s *Site) assocView(k *Kind, id string, a *Assoc) []map[string]any {
	ak := a.asKind()
	var out []map[string]any
	for _, e := range s.assocs[k.Name+"\x00"+id+"\x00"+a.Name] {
		out = append(out, s.view(ak, e))
	}
	return out
}

// entryMatches reports whether a live entry shows every field an entry of the file gives.
func entryMatches(want, have map[string]any) bool {
	for f, v := range want {
		if !sameValue(v, have[f]) {
			return false
		}
	}
	return true
}

// entryLabel names an entry in a plan: its references by name and its other fields, in field order.
func entryLabel(a *Assoc, e map[string]any) string {
	var parts []string
	for _, f := range a.Fields {
		v, ok := e[f.Name]
		if !ok {
			continue
		}
		d := display(v)
		if s, isStr := d.(string); isStr && a.Refs[f.Name] != "" {
			parts = append(parts, s)
			continue
		}
		b, _ := json.Marshal(d)
		parts = append(parts, a.asKind().FileField(f.Name)+"="+string(b))
	}
	return strings.Join(parts, " ")
}

// assocLevel puts association entries after every object: entries are created once the objects they join exist,
// and removed (in the reverse order) before any object is deleted.
const assocLevel = 500

// diffAssocs compares the association lists an object of the file gives with the site (item, when the object exists
// there): entries to add, and with prune the entries the file does not list.
func (s *Site) diffAssocs(o *Object, item map[string]any, exists, prune bool) []Change {
	var out []Change
	k := o.Kind
	names := make([]string, 0, len(o.Assocs))
	for n := range o.Assocs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := k.assoc(n)
		var have []map[string]any
		var raw []map[string]any
		if exists {
			have = s.assocView(k, idOf(item), a)
			raw = s.assocs[k.Name+"\x00"+idOf(item)+"\x00"+a.Name]
		}
		matched := make([]bool, len(have))
		for _, want := range o.Assocs[n] {
			found := false
			for i, h := range have {
				if !matched[i] && entryMatches(want, h) {
					matched[i], found = true, true
					break
				}
			}
			if found {
				continue
			}
			c := Change{Action: "create", Kind: k.Name + "/" + a.Name, Name: o.Name + ": " + entryLabel(a, want), Fields: map[string]FieldChange{},
				level: assocLevel + k.Level, assoc: a, owner: k, ownerName: o.Name, entry: want}
			for f, v := range want {
				c.Fields[a.asKind().FileField(f)] = FieldChange{New: display(v)}
			}
			out = append(out, c)
		}
		if !prune {
			continue
		}
		for i, h := range have {
			if matched[i] {
				continue
			}
			id := idOf(raw[i])
			if a.IDField != "" {
				id = fmt.Sprint(normalizeID(raw[i][a.IDField]))
			}
			out = append(out, Change{Action: "delete", Kind: k.Name + "/" + a.Name, Name: o.Name + ": " + entryLabel(a, h), id: id,
				level: assocLevel + k.Level, assoc: a, owner: k, ownerName: o.Name})
		}
	}
	return out
}

// assocCall is the call of an association change: the owner's id on this site, and the entry's for a delete.
func (s *Site) assocCall(c Change) (*request.Call, error) {
	ownerID, ok := s.ID(c.owner.Name, c.ownerName)
	if !ok {
		return nil, fmt.Errorf("%s %q does not exist on the site", c.owner.Name, c.ownerName)
	}
	if c.Action == "delete" {
		op := c.assoc.Delete
		return &request.Call{Op: op, PathParams: map[string]string{op.Args[0].Param: ownerID, op.Args[1].Param: c.id}, Query: url.Values{}}, nil
	}
	body := map[string]any{}
	for f, v := range c.entry {
		if refs := refsIn(v); len(refs) == 1 {
			if _, single := v.(Ref); single {
				id, err := s.wireID(refs[0])
				if err != nil {
					return nil, err
				}
				body[f] = id
				continue
			}
		}
		body[f] = v
	}
	op := c.assoc.Create
	return &request.Call{Op: op, PathParams: map[string]string{op.Args[0].Param: ownerID}, Query: url.Values{}, Body: body}, nil
}

// carryOutAssoc adds or removes one association entry exactly once: an add whose answer was lost is looked for in
// the owner's list before it is sent again; a repeated removal that finds nothing succeeded.
func (s *Site) carryOutAssoc(ctx context.Context, be request.Backend, c Change, resumed bool) (string, int, error) {
	call, err := s.assocCall(c)
	if err != nil {
		return "", 0, err
	}
	if c.Action == "delete" {
		tries := 0
		return bulk.Once{Do: func(ctx context.Context) (string, error) {
			tries++
			_, err := be.Invoke(ctx, call)
			if err != nil && (tries > 1 || resumed) && bulk.IsNotFound(err) {
				err = nil
			}
			return c.id, err
		}}.Run(ctx, resumed)
	}
	list := &request.Call{Op: c.assoc.List, PathParams: call.PathParams, Query: url.Values{}}
	resolve := func(ctx context.Context) (string, bool, error) {
		found := false
		err := be.List(ctx, list, request.ListOptions{}, func(it any) error {
			if m, ok := it.(map[string]any); ok && bodyShown(call.Body, m) {
				found = true
			}
			return nil
		})
		return "", found, err
	}
	return bulk.Once{Do: func(ctx context.Context) (string, error) {
		_, err := be.Invoke(ctx, call)
		return "", err
	}, Resolve: resolve}.Run(ctx, resumed)
}

// bodyShown reports whether a listed entry shows every field of a request body it has.
func bodyShown(body, m map[string]any) bool {
	for f, v := range body {
		if mv, ok := m[f]; ok && !sameValue(v, mv) {
			return false
		}
	}
	return true
}
