package sitefile

import (
	"encoding/json"
	"iter"
	"strings"
)

// table holds the listed objects of a kind compactly: a column per field kept (see Kind.keep), in which each object
// has the index of its value among the column's distinct values. Most fields of a site's objects take a few values
// (a protocol, a Jump Group, a port), so an object costs a few bytes a field instead of a map of its own; an object
// is made a map again, briefly, when it is looked at.
type table struct {
	cols  []*column
	byCol map[string]*column
	rows  int
	index map[string]int32 // lower-case natural key → row (the last one so named)
}

type column struct {
	name  string
	vals  []any    // distinct values (those that are not comparable: every one)
	cells []uint32 // per row: 1 + the index of its value in vals; 0 when the object does not have the field
	seen  map[any]uint32
}

// internLimit caps, per column, the values remembered for sharing while a kind is read: a field whose values are all
// different (a name) gains nothing from it.
const internLimit = 1024

func newTable() *table { return &table{byCol: map[string]*column{}, index: map[string]int32{}} }

// add appends an object (trimmed by Kind.keep).
func (t *table) add(k *Kind, m map[string]any) {
	r := t.rows
	t.rows++
	for name, v := range m {
		c := t.byCol[name]
		if c == nil {
			c = &column{name: name, seen: map[any]uint32{}}
			t.cols = append(t.cols, c)
			t.byCol[name] = c
		}
		for len(c.cells) < r {
			c.cells = append(c.cells, 0)
		}
		c.cells = append(c.cells, c.intern(v))
	}
	if name, _ := m[k.Key].(string); name != "" {
		t.index[strings.ToLower(name)] = int32(r)
	}
}

// intern returns the cell of a value: the index of an equal value seen before, or of the value added.
func (c *column) intern(v any) uint32 {
	comparable := false
	switch v.(type) {
	case nil, string, float64, bool, json.Number, int64, int:
		comparable = true
	}
	if comparable {
		if i, ok := c.seen[v]; ok {
			return i
		}
	}
	c.vals = append(c.vals, v)
	i := uint32(len(c.vals))
	if comparable && len(c.seen) < internLimit {
		c.seen[v] = i
	}
	return i
}

// done drops what only reading needed.
func (t *table) done() {
	for _, c := range t.cols {
		c.seen = nil
		for len(c.cells) < t.rows {
			c.cells = append(c.cells, 0)
		}
	}
}

// get is a field of a row, and whether the object has it.
func (t *table) get(r int, field string) (any, bool) {
	c := t.byCol[field]
	if c == nil || c.cells[r] == 0 {
		return nil, false
	}
	return c.vals[c.cells[r]-1], true
}

// row makes a row a map again.
func (t *table) row(r int) map[string]any {
	m := make(map[string]any, len(t.cols))
	for _, c := range t.cols {
		if i := c.cells[r]; i != 0 {
			m[c.name] = c.vals[i-1]
		}
	}
	return m
}

// all yields every row as a map, in the order listed.
func (t *table) all() iter.Seq[map[string]any] {
	return func(yield func(map[string]any) bool) {
		for r := range t.rows {
			if !yield(t.row(r)) {
				return
			}
		}
	}
}

// id is a row's id (see idOf).
func (t *table) id(r int) string {
	m := map[string]any{}
	for _, f := range []string{"id", "key", "uuid"} {
		if v, ok := t.get(r, f); ok {
			m[f] = v
		}
	}
	return idOf(m)
}
