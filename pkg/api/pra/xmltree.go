package pra

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/infractl/infra/pkg/jsonq"
)

// Kinds of a converted value.
const (
	tvString uint8 = iota
	tvObject
	tvList
)

// tval is a converted element (or attribute) held without maps: a string, an object (the tree's fields
// [off:off+n], sorted by key, keys unique) or a list (the tree's vals [off:off+n]).
type tval struct {
	kind   uint8
	str    string
	off, n int32
}

type tfield struct {
	key string
	v   tval
}

// tentry is an attribute or a child of an open element, in document order, kept until the element ends.
type tentry struct {
	key  string
	v    tval
	attr bool
}

// tree holds the converted elements of one item or document in flat slices that are reused from item to item, so a
// report is converted without a map or an interface per value. Its values are those decodeElement documents;
// toAny turns one into the map form, appendJSON and cell write it as the output package would write that form.
type tree struct {
	fields []tfield
	vals   []tval
	ents   []tentry // entries of the open elements, innermost last
	// elems remembers, per element name, its list children and the last sequences of keys sorted with their sorted
	// order: the elements of a report repeat a few shapes, so most are put in order without comparing keys.
	elems map[string]*elemInfo
	tmp   []tentry
}

// elemInfo is what the tree remembers of the elements of one name.
type elemInfo struct {
	lists  []string // listChildren
	orders [maxOrders]keyOrder
	n      int // orders used
	next   int // the order replaced when all are used
}

// maxOrders is how many shapes (sequences of keys) are remembered per element name.
const maxOrders = 8

// keyOrder is a sequence of keys and the positions that sort it stably.
type keyOrder struct {
	keys []string
	perm []int
}

// maxElems bounds the element names remembered; past it, elements are converted without the memory.
const maxElems = 1024

// info returns what is remembered of the elements called local, nil past maxElems names.
func (t *tree) info(local string) *elemInfo {
	if e, ok := t.elems[local]; ok {
		return e
	}
	if t.elems == nil {
		t.elems = map[string]*elemInfo{}
	}
	if len(t.elems) >= maxElems {
		return nil
	}
	e := &elemInfo{lists: listChildren[local]}
	t.elems[local] = e
	return e
}

// lists returns the list children of the elements called local.
func (t *tree) lists(e *elemInfo, local string) []string {
	if e != nil {
		return e.lists
	}
	return listChildren[local]
}

func (t *tree) reset() {
	t.fields, t.vals, t.ents = t.fields[:0], t.vals[:0], t.ents[:0]
}

// decode converts the element whose start s has just read (see decodeElement for the rules).
func (t *tree) decode(s *xmlScanner) (tval, error) {
	local := s.name.local
	base := len(t.ents)
	attrs := false
	for _, a := range s.attrs {
		if sp := s.translate(a.name, false); sp == xmlnsPrefix || (sp == "" && a.name.local == xmlnsPrefix) {
			continue
		}
		attrs = true
		t.ents = append(t.ents, tentry{key: a.name.local, v: tval{str: a.value}, attr: true})
	}
	textStart := len(s.text)
	children := 0
	for {
		tok, err := s.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return tval{}, fmt.Errorf("the XML answer ends inside <%s>", local)
			}
			return tval{}, fmt.Errorf("the answer is not well-formed XML: %w", err)
		}
		switch tok {
		case tokStart:
			children++
			name := s.name.local
			v, err := t.decode(s)
			if err != nil {
				return tval{}, err
			}
			t.ents = append(t.ents, tentry{key: name, v: v})
		case tokEnd:
			txt := s.str(bytes.TrimSpace(s.text[textStart:]))
			s.text = s.text[:textStart]
			v := t.finish(local, base, attrs || children > 0, children, txt)
			t.ents = t.ents[:base]
			return v, nil
		}
	}
}

func byKey(a, b tfield) int { return strings.Compare(a.key, b.key) }

// finish converts an element called local once its end is read: its attributes and children are t.ents[base:], obj
// says whether it has attributes or children, txt is its trimmed text.
func (t *tree) finish(local string, base int, obj bool, children int, txt string) tval {
	if !obj {
		if txt != "" {
			return tval{str: txt}
		}
		if lists := t.lists(t.info(local), local); len(lists) > 0 {
			off := len(t.fields)
			t.fields = append(t.fields, tfield{key: lists[0], v: tval{kind: tvList, off: int32(len(t.vals))}})
			return tval{kind: tvObject, off: int32(off), n: 1}
		}
		return tval{str: txt}
	}
	e := t.info(local)
	lists := t.lists(e, local)
	ents := t.ents[base:]
	t.sort(e, ents)
	off := len(t.fields)
	for i := 0; i < len(ents); {
		key := ents[i].key
		j := i
		var attr *tentry
		for ; j < len(ents) && ents[j].key == key && ents[j].attr; j++ {
			attr = &ents[j] // a repeated attribute name (another prefix): the last one wins
		}
		kids := j
		for j < len(ents) && ents[j].key == key {
			j++
		}
		var v tval
		switch {
		case kids < j && slices.Contains(lists, key): // a list child: always a list, of the children only
			v = t.list(nil, ents[kids:j])
		case kids == j:
			v = attr.v
		case attr == nil && j-kids == 1:
			v = ents[kids].v
		default: // repeated: a list of the attribute's value, if any, and the children
			v = t.list(attr, ents[kids:j])
		}
		t.fields = append(t.fields, tfield{key: key, v: v})
		i = j
	}
	sorted := true
	if len(lists) > 0 && children == 0 && !t.has(off, lists[0]) {
		t.fields = append(t.fields, tfield{key: lists[0], v: tval{kind: tvList, off: int32(len(t.vals))}})
		sorted = false
	}
	if txt != "" {
		key := TextKey
		if t.has(off, TextKey) {
			key = "#text"
		}
		t.fields = append(t.fields, tfield{key: key, v: tval{str: txt}})
		sorted = false
	}
	if !sorted {
		slices.SortFunc(t.fields[off:], byKey)
	}
	return tval{kind: tvObject, off: int32(off), n: int32(len(t.fields) - off)}
}

// sort orders the entries of an element (e is what is remembered of its name, nil for nothing) by key, stably:
// attributes were recorded before children, so each key's attributes come first.
func (t *tree) sort(e *elemInfo, ents []tentry) {
	if len(ents) < 2 {
		return
	}
	if e == nil {
		slices.SortStableFunc(ents, func(a, b tentry) int { return strings.Compare(a.key, b.key) })
		return
	}
	for k := range e.orders[:e.n] {
		if o := &e.orders[k]; o.same(ents) {
			t.permute(o, ents)
			return
		}
	}
	var o *keyOrder
	if e.n < maxOrders {
		o = &e.orders[e.n]
		e.n++
	} else {
		o = &e.orders[e.next]
		e.next = (e.next + 1) % maxOrders
	}
	o.keys = o.keys[:0]
	o.perm = o.perm[:0]
	for i := range ents {
		o.keys = append(o.keys, ents[i].key)
		o.perm = append(o.perm, i)
	}
	slices.SortStableFunc(o.perm, func(a, b int) int { return strings.Compare(o.keys[a], o.keys[b]) })
	t.permute(o, ents)
}

// same reports whether ents have o's keys, in o's order.
func (o *keyOrder) same(ents []tentry) bool {
	if len(o.keys) != len(ents) {
		return false
	}
	for i := range ents {
		if ents[i].key != o.keys[i] {
			return false
		}
	}
	return true
}

// permute puts ents in the sorted order o remembers for their keys.
func (t *tree) permute(o *keyOrder, ents []tentry) {
	t.tmp = append(t.tmp[:0], ents...)
	for i, j := range o.perm {
		ents[i] = t.tmp[j]
	}
}

// list stores the attribute's value (when not nil) and the children's as one list.
func (t *tree) list(attr *tentry, kids []tentry) tval {
	off := len(t.vals)
	if attr != nil {
		t.vals = append(t.vals, attr.v)
	}
	for _, k := range kids {
		t.vals = append(t.vals, k.v)
	}
	return tval{kind: tvList, off: int32(off), n: int32(len(t.vals) - off)}
}

// has reports whether the object being finished, whose fields start at off, has key.
func (t *tree) has(off int, key string) bool {
	for _, f := range t.fields[off:] {
		if f.key == key {
			return true
		}
	}
	return false
}

func (t *tree) object(v tval) []tfield { return t.fields[v.off : v.off+v.n] }

// toAny is v in the JSON form (map[string]any, []any, string).
func (t *tree) toAny(s *xmlScanner, v tval) any {
	switch v.kind {
	case tvObject:
		m := make(map[string]any, v.n)
		for _, f := range t.object(v) {
			m[f.key] = t.toAny(s, f.v)
		}
		return m
	case tvList:
		l := make([]any, v.n)
		for i, e := range t.vals[v.off : v.off+v.n] {
			l[i] = t.toAny(s, e)
		}
		return l
	}
	return s.box(v.str)
}

// appendJSON appends v as the output package writes its JSON form on one line: keys sorted, no HTML escaping.
func (t *tree) appendJSON(dst []byte, v tval) []byte {
	switch v.kind {
	case tvObject:
		dst = append(dst, '{')
		for i, f := range t.object(v) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonq.AppendString(dst, f.key)
			dst = append(dst, ':')
			dst = t.appendJSON(dst, f.v)
		}
		return append(dst, '}')
	case tvList:
		dst = append(dst, '[')
		for i, e := range t.vals[v.off : v.off+v.n] {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = t.appendJSON(dst, e)
		}
		return append(dst, ']')
	}
	return jsonq.AppendString(dst, v.str)
}

// flat finds the value FlattenRow puts under col in the object v: an object's text under its own name, its other
// fields under NAME.KEY. top is set for an item itself, whose "value" field is a field like any other.
func (t *tree) flat(v tval, col string, top bool) (tval, bool) {
	for _, f := range t.object(v) {
		if !top && f.key == TextKey {
			continue
		}
		if col == f.key {
			if f.v.kind != tvObject {
				return f.v, true
			}
			for _, g := range t.object(f.v) {
				if g.key == TextKey {
					return g.v, true
				}
			}
			continue
		}
		if f.v.kind == tvObject && len(col) > len(f.key) && col[len(f.key)] == '.' && strings.HasPrefix(col, f.key) {
			if r, ok := t.flat(f.v, col[len(f.key)+1:], false); ok {
				return r, true
			}
		}
	}
	return tval{}, false
}

// Row is an item of a row report as the scanner converted it, without maps; it is valid until the next call of
// NextRow.
type Row struct {
	t *tree
	s *xmlScanner
	v tval // an object; an item with only text is kept as a string and shown as {"value": text}
}

// Map returns the item in the JSON form, as Next does.
func (r *Row) Map() map[string]any {
	v := r.t.toAny(r.s, r.v)
	m, ok := v.(map[string]any)
	if !ok {
		m = map[string]any{TextKey: v}
	}
	return m
}

// AppendJSON appends the item as one line of JSON, byte for byte what the output package writes for Map().
func (r *Row) AppendJSON(dst []byte) []byte {
	if r.v.kind != tvObject {
		dst = append(dst, `{"`+TextKey+`":`...)
		return append(r.t.appendJSON(dst, r.v), '}')
	}
	return r.t.appendJSON(dst, r.v)
}

// Cell returns the table or CSV cell of column col, as the output package writes it for FlattenRow(Map()): a
// string as it is, a list or object as compact JSON, nothing for a missing field.
func (r *Row) Cell(col string) string {
	if r.v.kind != tvObject {
		if col == TextKey {
			return r.v.str
		}
		return ""
	}
	v, ok := r.t.flat(r.v, col, true)
	switch {
	case !ok:
		return ""
	case v.kind == tvString:
		return v.str
	}
	return string(r.t.appendJSON(nil, v))
}
