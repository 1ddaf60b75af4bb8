package sitefile

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/infractl/infra/pkg/api/request"
)

// Export writes the kinds of the site as a site file: objects sorted by name, fields in catalog order, references by
// name, credentials as {from: env:…} placeholders, read-only and server-assigned fields left out.
func (s *Site) Export(w io.Writer, kinds []string, header string) error {
	top := &yaml.Node{Kind: yaml.MappingNode}
	for _, name := range kinds {
		k := s.cat.Kind(name)
		items := append([]map[string]any(nil), s.items[name]...)
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
	fields := append([]request.Field(nil), k.Fields...)
	// The natural key first.
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Name == k.Key && fields[j].Name != k.Key })
	for _, f := range fields {
		if k.Secret[f.Name] {
			if f.Required {
				obj.Content = append(obj.Content, scalar(f.Name), secretNode("env:"+secretEnv(s.cat.Vendor, k, name, f.Name)))
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
		if str, isStr := v.(string); isStr && str == "" && f.MinLen > 0 {
			continue
		}
		var vn yaml.Node
		if err := vn.Encode(display(v)); err != nil {
			continue
		}
		obj.Content = append(obj.Content, scalar(k.FileField(f.Name)), &vn)
	}
	return obj
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

func secretNode(from string) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Content: []*yaml.Node{scalar("from"), scalar(from)}}
}

var notEnvChar = regexp.MustCompile(`[^A-Z0-9]+`)

// secretEnv names the environment variable an exported credential is read from: PRA_USER_ALICE_PASSWORD.
func secretEnv(vendor string, k *Kind, name, field string) string {
	s := strings.ToUpper(vendor + "_" + k.Name[strings.LastIndex(k.Name, "/")+1:] + "_" + name + "_" + field)
	return strings.Trim(notEnvChar.ReplaceAllString(s, "_"), "_")
}

// writeOnly are kinds whose objects cannot be read back whole (PRA Vault accounts never show their username and
// credentials): left out of an export unless asked for by name.
var writeOnly = map[string]bool{"pra:vault/account": true}

// KindNames checks a --resources list and returns the kinds in apply order; an empty list means every managed kind.
func (c *Catalog) KindNames(list []string) ([]string, error) {
	want := map[string]bool{}
	var bad []string
	for _, n := range list {
		if k := c.Kind(strings.TrimSpace(n)); k != nil && k.Managed() {
			want[k.Name] = true
		} else {
			bad = append(bad, n)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("unknown kind(s) %s (known: %s)", strings.Join(bad, ", "), strings.Join(c.managedNames(), ", "))
	}
	var out []string
	for _, k := range c.Managed() {
		if (len(list) == 0 && !writeOnly[c.Vendor+":"+k.Name]) || want[k.Name] {
			out = append(out, k.Name)
		}
	}
	return out, nil
}
