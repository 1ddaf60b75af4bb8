package output

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

var yamlFormat = Spec{
	Name:   YAML,
	Help:   "the JSON form as YAML",
	Render: func(w io.Writer, v any, _ Options) error { return writeYAML(w, v) },
	Stream: func(w io.Writer, _ Options) (Stream, error) { return newYAMLStream(w), nil },
	List:   func(w io.Writer, _ Options) ListStream { return newYAMLStream(w) },
}

func newYAMLStream(w io.Writer) *yamlStream { return &yamlStream{streamBase: newStreamBase(w)} }

// writeYAML writes v as a YAML document. Numbers keep their JSON text and
// come out as YAML numbers; strings that would read back as something else
// are quoted.
func writeYAML(w io.Writer, v any) error {
	b, err := marshalYAML(yamlNode(v))
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func marshalYAML(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func yamlNode(v any) *yaml.Node {
	switch t := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case bool:
		s := "false"
		if t {
			s = "true"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: s}
	case json.Number:
		if !isJSONNumber(string(t)) {
			return yamlString(string(t))
		}
		// Left untagged and plain: every JSON number reads back as a YAML
		// number, and yaml.v3 would add an explicit !!int tag to integers
		// too large for 64 bits.
		return &yaml.Node{Kind: yaml.ScalarNode, Value: string(t)}
	case string:
		return yamlString(t)
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: make([]*yaml.Node, 0, len(t))}
		if len(t) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, e := range t {
			n.Content = append(n.Content, yamlNode(e))
		}
		return n
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: make([]*yaml.Node, 0, 2*len(t))}
		if len(t) == 0 {
			n.Style = yaml.FlowStyle
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			n.Content = append(n.Content, yamlString(k), yamlNode(t[k]))
		}
		return n
	}
	// Not reachable for normalised values.
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	return &n
}

// yamlString is a string scalar; yaml.v3 quotes it when it would otherwise
// read back as a number, boolean or null. Invalid UTF-8 cannot be written
// as YAML text and is replaced by U+FFFD.
func yamlString(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.ToValidUTF8(s, "\uFFFD")}
}

type yamlStream struct {
	streamBase
}

func (s *yamlStream) Write(item any) error {
	v, err := s.begin(item)
	if err != nil {
		return err
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{yamlNode(v)}}
	b, err := marshalYAML(seq)
	if err != nil {
		return err
	}
	s.n++
	_, err = s.w.Write(b)
	return err
}

func (s *yamlStream) Close() error {
	return s.finish(func() error {
		if s.n == 0 {
			_, err := s.w.WriteString("[]\n")
			return err
		}
		return nil
	})
}
