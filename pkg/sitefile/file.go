package sitefile

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/infractl/infra/pkg/api/request"
)

// Ref is a field referring to another object by its natural key.
type Ref struct {
	Kind, Name string
}

// Secret is a credential the file does not hold: From says where apply reads it ("env:NAME" or "file:PATH").
type Secret struct {
	From string
}

// Object is one declared object of a file.
type Object struct {
	Kind   *Kind
	Name   string
	Fields map[string]any // by wire name; references are Ref (or an int64 id the file gives as is), credentials Secret
	Line   int
	Lines  map[string]int // line of each field, by wire name
	// Assocs are the association entries the file gives, by association name (the whole list of each).
	Assocs     map[string][]map[string]any
	AssocLines map[string][]int
}

// Document is a parsed site file.
type Document struct {
	File  string
	Kinds []string           // kinds the file declares (even with no object), in file order
	names map[string]nameSet // kind → lower-case names declared, including objects with problems
	// withAssocs are the lower-case names, by kind, of the valid objects that give associations.
	withAssocs map[string]map[string]bool
	// The objects: held when the file was read whole; read again from the file's pieces otherwise, one at a time, so
	// that a large file is never held, as objects or as text (see Objects).
	objects []*Object
	cat     *Catalog
	open    opener
	sum     [sha256.Size]byte // of the file as first read
	twice   map[int]bool      // lines of the objects of the pieces that are declared twice (left out)
	err     error
}

// Objects yields the valid objects of the file, in file order. A file read in pieces is read again: each object is
// new, and the caller keeps only those it needs. When the file cannot be read again, or has changed, Objects stops
// and Err says why.
func (d *Document) Objects() iter.Seq[*Object] {
	return func(yield func(*Object) bool) {
		if d.open == nil {
			for _, o := range d.objects {
				if !yield(o) {
					return
				}
			}
			return
		}
		f, err := d.open()
		if err != nil {
			d.err = err
			return
		}
		defer f.Close()
		p := d.cat.newDocParser(d.File)
		p.twice, p.yield = d.twice, yield
		h := sha256.New()
		ok, err := d.cat.readPieces(p, io.TeeReader(f, h))
		switch {
		case p.stop:
		case err != nil:
			d.err = err
		case !ok || [sha256.Size]byte(h.Sum(nil)) != d.sum:
			d.err = fmt.Errorf("%s changed while it was read: run the command again", d.File)
		}
	}
}

// Err reports why the objects of the file could not be read again (see Objects).
func (d *Document) Err() error { return d.err }

// Declares reports whether the file names an object of kind called name.
func (d *Document) Declares(kind, name string) bool { return d.names[kind].has(strings.ToLower(name)) }

// Problem is one error in a file, with its line.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Problems is every error found in a file; nothing is sent when there is one.
type Problems []Problem

func (ps Problems) Error() string {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	noun := "problems"
	if len(ps) == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("%d %s in the site file; nothing was sent:\n%s", len(ps), noun, strings.Join(lines, "\n"))
}

// Parse reads a site file. Every problem found is returned at once, as Problems, with the document of the objects
// that are valid (nil when the file is not YAML), so references can still be checked against the site.
//
// A file laid out as export writes it is read one object at a time (see eachPiece), so that the YAML tree of the whole
// file is never held; any other file, and any file with a YAML error, is read whole, which gives the same document
// and the same problems.
func (c *Catalog) Parse(file string, data []byte) (*Document, error) {
	if doc, err, ok := c.parsePieces(file, bytesOpener(data)); ok {
		return doc, err
	}
	return c.parseWhole(file, data)
}

// ParseFile is Parse of the file at path, named by its base name in problems. A file read in pieces is not held in
// memory: it is read again, and checked to be the same, when its objects are asked for. An error that is not Problems
// is a failure to read the file.
func (c *Catalog) ParseFile(path string) (*Document, error) {
	file := filepath.Base(path)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		if doc, err, ok := c.parsePieces(file, func() (io.ReadCloser, error) { return os.Open(path) }); ok {
			return doc, err
		}
	}
	// Not a regular file (a pipe, /dev/stdin), which cannot be read twice: held.
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return c.Parse(file, data)
}

// parseWhole reads a file as one YAML tree.
func (c *Catalog) parseWhole(file string, data []byte) (*Document, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		line := 1
		var te *yaml.TypeError
		msg := err.Error()
		if errors.As(err, &te) && len(te.Errors) > 0 {
			msg = te.Errors[0]
		}
		if n, ok := yamlErrLine(msg); ok {
			line = n
		}
		return nil, Problems{{file, line, strings.TrimPrefix(msg, "yaml: ")}}
	}
	p := c.newDocParser(file)
	p.keep = true
	if len(root.Content) == 0 {
		return p.result()
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		p.add(top, "the file is a mapping of kinds (jump-group:, user:, …) to lists of objects")
		return p.result()
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		p.kindWithObjects(top.Content[i], top.Content[i+1])
	}
	return p.result()
}

// docParser builds a document from the file's top-level keys and their objects, collecting the problems. With yield,
// it reads the objects of a document again (see Document.Objects): each valid object is given to yield, and nothing
// else is kept.
type docParser struct {
	c     *Catalog
	doc   *Document
	ps    Problems
	seen  map[string]int      // kind and lower-case name → line of the first object so named
	names map[string][]string // kind → lower-case names declared
	twice map[int]bool        // lines of the objects declared twice
	text  arena               // the names kept
	yield func(*Object) bool
	stop  bool // yield asked for no more
	keep  bool // hold the objects in the document (a file read whole)
}

func (c *Catalog) newDocParser(file string) *docParser {
	return &docParser{c: c, doc: &Document{File: file, withAssocs: map[string]map[string]bool{}}, seen: map[string]int{}, names: map[string][]string{}}
}

func (p *docParser) add(n *yaml.Node, format string, a ...any) {
	p.ps = append(p.ps, Problem{p.doc.File, n.Line, fmt.Sprintf(format, a...)})
}

// kind reads a top-level key and its value. It returns the kind when the value is a list whose objects follow.
func (p *docParser) kind(kn, vn *yaml.Node) *Kind {
	k := p.c.Kind(kn.Value)
	if k == nil || !k.Managed() {
		p.add(kn, "unknown kind %q (known: %s)", kn.Value, strings.Join(p.c.managedNames(), ", "))
		return nil
	}
	p.doc.Kinds = append(p.doc.Kinds, k.Name)
	if vn.Kind == yaml.ScalarNode && vn.Tag == "!!null" {
		return nil
	}
	if k.Singleton {
		p.singleton(k, vn)
		return nil
	}
	if vn.Kind != yaml.SequenceNode {
		p.add(vn, "%s: expected a list of objects", k.Name)
		return nil
	}
	return k
}

// kindWithObjects reads a top-level key and its value, objects included.
func (p *docParser) kindWithObjects(kn, vn *yaml.Node) {
	if k := p.kind(kn, vn); k != nil {
		for _, on := range vn.Content {
			p.object(k, on)
		}
	}
}

// object reads one object of a kind's list.
func (p *docParser) object(k *Kind, on *yaml.Node) {
	if p.yield != nil {
		if p.stop || p.twice[on.Line] {
			return
		}
		if o := p.c.parseObject(k, on, func(*yaml.Node, string, ...any) {}); o != nil {
			p.valid(o)
		}
		return
	}
	if name := objectName(k, on); name != "" {
		key := k.Name + "\x00" + strings.ToLower(name)
		if first, dup := p.seen[key]; dup {
			p.add(on, "%s %q is declared twice (first on line %d)", k.Name, name, first)
			if p.twice == nil {
				p.twice = map[int]bool{}
			}
			p.twice[on.Line] = true
			return
		}
		key = p.text.add(key) // kept: in a block of its own, not among the YAML read
		p.seen[key] = on.Line
		p.names[k.Name] = append(p.names[k.Name], key[len(k.Name)+1:])
	}
	if o := p.c.parseObject(k, on, p.add); o != nil {
		p.valid(o)
	}
}

// valid takes a valid object of the file: given to yield when the objects are read again; else noted, and held in
// the document when the file is read whole.
func (p *docParser) valid(o *Object) {
	if p.yield != nil {
		p.stop = !p.yield(o)
		return
	}
	if len(o.Assocs) > 0 {
		if p.doc.withAssocs[o.Kind.Name] == nil {
			p.doc.withAssocs[o.Kind.Name] = map[string]bool{}
		}
		p.doc.withAssocs[o.Kind.Name][p.text.lower(p.text.add(o.Name))] = true
	}
	if p.keep {
		p.doc.objects = append(p.doc.objects, o)
	}
}

func (p *docParser) result() (*Document, error) {
	p.doc.names = map[string]nameSet{}
	for k, names := range p.names {
		p.doc.names[k] = newNameSet(names)
	}
	if len(p.ps) > 0 {
		return p.doc, p.ps
	}
	return p.doc, nil
}

// parseAssoc reads an object's list of association entries.
func (c *Catalog) parseAssoc(k *Kind, a *Assoc, o *Object, n *yaml.Node, add func(*yaml.Node, string, ...any)) bool {
	if o.Assocs == nil {
		o.Assocs, o.AssocLines = map[string][]map[string]any{}, map[string][]int{}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		o.Assocs[a.Name] = []map[string]any{}
		return true
	}
	if n.Kind != yaml.SequenceNode {
		add(n, "%s: %s: expected a list of entries", k.Name, a.Name)
		return false
	}
	ak := a.asKind()
	ok := true
	entries := []map[string]any{}
	var lines []int
	for _, en := range n.Content {
		if en.Kind != yaml.MappingNode {
			add(en, "%s: %s: expected an entry (field: value lines)", k.Name, a.Name)
			ok = false
			continue
		}
		e := map[string]any{}
		for i := 0; i+1 < len(en.Content); i += 2 {
			fn, vn := en.Content[i], en.Content[i+1]
			f, known := ak.field(fn.Value)
			if !known {
				add(fn, "%s: %s: unknown field %q", k.Name, a.Name, fn.Value)
				ok = false
				continue
			}
			v, err := c.fieldValue(ak, f, vn)
			if err != nil {
				add(vn, "%s: %s: %s: %v", k.Name, a.Name, fn.Value, err)
				ok = false
				continue
			}
			e[f.Name] = v
		}
		entries = append(entries, e)
		lines = append(lines, en.Line)
	}
	o.Assocs[a.Name], o.AssocLines[a.Name] = entries, lines
	return ok
}

// objectName is the natural key an object node gives, if any.
func objectName(k *Kind, on *yaml.Node) string {
	if on.Kind != yaml.MappingNode {
		return ""
	}
	if k.derived() {
		return compositeName(k, on)
	}
	for i := 0; i+1 < len(on.Content); i += 2 {
		if on.Content[i].Value == k.Key && on.Content[i+1].Kind == yaml.ScalarNode {
			return on.Content[i+1].Value
		}
	}
	return ""
}

func yamlErrLine(msg string) (int, bool) {
	i := strings.Index(msg, "line ")
	if i < 0 {
		return 0, false
	}
	j := i + 5
	for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(msg[i+5 : j])
	return n, err == nil
}

func (c *Catalog) managedNames() []string {
	var out []string
	for _, k := range c.Managed() {
		out = append(out, k.Name)
	}
	sort.Strings(out)
	return out
}

func (c *Catalog) parseObject(k *Kind, on *yaml.Node, add func(*yaml.Node, string, ...any)) *Object {
	if on.Kind != yaml.MappingNode {
		add(on, "%s: expected an object (field: value lines)", k.Name)
		return nil
	}
	o := &Object{Kind: k, Fields: map[string]any{}, Line: on.Line, Lines: map[string]int{}}
	ok := true
	for i := 0; i+1 < len(on.Content); i += 2 {
		fn, vn := on.Content[i], on.Content[i+1]
		f, known := k.field(fn.Value)
		if a := k.assoc(fn.Value); !known && a != nil {
			if !c.parseAssoc(k, a, o, vn, add) {
				ok = false
			}
			continue
		}
		if !known {
			add(fn, "%s: unknown field %q", k.Name, fn.Value)
			ok = false
			continue
		}
		if _, dup := o.Lines[f.Name]; dup {
			add(fn, "%s: field %q is given twice", k.Name, fn.Value)
			ok = false
			continue
		}
		o.Lines[f.Name] = fn.Line
		v, err := c.fieldValue(k, f, vn)
		if err != nil {
			add(vn, "%s: %s: %v", k.Name, fn.Value, err)
			ok = false
			continue
		}
		o.Fields[f.Name] = v
	}
	name := k.nameOf(o.Fields)
	if name == "" {
		add(on, "%s: the object has no %s (the natural key that names it)", k.Name, k.keyFields())
		return nil
	}
	o.Name = name
	if r, isRef := o.Fields["jump_group_id"].(Ref); isRef && o.Fields["jump_group_type"] == "personal" {
		o.Fields["jump_group_id"] = Ref{Kind: "user", Name: r.Name} // a personal Jump Group is its user's
	}
	if !ok {
		return nil
	}
	return o
}

// fieldValue checks a YAML value against the catalog field and converts it.
func (c *Catalog) fieldValue(k *Kind, f *request.Field, n *yaml.Node) (any, error) {
	if k.Secret[f.Name] {
		from, ok := secretFrom(n)
		if !ok {
			return nil, errors.New("a credential is never written in the file: give {from: env:NAME} or {from: file:PATH}")
		}
		return Secret{From: from}, nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		if f.Nullable {
			return nil, nil
		}
		return nil, errors.New("may not be null")
	}
	if target, isRef := k.Refs[f.Name]; isRef {
		if f.Type != request.Array {
			return refValue(target, n)
		}
		if n.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("expected a list of names of %s, got %s", target, describe(n))
		}
		out := make([]any, 0, len(n.Content))
		for _, el := range n.Content {
			v, err := refValue(target, el)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	var v any
	switch f.Type {
	case request.Integer:
		id, err := intValue(n)
		if err != nil {
			return nil, err
		}
		if (f.Min != nil && id < *f.Min) || (f.Max != nil && id > *f.Max) {
			return nil, fmt.Errorf("%d is out of range", id)
		}
		v = id
	case request.Number:
		var x float64
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&x) != nil {
			return nil, fmt.Errorf("expected a number, got %s", describe(n))
		}
		v = x
	case request.Boolean:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
			return nil, fmt.Errorf("expected true or false, got %s", describe(n))
		}
		v = b
	case request.Array:
		if n.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("expected a list, got %s", describe(n))
		}
		var a []any
		if err := n.Decode(&a); err != nil {
			return nil, err
		}
		v = normalize(a)
	case request.Object:
		if n.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("expected an object, got %s", describe(n))
		}
		var m map[string]any
		if err := n.Decode(&m); err != nil {
			return nil, err
		}
		v = normalize(m)
	default: // strings, date-times
		if n.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("expected a string, got %s", describe(n))
		}
		s := n.Value
		if k.Duration[f.Name] {
			if ns, ok := nanoseconds(s); !ok || ns <= 0 {
				return nil, fmt.Errorf("%q is not a duration (40m, 1h30m, or a count of nanoseconds)", s)
			}
		}
		if len(f.Enum) > 0 && !slices.Contains(f.Enum, s) {
			return nil, fmt.Errorf("%q is not one of %s", s, strings.Join(f.Enum, ", "))
		}
		if f.MaxLen > 0 && len([]rune(s)) > f.MaxLen {
			return nil, fmt.Errorf("longer than %d characters", f.MaxLen)
		}
		v = s
	}
	return v, nil
}

// refValue reads a reference: the name of an object, or a whole number taken as an id as it is (ids such as 0 that
// mean "none" name no object).
func refValue(target string, n *yaml.Node) (any, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		return intValue(n)
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return nil, fmt.Errorf("expected the name of a %s, got %s", target, describe(n))
	}
	return Ref{Kind: target, Name: n.Value}, nil
}

func intValue(n *yaml.Node) (int64, error) {
	var i int64
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil {
		return 0, fmt.Errorf("expected a whole number, got %s", describe(n))
	}
	return i, nil
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "an object"
	}
	return strconv.Quote(n.Value)
}

// secretFrom reads {from: env:NAME} or {from: file:PATH}.
func secretFrom(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 || n.Content[0].Value != "from" {
		return "", false
	}
	from := n.Content[1].Value
	if (strings.HasPrefix(from, "env:") && len(from) > 4) || (strings.HasPrefix(from, "file:") && len(from) > 5) {
		return from, true
	}
	return "", false
}

// Reveal reads a credential where the file says it is: an environment variable (getenv) or a file (its content
// without a final newline).
func (s Secret) Reveal(getenv func(string) string) (string, error) {
	if name, ok := strings.CutPrefix(s.From, "env:"); ok {
		v := getenv(name)
		if v == "" {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		return v, nil
	}
	path := strings.TrimPrefix(s.From, "file:")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read the credential file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// normalize gives values one representation for comparison: every number is a float64, maps and lists recursively.
func normalize(v any) any {
	switch t := v.(type) {
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	case float64:
		return t
	case interface{ Float64() (float64, error) }: // json.Number
		f, err := t.Float64()
		if err != nil || math.IsInf(f, 0) {
			return fmt.Sprint(t)
		}
		return f
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = normalize(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = normalize(x)
		}
		return out
	}
	return v
}

// nameSet is a set of names held as one string, sorted, for the thousands of names of a large file.
type nameSet struct {
	text string
	ends []uint32 // the end of each name in text
}

func newNameSet(names []string) nameSet {
	slices.Sort(names)
	names = slices.Compact(names)
	var b strings.Builder
	ends := make([]uint32, len(names))
	for i, n := range names {
		b.WriteString(n)
		ends[i] = uint32(b.Len())
	}
	return nameSet{text: b.String(), ends: ends}
}

func (s nameSet) at(i int) string {
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return s.text[start:s.ends[i]]
}

func (s nameSet) has(name string) bool {
	i := sort.Search(len(s.ends), func(i int) bool { return s.at(i) >= name })
	return i < len(s.ends) && s.at(i) == name
}
