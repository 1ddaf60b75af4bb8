package output

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// Spec declares one output format. Everything that lists or checks formats reads the registry: the -o flag's help,
// the output setting's permitted values, `infra help formats`, ParseFormat, Render and the streams.
type Spec struct {
	// Name is what -o and the output setting take.
	Name Format
	// Help is the one-line description shown by `infra help formats`.
	Help string
	// Tabular formats lay items out as rows of the top-level fields: --columns and --no-headers apply, and callers may
	// flatten nested values for them.
	Tabular bool
	// Render writes a whole value, already in the JSON form (see [Normalize]).
	Render func(w io.Writer, v any, o Options) error
	// Stream, when set, starts a stream that writes an item at a time (see [NewStream]); nil means that the output
	// depends on every item, and the stream collects the items and calls Render on Close.
	Stream func(w io.Writer, o Options) (Stream, error)
	// List, when set, starts a stream whose output is byte for byte what Render writes for the whole list (see
	// [NewListStream]); it may return nil when o does not allow it.
	List func(w io.Writer, o Options) ListStream
}

// builtin are the formats of the binary, in the order they are documented.
var builtin = []Spec{tableFormat, jsonFormat, yamlFormat, csvFormat, kvFormat, wideFormat}

var registry = struct {
	sync.RWMutex
	specs []Spec
}{specs: builtin}

// Register adds a format after the built-in ones. It panics when the name is empty, taken, or the Render function is
// missing: registrations are program wiring, not input. The returned function removes the format again (tests).
func Register(s Spec) (unregister func()) {
	registry.Lock()
	defer registry.Unlock()
	if s.Name == "" || s.Render == nil || s.Name != Format(strings.ToLower(string(s.Name))) {
		panic(fmt.Sprintf("output: format %q needs a lower-case name and a Render function", s.Name))
	}
	if slices.ContainsFunc(registry.specs, func(e Spec) bool { return e.Name == s.Name }) {
		panic(fmt.Sprintf("output: format %q is registered twice", s.Name))
	}
	registry.specs = append(slices.Clip(registry.specs), s)
	return func() {
		registry.Lock()
		defer registry.Unlock()
		registry.specs = slices.DeleteFunc(slices.Clone(registry.specs), func(e Spec) bool { return e.Name == s.Name })
	}
}

func specs() []Spec {
	registry.RLock()
	defer registry.RUnlock()
	return registry.specs
}

// Lookup returns the declaration of a format.
func Lookup(f Format) (Spec, bool) {
	for _, s := range specs() {
		if s.Name == f {
			return s, true
		}
	}
	return Spec{}, false
}

// Formats yields the registered formats in the order they are documented.
func Formats(yield func(int, Format) bool) {
	for i, s := range specs() {
		if !yield(i, s.Name) {
			return
		}
	}
}

// Names returns the names of the registered formats in the order they are documented.
func Names() []string {
	all := specs()
	out := make([]string, len(all))
	for i, s := range all {
		out[i] = string(s.Name)
	}
	return out
}

// NameList is the names as a sentence: "table, json, yaml, csv or kv".
func NameList() string {
	n := Names()
	if len(n) < 2 {
		return strings.Join(n, "")
	}
	return strings.Join(n[:len(n)-1], ", ") + " or " + n[len(n)-1]
}

// Describe returns the one-line description of a format.
func Describe(f Format) string {
	s, _ := Lookup(f)
	return s.Help
}

// ParseFormat reads a format name, ignoring case and surrounding spaces.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := Lookup(f); ok {
		return f, nil
	}
	return "", fmt.Errorf("unknown output format %q: valid formats are %s", s, strings.Join(Names(), ", "))
}

// spec is the declaration of the format o asks for; the empty format is Table.
func (o Options) spec() (Spec, error) {
	f := o.Format
	if f == "" {
		f = Table
	}
	if s, ok := Lookup(f); ok {
		return s, nil
	}
	_, err := ParseFormat(string(f))
	return Spec{}, err
}

// Tabular reports that the output is laid out as rows of top-level fields: a tabular format (table, csv) and neither
// a jq expression nor a template, which replace the format.
func (o Options) Tabular() bool {
	if o.JQ != "" || o.Template != "" {
		return false
	}
	s, err := o.spec()
	return err == nil && s.Tabular
}
