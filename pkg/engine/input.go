package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/infractl/infra/internal/textdist"
	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/kv"
)

// Rules carries vendor-wide input rules.
type Rules struct {
	// UTCDateTimes requires date-times in UTC ("Z" or "+00:00"), as the PRA Configuration API does.
	UTCDateTimes bool
	// RequiredQuery checks required query parameters before anything else (before any confirmation prompt).
	RequiredQuery bool
}

// FieldErrors collects every problem found in one input, so the user sees them all at once.
type FieldErrors struct {
	Problems []string
}

func (e *FieldErrors) add(format string, a ...any) {
	e.Problems = append(e.Problems, fmt.Sprintf(format, a...))
}

func (e *FieldErrors) Error() string {
	if len(e.Problems) == 1 {
		return "invalid input: " + e.Problems[0]
	}
	return "invalid input:\n  " + strings.Join(e.Problems, "\n  ")
}

func (e *FieldErrors) orNil() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}

// rawValue is one input value before typing: either text (flags, key=value) or decoded JSON.
type rawValue struct {
	text   string
	quoted bool // key=value: written in quotes (so an empty value is an empty string, not null)
	json   any  // from --json; used when fromJSON
	list   []string
	isList bool
	fromJS bool
	origin string // where it came from, for messages: "--name", "stdin line 3", "--json"
}

func fieldIndex(fields []request.Field) map[string]*request.Field {
	m := make(map[string]*request.Field, len(fields))
	for i := range fields {
		m[fields[i].Name] = &fields[i]
	}
	return m
}

var arrayKey = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.+?)__(\d+)$`) })

// kvToRaw groups key=value pairs by field; "tags__0=a" and "tags__1=b" become one array value, and deeper keys such
// as "payload__cmd=ls" or "filter_rules__0__cidr=10.0.0.0/8" become one nested value (as btapi's -K output flattens
// it). In nested values an unquoted number, true or false is typed; quoted values stay strings.
func kvToRaw(pairs []kv.Pair) (map[string]*rawValue, []string) {
	out := map[string]*rawValue{}
	var order []string
	type idx struct {
		i int
		v string
	}
	arrays := map[string][]idx{}
	// Fields written with nested keys are rebuilt as a whole.
	nested := map[string][]kv.Pair{}
	for _, p := range pairs {
		top, rest, ok := strings.Cut(p.Key, kv.Sep)
		if ok && (strings.Contains(rest, kv.Sep) || !isIndex(rest)) {
			nested[top] = nil
		}
	}
	for _, p := range pairs {
		top, _, _ := strings.Cut(p.Key, kv.Sep)
		if group, isNested := nested[top]; isNested {
			if group == nil {
				order = append(order, top)
			}
			nested[top] = append(group, p)
			continue
		}
		if m := arrayKey().FindStringSubmatch(p.Key); m != nil {
			n, _ := strconv.Atoi(m[2])
			if _, seen := arrays[m[1]]; !seen {
				order = append(order, m[1])
			}
			arrays[m[1]] = append(arrays[m[1]], idx{n, p.Value})
			continue
		}
		if _, seen := out[p.Key]; !seen {
			order = append(order, p.Key)
		}
		out[p.Key] = &rawValue{text: p.Value, quoted: p.Quoted, origin: fmt.Sprintf("stdin line %d", p.Line)}
	}
	for k, items := range arrays {
		sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
		rv := &rawValue{isList: true, origin: "stdin"}
		for _, it := range items {
			rv.list = append(rv.list, it.v)
		}
		out[k] = rv
	}
	for top, group := range nested {
		origin := fmt.Sprintf("stdin line %d", group[0].Line)
		v, err := kv.Unflatten(group)
		if err != nil {
			// Reported by BuildBody as a problem with this field.
			out[top] = &rawValue{json: err, fromJS: true, origin: origin}
			continue
		}
		unquoted := map[string]bool{}
		for _, p := range group {
			if !p.Quoted {
				unquoted[p.Key] = true
			}
		}
		out[top] = &rawValue{json: typeLeaves(v.(map[string]any)[top], top, unquoted), fromJS: true, origin: origin}
	}
	return out, order
}

func isIndex(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// typeLeaves turns unquoted number and boolean leaves of a nested key=value value into JSON types. An empty
// unquoted member of an object (`criteria__tag=`, which is how output writes both null and an empty list) is left out.
func typeLeaves(v any, key string, unquoted map[string]bool) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = typeLeaves(e, key+kv.Sep+k, unquoted)
		}
	case []any:
		for i, e := range x {
			x[i] = typeLeaves(e, key+kv.Sep+strconv.Itoa(i), unquoted)
		}
	case string:
		if !unquoted[key] {
			return x
		}
		switch x {
		case "true":
			return true
		case "false":
			return false
		}
		if n := json.Number(x); numberRe().MatchString(x) {
			return n
		}
	}
	return v
}

var numberRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
})

// ReadKV parses key=value input.
func ReadKV(r io.Reader) ([]kv.Pair, error) {
	pairs, err := kv.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("reading key=value input from stdin: %w", err)
	}
	return pairs, nil
}

// convert types one value according to its field.
func convert(f *request.Field, rv *rawValue, rules Rules, errs *FieldErrors) (any, bool) {
	name := f.Name
	if rv.fromJS {
		if err, bad := rv.json.(error); bad {
			errs.add("%s: %v (from %s)", name, err, rv.origin)
			return nil, false
		}
		return convertJSON(f, rv.json, rules, errs)
	}
	if rv.isList {
		if f.Type != request.Array {
			errs.add("%s: takes a single value, not a list", name)
			return nil, false
		}
		out := make([]any, 0, len(rv.list))
		item := request.Field{Name: name, Type: f.Items, Enum: f.Enum}
		if item.Type == "" {
			item.Type = request.String
		}
		ok := true
		for _, s := range rv.list {
			v, good := convertText(&item, s, true, rules, errs)
			ok = ok && good
			out = append(out, v)
		}
		return out, ok
	}
	if f.Type == request.Array {
		t := strings.TrimSpace(rv.text)
		if strings.HasPrefix(t, "[") {
			var v any
			if err := json.Unmarshal([]byte(t), &v); err != nil {
				errs.add("%s: not a valid JSON array (%v)", name, err)
				return nil, false
			}
			return convertJSON(f, v, rules, errs)
		}
		if t == "" && !rv.quoted {
			return []any{}, true
		}
		parts := strings.Split(rv.text, ",")
		if f.Items == request.Object {
			// One JSON object: its commas do not separate elements.
			parts = []string{rv.text}
		}
		return convert(f, &rawValue{isList: true, list: parts, origin: rv.origin}, rules, errs)
	}
	return convertText(f, rv.text, rv.quoted, rules, errs)
}

func convertText(f *request.Field, s string, quoted bool, rules Rules, errs *FieldErrors) (any, bool) {
	name := f.Name
	if s == "" && !quoted && f.Type != request.String {
		if f.Nullable {
			return nil, true
		}
		errs.add("%s: a value is required", name)
		return nil, false
	}
	switch f.Type {
	case request.Integer:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			errs.add("%s: must be an integer, got %q", name, s)
			return nil, false
		}
		return checkInt(f, n, errs)
	case request.Number:
		x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			errs.add("%s: must be a number, got %q", name, s)
			return nil, false
		}
		return x, true
	case request.Boolean:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1", "yes", "on":
			return true, true
		case "false", "0", "no", "off":
			return false, true
		}
		errs.add("%s: must be true or false, got %q", name, s)
		return nil, false
	case request.DateTime:
		return checkDateTime(f, s, rules, errs)
	case request.Object:
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			errs.add("%s: must be a JSON object (%v)", name, err)
			return nil, false
		}
		if _, ok := v.(map[string]any); !ok {
			errs.add("%s: must be a JSON object", name)
			return nil, false
		}
		return v, true
	default:
		if s == "" && !quoted && f.Nullable {
			return nil, true
		}
		return checkString(f, s, errs)
	}
}

func checkInt(f *request.Field, n int64, errs *FieldErrors) (any, bool) {
	if f.Min != nil && n < *f.Min {
		errs.add("%s: must be at least %d, got %d", f.Name, *f.Min, n)
		return nil, false
	}
	if f.Max != nil && n > *f.Max {
		errs.add("%s: must be at most %d, got %d", f.Name, *f.Max, n)
		return nil, false
	}
	return n, true
}

func checkString(f *request.Field, s string, errs *FieldErrors) (any, bool) {
	if len(f.Enum) > 0 {
		for _, e := range f.Enum {
			if e == s {
				return s, true
			}
		}
		for _, e := range f.Enum {
			if strings.EqualFold(e, s) {
				return e, true
			}
		}
		errs.add("%s: %q is not one of %s", f.Name, s, strings.Join(f.Enum, ", "))
		return nil, false
	}
	n := len([]rune(s))
	if f.MinLen > 0 && n < f.MinLen {
		errs.add("%s: must be at least %d characters", f.Name, f.MinLen)
		return nil, false
	}
	if f.MaxLen > 0 && n > f.MaxLen {
		errs.add("%s: must be at most %d characters, got %d", f.Name, f.MaxLen, n)
		return nil, false
	}
	if f.Pattern != "" {
		if re, err := regexp.Compile(f.Pattern); err == nil && !re.MatchString(s) {
			errs.add("%s: %q does not match the pattern %s", f.Name, s, f.Pattern)
			return nil, false
		}
	}
	return s, true
}

func checkDateTime(f *request.Field, s string, rules Rules, errs *FieldErrors) (any, bool) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		errs.add("%s: must be an RFC 3339 date-time such as 2025-10-16T14:46:23Z, got %q", f.Name, s)
		return nil, false
	}
	if rules.UTCDateTimes {
		if _, off := t.Zone(); off != 0 {
			errs.add("%s: must be in UTC (suffix Z or +00:00), got %q", f.Name, s)
			return nil, false
		}
	}
	return strings.TrimSpace(s), true
}

func convertJSON(f *request.Field, v any, rules Rules, errs *FieldErrors) (any, bool) {
	if v == nil {
		if f.Nullable {
			return nil, true
		}
		errs.add("%s: may not be null", f.Name)
		return nil, false
	}
	if out, ok, done := convertJSONValue(f, v, rules, errs); done {
		return out, ok
	}
	errs.add("%s: must be %s", f.Name, article(f.Type))
	return nil, false
}

// convertJSONValue converts a non-null JSON value of the field's type; done is false when the value has another type.
func convertJSONValue(f *request.Field, v any, rules Rules, errs *FieldErrors) (out any, ok, done bool) {
	if s, isStr := v.(string); isStr {
		switch f.Type {
		case request.Integer, request.Number, request.Boolean:
			out, ok = convertText(f, s, true, rules, errs)
		case request.DateTime:
			out, ok = checkDateTime(f, s, rules, errs)
		case request.Array, request.Object:
			return nil, false, false
		default:
			out, ok = checkString(f, s, errs)
		}
		return out, ok, true
	}
	switch f.Type {
	case request.Integer:
		return convertJSONInt(f, v, errs)
	case request.Number:
		switch x := v.(type) {
		case json.Number:
			if n, err := x.Float64(); err == nil {
				return n, true, true
			}
		case float64:
			return x, true, true
		}
	case request.Boolean:
		if b, isBool := v.(bool); isBool {
			return b, true, true
		}
	case request.Array:
		if arr, isArr := v.([]any); isArr {
			out, ok = convertJSONArray(f, arr, rules, errs)
			return out, ok, true
		}
	case request.Object:
		if m, isObj := v.(map[string]any); isObj {
			return m, true, true
		}
	}
	return nil, false, false
}

func convertJSONInt(f *request.Field, v any, errs *FieldErrors) (any, bool, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			errs.add("%s: must be an integer, got %s", f.Name, x)
			return nil, false, true
		}
		out, ok := checkInt(f, n, errs)
		return out, ok, true
	case float64:
		if x != math.Trunc(x) {
			errs.add("%s: must be an integer, got %v", f.Name, x)
			return nil, false, true
		}
		out, ok := checkInt(f, int64(x), errs)
		return out, ok, true
	}
	return nil, false, false
}

// convertJSONArray converts each element to the field's item type (objects and nested lists are kept as they are).
func convertJSONArray(f *request.Field, arr []any, rules Rules, errs *FieldErrors) (any, bool) {
	item := request.Field{Name: f.Name, Type: f.Items, Enum: f.Enum}
	if item.Type == "" {
		item.Type = request.String
	}
	out := make([]any, 0, len(arr))
	good := true
	for _, e := range arr {
		if item.Type == request.Object || item.Type == request.Array {
			out = append(out, e)
			continue
		}
		c, ok := convertJSON(&item, e, rules, errs)
		good = good && ok
		out = append(out, c)
	}
	return out, good
}

func article(t request.FieldType) string {
	switch t {
	case request.Integer:
		return "an integer"
	case request.Array:
		return "a list"
	case request.Object:
		return "an object"
	case request.DateTime:
		return "a date-time string"
	case request.Boolean:
		return "true or false"
	case request.Number:
		return "a number"
	}
	return "a string"
}

// suggest returns the closest known field name, if any is close.
func suggest(name string, fields []request.Field) string {
	best, bestD := "", 4
	for _, f := range fields {
		if d := textdist.Levenshtein(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	}
	return best
}

// BuildBody validates and types the merged raw input against fields. create=true enforces required fields.
func BuildBody(fields []request.Field, raw map[string]*rawValue, order []string, create bool, rules Rules) (map[string]any, error) {
	errs := &FieldErrors{}
	idx := fieldIndex(fields)
	body := map[string]any{}
	for _, k := range order {
		rv := raw[k]
		f, ok := idx[k]
		if !ok {
			if s := suggest(k, fields); s != "" {
				errs.add("%s: unknown field (from %s); did you mean %s?", k, rv.origin, s)
			} else {
				errs.add("%s: unknown field (from %s)", k, rv.origin)
			}
			continue
		}
		if f.ReadOnly {
			errs.add("%s: is read-only and cannot be set", k)
			continue
		}
		// key= (empty, unquoted) is how key=value output writes null and empty lists: null where the field allows
		// it, an empty list for a list field, else not set.
		if !rv.fromJS && !rv.isList && !rv.quoted && rv.text == "" {
			switch {
			case f.Nullable:
				body[k] = nil
			case f.Type == request.Array:
				body[k] = []any{}
			}
			continue
		}
		if v, ok := convert(f, rv, rules, errs); ok {
			body[k] = v
		}
	}
	if create {
		for i := range fields {
			f := &fields[i]
			if f.Required && !f.ReadOnly {
				if _, ok := body[f.Name]; !ok && !hasProblem(errs, f.Name) {
					errs.add("%s: required (--%s)", f.Name, f.FlagName())
				}
			}
		}
	}
	if err := errs.orNil(); err != nil {
		return nil, err
	}
	return body, nil
}

func hasProblem(errs *FieldErrors, name string) bool {
	for _, p := range errs.Problems {
		if strings.HasPrefix(p, name+":") {
			return true
		}
	}
	return false
}
