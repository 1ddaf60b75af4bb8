package sitefile

import (
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// Change is one step of a plan. Its JSON shape is part of the output contract.
type Change struct {
	Action string                 `json:"action"` // create, update, delete
	Kind   string                 `json:"kind"`
	Name   string                 `json:"name"`
	Fields map[string]FieldChange `json:"fields,omitempty"` // by file field name

	obj   *Object // create, update: the declared object
	id    string  // update, delete: the live object's id
	level int
	// An association entry: the collection, the object it belongs to, the entry (create) or its id (delete).
	assoc     *Assoc
	owner     *Kind
	ownerName string
	entry     map[string]any
}

// FieldChange is one field's old and new value (references by name, credentials by where they come from).
type FieldChange struct {
	Old any `json:"old"`
	New any `json:"new"`
}

// Plan is what apply would do. Its JSON shape is part of the output contract.
type Plan struct {
	Create  int      `json:"create"`
	Update  int      `json:"update"`
	Delete  int      `json:"delete"`
	Changes []Change `json:"changes"`
}

// Empty reports whether the site matches the file.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// CheckRefs finds the references to names that exist neither in the file nor on the site.
func (s *Site) CheckRefs(doc *Document) Problems {
	var ps Problems
	for o := range doc.Objects() {
		ps = append(ps, s.checkRefs(doc, o)...)
	}
	return ps // (when the file could not be read again, doc.Err says why)
}

// checkRefs finds an object's references to names that exist neither in the file nor on the site.
func (s *Site) checkRefs(doc *Document, o *Object) Problems {
	var ps Problems
	for wire, v := range o.Fields {
		for _, ref := range refsIn(v) {
			if doc.Declares(ref.Kind, ref.Name) {
				continue
			}
			if _, ok := s.ID(ref.Kind, ref.Name); !ok {
				ps = append(ps, Problem{doc.File, o.Lines[wire], fmt.Sprintf("%s %q: %s %q exists neither in the file nor on the site", o.Kind.Name, o.Name, ref.Kind, ref.Name)})
			}
		}
	}
	for name, entries := range o.Assocs {
		for i, e := range entries {
			for _, v := range e {
				for _, ref := range refsIn(v) {
					if _, ok := s.ID(ref.Kind, ref.Name); !ok && !doc.Declares(ref.Kind, ref.Name) {
						ps = append(ps, Problem{doc.File, o.AssocLines[name][i], fmt.Sprintf("%s %q: %s: %s %q exists neither in the file nor on the site", o.Kind.Name, o.Name, name, ref.Kind, ref.Name)})
					}
				}
			}
		}
	}
	return ps
}

// Diff compares a file with the site. Fields the file does not give are left as they are; with prune, objects of the
// kinds the file declares that the file does not name are deleted. References to names that exist neither in the
// file nor on the site are Problems. The file's objects are read once, one at a time: only those that change are
// kept, in the plan.
func (s *Site) Diff(doc *Document, prune bool) (*Plan, error) {
	declared := map[string][]bool{} // kind → for each listed object, whether the file names it
	for _, k := range doc.Kinds {
		if t := s.tables[k]; t != nil {
			declared[k] = make([]bool, t.rows)
		}
	}
	p := &Plan{Changes: []Change{}}
	var ps Problems
	for o := range doc.Objects() {
		if refs := s.checkRefs(doc, o); len(refs) > 0 || len(ps) > 0 {
			ps = append(ps, refs...)
			continue
		}
		k := o.Kind
		var item map[string]any
		r, exists := s.find(k.Name, o.Name)
		if exists {
			declared[k.Name][r] = true
			item = s.tables[k.Name].row(r)
		}
		p.Changes = append(p.Changes, s.diffAssocs(o, item, exists, prune)...)
		if !exists {
			c := Change{Action: "create", Kind: k.Name, Name: o.Name, Fields: map[string]FieldChange{}, obj: o, level: k.Level}
			for wire, v := range o.Fields {
				c.Fields[k.FileField(wire)] = FieldChange{Old: nil, New: display(v)}
			}
			p.Changes = append(p.Changes, c)
			continue
		}
		view := s.view(k, item)
		c := Change{Action: "update", Kind: k.Name, Name: o.Name, Fields: map[string]FieldChange{}, obj: o, id: idOf(item), level: k.Level}
		for wire, v := range o.Fields {
			if _, secret := v.(Secret); secret {
				continue // a credential cannot be read back; it is only sent on create
			}
			have := view[wire]
			if !k.sameField(wire, v, have) {
				c.Fields[k.FileField(wire)] = FieldChange{Old: display(have), New: display(v)}
			}
		}
		if len(c.Fields) > 0 {
			p.Changes = append(p.Changes, c)
		}
	}
	if err := doc.Err(); err != nil {
		return nil, err
	}
	if len(ps) > 0 {
		return nil, ps
	}
	if prune {
		for _, kname := range doc.Kinds {
			k := s.cat.Kind(kname)
			if k.Singleton {
				continue // one object per site: never deleted
			}
			t := s.tables[kname]
			for r := range declared[kname] {
				v, _ := t.get(r, k.Key)
				name, _ := v.(string)
				if name == "" || declared[kname][t.index[strings.ToLower(name)]] {
					continue // not named, or named in the file (every object of that name)
				}
				p.Changes = append(p.Changes, Change{Action: "delete", Kind: kname, Name: name, id: t.id(r), level: k.Level})
			}
		}
	}
	sortChanges(p.Changes)
	for _, c := range p.Changes {
		switch c.Action {
		case "create":
			p.Create++
		case "update":
			p.Update++
		case "delete":
			p.Delete++
		}
	}
	return p, nil
}

// sortChanges puts creates and updates in dependency order (kinds referred to first), then deletes in reverse.
func sortChanges(cs []Change) {
	rank := func(c Change) int {
		if c.Action == "delete" {
			return 1000 - c.level
		}
		return c.level
	}
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if rank(a) != rank(b) {
			return rank(a) < rank(b)
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Action != b.Action {
			return a.Action < b.Action
		}
		return a.Name < b.Name
	})
}

// refsIn lists the references of a field value (one, or a list).
func refsIn(v any) []Ref {
	switch t := v.(type) {
	case Ref:
		return []Ref{t}
	case []any:
		var out []Ref
		for _, x := range t {
			if r, ok := x.(Ref); ok {
				out = append(out, r)
			}
		}
		return out
	}
	return nil
}

func sameValue(want, have any) bool {
	if w, ok := want.([]any); ok && len(refsIn(w)) > 0 {
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !sameValue(w[i], h[i]) {
				return false
			}
		}
		return true
	}
	if r, ok := want.(Ref); ok {
		hr, ok := have.(Ref)
		return ok && hr.Kind == r.Kind && strings.EqualFold(hr.Name, r.Name)
	}
	return reflect.DeepEqual(normalize(want), normalize(have))
}

// display is a value as plan shows it: a reference by name, a credential by its source.
func display(v any) any {
	switch t := v.(type) {
	case Ref:
		return t.Name
	case Secret:
		return "(" + t.From + ")"
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = display(x)
		}
		return out
	}
	return exportValue(normalize(v))
}

// WriteText prints a plan for people: one line per object, one indented line per field, old → new.
func (p *Plan) WriteText(w io.Writer) error {
	if p.Empty() {
		_, err := fmt.Fprintln(w, "No changes: the site matches the file.")
		return err
	}
	sign := map[string]string{"create": "+", "update": "~", "delete": "-"}
	for _, c := range p.Changes {
		fmt.Fprintf(w, "%s %s %s %q\n", sign[c.Action], c.Action, c.Kind, c.Name)
		names := make([]string, 0, len(c.Fields))
		for n := range c.Fields {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fc := c.Fields[n]
			if c.Action == "create" {
				continue // the file shows what is created
			}
			fmt.Fprintf(w, "    %s: %s → %s\n", n, show(fc.Old), show(fc.New))
		}
	}
	_, err := fmt.Fprintf(w, "Plan: %d to create, %d to update, %d to delete.\n", p.Create, p.Update, p.Delete)
	return err
}

func show(v any) string {
	if v == nil {
		return "(none)"
	}
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}
