package prasim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// errorBag collects validation messages per field, remembering the order in
// which fields first failed so the summary message is deterministic.
type errorBag struct {
	order []string
	msgs  map[string][]string
}

func (b *errorBag) add(field, msg string) {
	if b.msgs == nil {
		b.msgs = map[string][]string{}
	}
	if _, ok := b.msgs[field]; !ok {
		b.order = append(b.order, field)
	}
	b.msgs[field] = append(b.msgs[field], msg)
}

func (b *errorBag) empty() bool { return len(b.order) == 0 }

// body is the 422 response: a summary message and the per-field messages.
func (b *errorBag) body() validationBody {
	first := b.msgs[b.order[0]][0]
	n := -1
	for _, m := range b.msgs {
		n += len(m)
	}
	switch {
	case n == 1:
		first += " (and 1 more error)"
	case n > 1:
		first += fmt.Sprintf(" (and %d more errors)", n)
	}
	return validationBody{Message: first, Errors: b.msgs}
}

type validationBody struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors"`
}

// timeLayout is how date-times are written in responses: always with a
// "+00:00" offset, never "Z".
const timeLayout = "2006-01-02T15:04:05+00:00"

// parseTime accepts RFC 3339 date-times in UTC, given with "Z" or "+00:00";
// fractional seconds are accepted and dropped.
func parseTime(s string) (time.Time, string) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, "is not a valid date"
	}
	if _, off := t.Zone(); off != 0 || strings.HasSuffix(s, "-00:00") {
		return time.Time{}, "must be in UTC"
	}
	return t.UTC().Truncate(time.Second), ""
}

// typeMessage is the message for a value of the wrong JSON type.
func typeMessage(f *Field, name string) string {
	a := attr(name)
	switch f.Type {
	case Integer:
		return "The " + a + " must be an integer."
	case Boolean:
		return "The " + a + " field must be true or false."
	case DateTime:
		return "The " + a + " is not a valid date."
	case Enum:
		return "The selected " + a + " is invalid."
	case Array:
		return "The " + a + " must be an array."
	case Object:
		return "The " + a + " must be an object."
	default:
		return "The " + a + " must be a string."
	}
}

// convert checks a decoded JSON value (numbers as json.Number) against f and
// returns the stored form. Messages go into errs under name.
func convert(f *Field, name string, v any, errs *errorBag) (any, bool) {
	a := attr(name)
	bad := func(msg string) (any, bool) {
		errs.add(name, msg)
		return nil, false
	}
	switch f.Type {
	case Integer:
		return convertInt(f, name, v, errs)
	case String:
		s, ok := v.(string)
		if !ok {
			return bad(typeMessage(f, name))
		}
		return checkString(f, name, s, errs)
	case Boolean:
		b, ok := v.(bool)
		if !ok {
			return bad(typeMessage(f, name))
		}
		return b, true
	case DateTime:
		s, ok := v.(string)
		if !ok {
			return bad(typeMessage(f, name))
		}
		t, msg := parseTime(s)
		if msg != "" {
			return bad("The " + a + " " + msg + ".")
		}
		return t, true
	case Enum:
		s, ok := v.(string)
		if !ok || !slices.Contains(f.Enum, s) {
			return bad(typeMessage(f, name))
		}
		return s, true
	case Array:
		return convertArray(f, name, v, errs)
	case Object:
		m, ok := v.(map[string]any)
		if !ok {
			return bad(typeMessage(f, name))
		}
		return m, true
	case Any:
		return v, true
	}
	return bad(typeMessage(f, name))
}

// convertInt checks an integer (a json.Number without a fraction) and its bounds.
func convertInt(f *Field, name string, v any, errs *errorBag) (any, bool) {
	num, ok := v.(json.Number)
	if !ok {
		errs.add(name, typeMessage(f, name))
		return nil, false
	}
	n, err := strconv.ParseInt(num.String(), 10, 64)
	if err != nil {
		errs.add(name, typeMessage(f, name))
		return nil, false
	}
	if f.HasMin && n < f.Min {
		errs.add(name, fmt.Sprintf("The %s must be at least %d.", attr(name), f.Min))
		return nil, false
	}
	if f.HasMax && n > f.Max {
		errs.add(name, fmt.Sprintf("The %s must not be greater than %d.", attr(name), f.Max))
		return nil, false
	}
	return n, true
}

// convertArray checks an array's length, then converts every element (each one's problems under name.INDEX).
func convertArray(f *Field, name string, v any, errs *errorBag) (any, bool) {
	list, ok := v.([]any)
	if !ok {
		errs.add(name, typeMessage(f, name))
		return nil, false
	}
	if f.MaxItems > 0 && len(list) > f.MaxItems {
		errs.add(name, fmt.Sprintf("The %s must not have more than %d items.", attr(name), f.MaxItems))
		return nil, false
	}
	elem := Field{Type: f.Items, Enum: f.Enum}
	out := make([]any, 0, len(list))
	good := true
	for i, item := range list {
		c, ok := convert(&elem, name+"."+strconv.Itoa(i), item, errs)
		good = good && ok
		out = append(out, c)
	}
	if !good {
		return nil, false
	}
	return out, true
}

func checkString(f *Field, name, s string, errs *errorBag) (any, bool) {
	a := attr(name)
	n := utf8.RuneCountInString(s)
	if f.MinLength > 0 && n < f.MinLength {
		errs.add(name, fmt.Sprintf("The %s must be at least %d characters.", a, f.MinLength))
		return nil, false
	}
	if f.MaxLength > 0 && n > f.MaxLength {
		errs.add(name, fmt.Sprintf("The %s must not be greater than %d characters.", a, f.MaxLength))
		return nil, false
	}
	if f.Pattern != nil && !(s == "" && f.DeriveFrom != "") && !f.Pattern.MatchString(s) {
		errs.add(name, "The "+a+" format is invalid.")
		return nil, false
	}
	return s, true
}

// isEmpty reports whether a present value counts as missing for a required
// field.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// sameValue compares stored values for uniqueness and immutability; strings
// compare case-insensitively.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && strings.EqualFold(x, y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case int64, bool, nil:
		return a == b
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// cloneValue copies slices and maps so defaults are never shared.
func cloneValue(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = cloneValue(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneValue(e)
		}
		return out
	}
	return v
}

// encodeValue writes one stored value as JSON.
func encodeValue(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case time.Time:
		if x.IsZero() {
			b.WriteString("null")
			return
		}
		b.WriteByte('"')
		b.WriteString(x.UTC().Format(timeLayout))
		b.WriteByte('"')
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			encodeValue(b, e)
		}
		b.WriteByte(']')
	default:
		var tmp bytes.Buffer
		enc := json.NewEncoder(&tmp)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			b.WriteString("null")
			return
		}
		b.Write(bytes.TrimRight(tmp.Bytes(), "\n"))
	}
}

// encodeRow writes a row as a JSON object with the declared field order,
// leaving out write-only fields.
func encodeRow(b *bytes.Buffer, res *resource, row Row) { encodeRowAs(b, res, row, nil) }

// encodeRowAs writes a row as the response of an operation that shows the
// fields in show (nil: every field; see specOp.show). Without such a
// list, an item with alternatives (a vault account's type) shows the fields
// of its alternative.
func encodeRowAs(b *bytes.Buffer, res *resource, row Row, show map[string]bool) {
	only := show
	if only == nil && res.VariantField != "" {
		if v, ok := row[res.VariantField].(string); ok {
			only = res.Variants[v]
		}
	}
	b.WriteByte('{')
	first := true
	for i := range res.Fields {
		f := &res.Fields[i]
		if f.WriteOnly || (only != nil && !only[f.Name]) {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		name, _ := json.Marshal(f.Name)
		b.Write(name)
		b.WriteByte(':')
		encodeValue(b, row[f.Name])
	}
	b.WriteByte('}')
}

// deriveCodeName turns a display name into a code name: lower case, with
// every character outside [a-z0-9_-] replaced by "_", at most 64 characters.
func deriveCodeName(src string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(src) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), "_")
	if s == "" {
		s = "item"
	}
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}
