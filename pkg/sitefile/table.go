package sitefile

import (
	"encoding/json"
	"iter"
	"strings"
)

// table holds the listed objects of a kind compactly: a column per field kept (see Kind.keep), in which each object
// has the index of its value among the column's distinct values. Most fields of a site's objects take a few values
// (a protocol, a Jump Group, a port), so an object costs a few bytes a field instead of a map of its own; an object
// is made a map again, briefly, when it is looked at. Strings and numbers are held unboxed, the strings' bytes in a
// few large blocks: the decoded pages they come from are then garbage as a whole, instead of pages of small objects
// each kept alive by a value or two.
type table struct {
	cols  []*column
	byCol map[string]*column
	rows  int
	index map[string]int32 // lower-case natural key → row (the last one so named)
	text  arena
}

type column struct {
	name string
	// The distinct values: strings, numbers and the others (bool, null, lists, objects; the last two every one).
	strs  []string
	nums  []float64
	vals  []any
	cells []uint32 // per row: 0 when the object does not have the field, else index<<2 | 1 (strs), 2 (nums), 3 (vals)
	// While the kind is read: the cells of values seen (up to internLimit of each sort).
	seenStr map[string]uint32
	seenNum map[float64]uint32
	seen    map[any]uint32
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
			c = &column{name: name, seenStr: map[string]uint32{}, seenNum: map[float64]uint32{}, seen: map[any]uint32{}}
			t.cols = append(t.cols, c)
			t.byCol[name] = c
		}
		for len(c.cells) < r {
			c.cells = append(c.cells, 0)
		}
		c.cells = append(c.cells, t.intern(c, v))
	}
	if name, _ := t.get(r, k.Key); name != nil {
		if s, _ := name.(string); s != "" {
			t.index[t.text.lower(s)] = int32(r)
		}
	}
}

// intern returns the cell of a value: that of an equal value seen before, or of the value added.
func (t *table) intern(c *column, v any) uint32 {
	switch x := v.(type) {
	case string:
		if i, ok := c.seenStr[x]; ok {
			return i
		}
		s := t.text.add(x)
		c.strs = append(c.strs, s)
		i := uint32(len(c.strs)-1)<<2 | 1
		if len(c.seenStr) < internLimit {
			c.seenStr[s] = i
		}
		return i
	case float64:
		if i, ok := c.seenNum[x]; ok {
			return i
		}
		c.nums = append(c.nums, x)
		i := uint32(len(c.nums)-1)<<2 | 2
		if len(c.seenNum) < internLimit {
			c.seenNum[x] = i
		}
		return i
	}
	comparable := false
	switch v.(type) {
	case nil, bool, json.Number, int64, int:
		comparable = true
		if i, ok := c.seen[v]; ok {
			return i
		}
	}
	c.vals = append(c.vals, v)
	i := uint32(len(c.vals)-1)<<2 | 3
	if comparable && len(c.seen) < internLimit {
		c.seen[v] = i
	}
	return i
}

// done drops what only reading needed, and the room left for more by the slices grown while reading.
func (t *table) done() {
	for _, c := range t.cols {
		c.seenStr, c.seenNum, c.seen = nil, nil, nil
		for len(c.cells) < t.rows {
			c.cells = append(c.cells, 0)
		}
		c.cells, c.strs, c.nums, c.vals = exact(c.cells), exact(c.strs), exact(c.nums), exact(c.vals)
	}
}

// exact is a slice in an array of its length.
func exact[T any](s []T) []T {
	if cap(s) == len(s) {
		return s
	}
	return append(make([]T, 0, len(s)), s...)
}

func (c *column) value(cell uint32) any {
	switch cell & 3 {
	case 1:
		return c.strs[cell>>2]
	case 2:
		return c.nums[cell>>2]
	}
	return c.vals[cell>>2]
}

// get is a field of a row, and whether the object has it.
func (t *table) get(r int, field string) (any, bool) {
	c := t.byCol[field]
	if c == nil || r >= len(c.cells) || c.cells[r] == 0 {
		return nil, false
	}
	return c.value(c.cells[r]), true
}

// row makes a row a map again.
func (t *table) row(r int) map[string]any {
	m := make(map[string]any, len(t.cols))
	for _, c := range t.cols {
		if cell := c.cells[r]; cell != 0 {
			m[c.name] = c.value(cell)
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

// arena holds many small strings in a few large blocks.
type arena struct {
	b strings.Builder
}

// add returns a copy of s held in the arena. A block is never written over or moved once a string is taken from it
// (strings.Builder writes within its capacity in place), so the strings stay valid.
func (a *arena) add(s string) string {
	if a.b.Cap()-a.b.Len() < len(s) {
		a.b = strings.Builder{}
		a.b.Grow(max(32<<10, len(s)))
	}
	start := a.b.Len()
	a.b.WriteString(s)
	return a.b.String()[start:]
}

// lower returns s in lower case, held in the arena (s itself when it is so already).
func (a *arena) lower(s string) string {
	if l := strings.ToLower(s); l != s {
		return a.add(l)
	}
	return s
}
