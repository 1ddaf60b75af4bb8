package sitefile

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/infractl/infra/pkg/api/request"
)

// derivedKey is the Key of kinds whose objects have no name field (composite keys, singletons): the name is derived
// from the object and held under this key in the listed objects, which no API field is called.
const derivedKey = "\x00name"

// compositeSep joins the values of a composite key: "admin/mail/ops@example.com".
const compositeSep = "/"

// derived reports whether the names of a kind's objects are derived rather than a field of their own.
func (k *Kind) derived() bool { return k.Singleton || len(k.Composite) > 0 }

// writeOp is the operation that sends a kind's whole object: its create, or the update of a singleton.
func (k *Kind) writeOp() *request.Op {
	if k.Singleton {
		return k.Update
	}
	return k.Create
}

func (k *Kind) markDuration(wire string) {
	if k.Duration == nil {
		k.Duration = map[string]bool{}
	}
	k.Duration[wire] = true
}

// nameOf is the natural key of an object given by its fields (by wire name; references as Ref or as the name
// itself): its key field, the values of a composite key joined, or the kind's name for a singleton. "" when a part
// is missing.
func (k *Kind) nameOf(fields map[string]any) string {
	switch {
	case k.Singleton:
		return k.Name
	case len(k.Composite) > 0:
		parts := make([]string, len(k.Composite))
		for i, f := range k.Composite {
			v, ok := fields[f]
			if !ok || v == nil {
				return ""
			}
			parts[i] = fmt.Sprint(display(v))
		}
		return strings.Join(parts, compositeSep)
	}
	name, _ := fields[k.Key].(string)
	return name
}

// keyFields says in messages which fields name an object of the kind.
func (k *Kind) keyFields() string {
	if len(k.Composite) == 0 {
		return k.Key
	}
	names := make([]string, len(k.Composite))
	for i, f := range k.Composite {
		names[i] = k.FileField(f)
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// listedName is the natural key of a listed object: references of a composite key are named with what the site
// holds of the kinds they refer to.
func (s *Site) listedName(k *Kind, m map[string]any) string {
	if !k.derived() {
		name, _ := m[k.Key].(string)
		return name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return k.nameOf(s.view(k, m))
}

// nameDerived gives the listed objects of kinds without a name field their derived name, once every kind their
// composite keys refer to is read: the kind's table is made again with the name as a column. A singleton the site
// did not show is an empty object, so the file's fields are updates.
func (s *Site) nameDerived() {
	for _, k := range s.cat.Kinds {
		old, read := s.tables[k.Name]
		if !read || !k.derived() {
			continue
		}
		t := newTable()
		ids, names := map[string]string{}, map[string]string{}
		for m := range old.all() {
			name := s.listedName(k, m)
			m[k.Key] = name
			t.add(k, m)
			if id := idOf(m); id != "" && name != "" {
				ids[strings.ToLower(name)], names[id] = id, name
			}
		}
		if k.Singleton && t.rows == 0 {
			t.add(k, map[string]any{k.Key: k.Name})
		}
		t.done()
		s.mu.Lock()
		s.tables[k.Name], s.names[k.Name] = t, names
		s.mu.Unlock()
	}
}

// sameField compares a field of the file with the site's: durations by what they mean (40m, 2400000000000).
func (k *Kind) sameField(wire string, want, have any) bool {
	if k.Duration[wire] {
		w, wok := nanoseconds(want)
		h, hok := nanoseconds(have)
		if wok && hok {
			return w == h
		}
	}
	return sameValue(want, have)
}

// nanoseconds reads a duration: a count of nanoseconds (a number, or one written as text) or a Go duration (40m).
func nanoseconds(v any) (int64, bool) {
	switch t := normalize(v).(type) {
	case float64:
		return int64(t), true
	case string:
		t = strings.TrimSpace(t)
		if n, err := strconv.ParseInt(t, 10, 64); err == nil {
			return n, true
		}
		d, err := time.ParseDuration(t)
		return int64(d), err == nil
	}
	return 0, false
}

// durationText writes nanoseconds as a duration without zero units: 40m, 1h, 1h30m, 90s.
func durationText(ns int64) string {
	s := time.Duration(ns).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// secretEnvName names the variable an exported credential is read from: PRA_USER_ALICE_PASSWORD, and for a
// singleton the kind and field only (VIRTOMIZE_SETTING_NOTIFICATION_PASSWORD).
func secretEnvName(vendor string, k *Kind, name, field string) string {
	if k.Singleton {
		s := strings.ToUpper(vendor + "_" + k.Name + "_" + field)
		return strings.Trim(notEnvChar().ReplaceAllString(s, "_"), "_")
	}
	return secretEnv(vendor, k, name, field)
}

// outOfRange reports an integer the API would refuse on apply (a port of 0 on an appliance that has none set): the
// export leaves it out rather than write a file that does not apply.
func outOfRange(f request.Field, v any) bool {
	n, isNum := v.(float64)
	if !isNum || f.Type != request.Integer {
		return false
	}
	return (f.Min != nil && n < float64(*f.Min)) || (f.Max != nil && n > float64(*f.Max))
}

// compositeName is the derived name an object node gives: the scalar values of its composite key's fields, or the
// kind's name for a singleton.
func compositeName(k *Kind, on *yaml.Node) string {
	fields := map[string]any{}
	for i := 0; i+1 < len(on.Content); i += 2 {
		if f, ok := k.field(on.Content[i].Value); ok && on.Content[i+1].Kind == yaml.ScalarNode {
			fields[f.Name] = on.Content[i+1].Value
		}
	}
	return k.nameOf(fields)
}

// singleton reads the one object of a singleton kind: a mapping, not a list.
func (p *docParser) singleton(k *Kind, n *yaml.Node) {
	if p.yield != nil {
		if !p.stop && n.Kind == yaml.MappingNode {
			if o := p.c.parseObject(k, n, func(*yaml.Node, string, ...any) {}); o != nil {
				p.valid(o)
			}
		}
		return
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, "%s: expected one object (field: value lines), not %s", k.Name, describe(n))
		return
	}
	p.names[k.Name] = append(p.names[k.Name], p.text.add(strings.ToLower(k.Name)))
	if o := p.c.parseObject(k, n, p.add); o != nil {
		p.valid(o)
	}
}

// derivedSchema is the JSON Schema of a kind whose objects have no name field: a singleton is one object, a kind
// with a composite key a list of objects that give every field of the key.
func (k *Kind) derivedSchema(fields map[string]any) map[string]any {
	obj := map[string]any{"type": "object", "properties": fields, "additionalProperties": false}
	if k.Singleton {
		obj["type"] = []string{"object", "null"}
		return obj
	}
	required := make([]string, len(k.Composite))
	for i, f := range k.Composite {
		required[i] = k.FileField(f)
	}
	obj["required"] = required
	return map[string]any{"type": []string{"array", "null"}, "items": obj}
}

// keyRank orders an object's fields in a file: the natural key, or the fields of a composite key in their order,
// before every other field.
func (k *Kind) keyRank(wire string) int {
	if wire == k.Key {
		return 0
	}
	for i, f := range k.Composite {
		if f == wire {
			return i
		}
	}
	return len(k.Composite) + 1
}
