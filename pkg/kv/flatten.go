package kv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Flatten turns decoded JSON data into pairs the way btapi prints them.
//
// Keys of nested objects are joined with "__" and list elements are keyed by
// their index, so a list of objects gives `0__id`, `0__name`, `1__id`, and so
// on: lists in index order, object keys sorted, recursively. A single object
// gives `id`, `name`; a scalar at the top gives the single key "value". Null
// becomes a null pair, and so does an empty object or list below the top (an
// empty one at the top gives no pairs).
//
// Values are expected in the form encoding/json decodes to with UseNumber;
// anything else is passed through a JSON round trip first. Strings get
// Quoted set exactly when [Encode] would quote them, so Encode followed by
// Parse gives back the same pairs.
func Flatten(v any) []Pair {
	v = normalize(v)
	switch t := v.(type) {
	case map[string]any:
		var out []Pair
		for _, k := range sortedKeys(t) {
			out = appendFlat(out, k, t[k])
		}
		return out
	case []any:
		var out []Pair
		for i, e := range t {
			out = appendFlat(out, strconv.Itoa(i), e)
		}
		return out
	default:
		return appendFlat(nil, "value", v)
	}
}

// FlattenItem gives the pairs that [Flatten] would produce for the element at
// index of a list, so a long list can be written one element at a time.
func FlattenItem(index int, v any) []Pair {
	return appendFlat(nil, strconv.Itoa(index), normalize(v))
}

func appendFlat(dst []Pair, key string, v any) []Pair {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			return append(dst, Pair{Key: key})
		}
		for _, k := range sortedKeys(t) {
			dst = appendFlat(dst, key+Sep+k, t[k])
		}
		return dst
	case []any:
		if len(t) == 0 {
			return append(dst, Pair{Key: key})
		}
		for i, e := range t {
			dst = appendFlat(dst, key+Sep+strconv.Itoa(i), e)
		}
		return dst
	case string:
		return append(dst, Pair{Key: key, Value: t, Quoted: NeedsQuotes(t)})
	case json.Number:
		return append(dst, Pair{Key: key, Value: t.String(), Quoted: NeedsQuotes(t.String())})
	case bool:
		return append(dst, Pair{Key: key, Value: strconv.FormatBool(t)})
	case nil:
		return append(dst, Pair{Key: key})
	default:
		// normalize only leaves the types above; be safe anyway.
		s := fmt.Sprint(t)
		return append(dst, Pair{Key: key, Value: s, Quoted: NeedsQuotes(s)})
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// normalize makes sure v only holds map[string]any, []any, string,
// json.Number, bool and nil, going through JSON for anything else.
func normalize(v any) any {
	if IsPlain(v) {
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return fmt.Sprint(v)
	}
	return out
}

// IsPlain reports whether v holds only what encoding/json decodes into with UseNumber (nil, string, json.Number,
// bool, map[string]any and []any), so it can be walked without converting it first.
func IsPlain(v any) bool {
	switch t := v.(type) {
	case nil, string, json.Number, bool:
		return true
	case map[string]any:
		for _, e := range t {
			if !IsPlain(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range t {
			if !IsPlain(e) {
				return false
			}
		}
		return true
	}
	return false
}

// maxGap bounds how far a list index may run past the number of elements
// given, so that a stray huge index cannot allocate a huge list.
const maxGap = 1024

// Unflatten rebuilds nested data from flattened pairs, the inverse of
// [Flatten]: keys are split on "__", an object whose keys are all list
// indexes (0, 1, 2, ... without leading zeros) becomes a list, and indexes
// that were not given are null. Values stay strings; a null pair gives nil.
//
// Without pairs the result is an empty object. A lone `value=` pair gives an
// object with the key "value", not a bare scalar, since the two cannot be
// told apart. A key that is both a value and a parent of other keys
// ("a=1" with "a__b=2") is an error.
func Unflatten(pairs []Pair) (any, error) {
	root := &node{}
	for _, p := range pairs {
		n := root
		parts := strings.Split(p.Key, Sep)
		for i, part := range parts {
			if n.set {
				return nil, conflict(n, p)
			}
			if n.kids == nil {
				n.kids = map[string]*node{}
			}
			c := n.kids[part]
			if c == nil {
				c = &node{key: strings.Join(parts[:i+1], Sep), line: p.Line}
				n.kids[part] = c
			}
			n = c
		}
		if n.set {
			return nil, fmt.Errorf("%skey %q given twice", linePrefix(p.Line), p.Key)
		}
		if n.kids != nil {
			return nil, conflict(n, p)
		}
		n.set = true
		n.line = p.Line
		if !p.IsNull() {
			n.value = p.Value
		}
	}
	if root.kids == nil {
		return map[string]any{}, nil
	}
	return root.build()
}

type node struct {
	key   string
	line  int
	set   bool
	value any
	kids  map[string]*node
}

func conflict(n *node, p Pair) error {
	return fmt.Errorf("%skey %q conflicts with %q%s: one cannot be both a value and a parent",
		linePrefix(p.Line), p.Key, n.key, onLine(n.line))
}

func linePrefix(line int) string {
	if line > 0 {
		return "line " + strconv.Itoa(line) + ": "
	}
	return ""
}

func onLine(line int) string {
	if line > 0 {
		return " (line " + strconv.Itoa(line) + ")"
	}
	return ""
}

func (n *node) build() (any, error) {
	if n.kids == nil {
		return n.value, nil
	}
	names := make([]string, 0, len(n.kids))
	for k := range n.kids {
		names = append(names, k)
	}
	slices.Sort(names)
	hi, isList := -1, true
	for _, k := range names {
		i, ok := index(k)
		if !ok {
			isList = false
			break
		}
		hi = max(hi, i)
	}
	if !isList {
		out := make(map[string]any, len(names))
		for _, k := range names {
			v, err := n.kids[k].build()
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	}
	if hi >= len(names)+maxGap {
		what := "the top level"
		if n.key != "" {
			what = strconv.Quote(n.key)
		}
		return nil, fmt.Errorf("list index %d under %s leaves too many missing elements", hi, what)
	}
	out := make([]any, hi+1)
	for _, k := range names {
		i, _ := index(k)
		v, err := n.kids[k].build()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// index parses a list index written without sign or leading zeros.
func index(s string) (int, bool) {
	if s == "" || len(s) > 9 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
