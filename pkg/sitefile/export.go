package sitefile

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/infractl/infra/pkg/api/request"
)

// Export writes the kinds of the site as a site file: objects sorted by name, fields in catalog order, references by
// name, credentials as {from: env:…} placeholders, read-only and server-assigned fields left out.
func (s *Site) Export(w io.Writer, kinds []string, header string) error {
	top := &yaml.Node{Kind: yaml.MappingNode}
	s.exported = map[string]bool{}
	for _, name := range kinds {
		s.exported[name] = true
	}
	for _, name := range kinds {
		k := s.cat.Kind(name)
		items := s.Items(name)
		sort.SliceStable(items, func(i, j int) bool {
			a, _ := items[i][k.Key].(string)
			b, _ := items[j][k.Key].(string)
			return a < b
		})
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, item := range items {
			if obj := s.exportObject(k, item); obj != nil {
				seq.Content = append(seq.Content, obj)
			}
		}
		if k.Singleton && len(seq.Content) == 1 { // one object, not a list
			top.Content = append(top.Content, scalar(k.Name), seq.Content[0])
			continue
		}
		top.Content = append(top.Content, scalar(k.Name), seq)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: header, Content: []*yaml.Node{top}}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return enc.Close()
}

func (s *Site) exportObject(k *Kind, item map[string]any) *yaml.Node {
	name, _ := item[k.Key].(string)
	if name == "" {
		return nil
	}
	view := s.view(k, item)
	obj := &yaml.Node{Kind: yaml.MappingNode}
	for _, f := range k.exportOrder() {
		if k.Secret[f.Name] {
			if f.Required || k.Singleton {
				obj.Content = append(obj.Content, scalar(f.Name), secretNode("env:"+secretEnvName(s.cat.Vendor, k, name, f.Name)))
			}
			continue
		}
		v, ok := view[f.Name]
		if !ok {
			continue
		}
		if v == nil {
			if f.Nullable { // managed: a value set by hand later is drift
				obj.Content = append(obj.Content, scalar(k.FileField(f.Name)), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"})
			}
			continue
		}
		if str, isStr := v.(string); (isStr && str == "" && f.MinLen > 0) || outOfRange(f, v) {
			continue
		}
		obj.Content = append(obj.Content, scalar(k.FileField(f.Name)), valueNode(display(v)))
	}
	id := idOf(item)
	for _, a := range k.Assocs {
		entries, read := s.assocs[k.Name+"\x00"+id+"\x00"+a.Name]
		if !read || !s.selfContained(a) {
			continue
		}
		ak := a.asKind()
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		views := s.assocView(k, id, a)
		sort.SliceStable(views, func(i, j int) bool { return entryLabel(a, views[i]) < entryLabel(a, views[j]) })
		for _, e := range views {
			en := &yaml.Node{Kind: yaml.MappingNode}
			for _, f := range a.Fields {
				if v, ok := e[f.Name]; ok && (v != nil || f.Nullable) {
					en.Content = append(en.Content, scalar(ak.FileField(f.Name)), valueNode(display(v)))
				}
			}
			seq.Content = append(seq.Content, en)
		}
		if len(entries) == 0 {
			seq.Style = yaml.FlowStyle
		}
		obj.Content = append(obj.Content, scalar(a.Name), seq)
	}
	return obj
}

// selfContained reports whether every kind an association refers to is exported too, or read-only (built in on every
// site, such as Jump Item roles): a file never refers to objects it does not carry.
func (s *Site) selfContained(a *Assoc) bool {
	for _, t := range a.Refs {
		if k := s.cat.Kind(t); k != nil && k.Managed() && !s.exported[t] {
			return false
		}
	}
	return true
}

// exportOrder is the order of an object's fields in a file: the natural key (or the fields of a composite key) first,
// then the catalog's order.
func (k *Kind) exportOrder() []request.Field {
	k.orderOnce.Do(func() {
		k.order = append([]request.Field(nil), k.Fields...)
		sort.SliceStable(k.order, func(i, j int) bool { return k.keyRank(k.order[i].Name) < k.keyRank(k.order[j].Name) })
	})
	return k.order
}

// exportValue writes whole numbers as integers.
func exportValue(v any) any {
	switch t := v.(type) {
	case float64:
		if t == float64(int64(t)) {
			return int64(t)
		}
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = exportValue(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = exportValue(x)
		}
		return out
	}
	return v
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// valueNode builds the node of a JSON-like value (Node.Encode costs an encoder per value, too much for 10,000 objects).
func valueNode(v any) *yaml.Node {
	switch t := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case string:
		return scalar(t)
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(t, 10)}
	case float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(t, 'g', -1, 64)}
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		if len(t) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, x := range t {
			n.Content = append(n.Content, valueNode(x))
		}
		return n
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		if len(t) == 0 {
			n.Style = yaml.FlowStyle
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n.Content = append(n.Content, scalar(k), valueNode(t[k]))
		}
		return n
	}
	return scalar(fmt.Sprint(v))
}

func secretNode(from string) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Content: []*yaml.Node{scalar("from"), scalar(from)}}
}

var notEnvChar = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[^A-Z0-9]+`)
})

// secretEnv names the environment variable an exported credential is read from: PRA_USER_ALICE_PASSWORD.
func secretEnv(vendor string, k *Kind, name, field string) string {
	s := strings.ToUpper(vendor + "_" + k.Name[strings.LastIndex(k.Name, "/")+1:] + "_" + name + "_" + field)
	return strings.Trim(notEnvChar().ReplaceAllString(s, "_"), "_")
}

// writeOnly are kinds whose objects cannot be read back whole (PRA Vault accounts never show their username and
// credentials): left out of an export unless asked for by name.
var writeOnly = sync.OnceValue(func() map[string]bool {
	return map[string]bool{"pra:vault/account": true}
})

// KindNames checks a --resources list and returns the kinds in apply order; an empty list means every managed kind.
// A family names all its kinds: jump-item is every jump-item/… kind.
func (c *Catalog) KindNames(list []string) ([]string, error) {
	want := map[string]bool{}
	var bad []string
	for _, n := range list {
		n = strings.Trim(strings.TrimSpace(n), "/")
		found := false
		for _, k := range c.Managed() {
			if k.Name == n || strings.HasPrefix(k.Name, n+"/") {
				want[k.Name], found = true, true
			}
		}
		if !found {
			bad = append(bad, n)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("unknown kind(s) %s (known: %s)", strings.Join(bad, ", "), strings.Join(c.managedNames(), ", "))
	}
	var out []string
	for _, k := range c.Managed() {
		if (len(list) == 0 && !writeOnly()[c.Vendor+":"+k.Name]) || want[k.Name] {
			out = append(out, k.Name)
		}
	}
	return out, nil
}
