// Package mcp serves the operation catalogs of infra as Model Context Protocol tools: an agent finds operations by
// words, reads an input schema generated from the catalog, and calls them through the command line's own validation,
// clients, rate limits and output, under a policy that keeps it read-only, confirmed and audited, and never shows it
// a secret.
package mcp

import (
	"slices"
	"sort"
	"strings"

	"github.com/infractl/infra/pkg/api/request"
	jotcat "github.com/infractl/infra/pkg/catalog/jotelulu"
	pracat "github.com/infractl/infra/pkg/catalog/pra"
	vcat "github.com/infractl/infra/pkg/catalog/virtomize"
)

// Vendors are the vendor names the server knows, in the order they are listed.
var Vendors = []string{"pra", "virtomize", "jotelulu"}

// Operation is one catalog operation and the command that runs it.
type Operation struct {
	// Name is the command below infra, e.g. "pra jump-group list"; agents name operations by it.
	Name string
	// Command is Name as words.
	Command []string
	Vendor  string
	// Resource is the command path between the vendor and the verb ("jump-group", "vm snapshot"); "" for top-level
	// operations.
	Resource string
	Op       *request.Op
}

// Read reports whether the operation only reads: a GET. Everything else changes something.
func (o *Operation) Read() bool { return o.Op.Method == "GET" }

// Irreversible reports whether the operation cannot be undone: the catalog says so, or it deletes.
func (o *Operation) Irreversible() bool {
	return o.Op.Confirm == request.ConfirmIrreversible || o.Op.Method == "DELETE"
}

// Catalog is the operations of the enabled vendors.
type Catalog struct {
	ops    []*Operation
	byName map[string]*Operation
}

// NewCatalog indexes the operations of the given vendors (all of them when none is given). Hidden operations
// (compatibility aliases) are left out.
func NewCatalog(vendors []string) *Catalog {
	if len(vendors) == 0 {
		vendors = Vendors
	}
	c := &Catalog{byName: map[string]*Operation{}}
	add := func(vendor string, path []string, op *request.Op) {
		if op.Hidden {
			return
		}
		cmd := append([]string{vendor}, path...)
		o := &Operation{Name: strings.Join(cmd, " "), Command: cmd, Vendor: vendor, Op: op,
			Resource: strings.Join(path[:len(path)-1], " ")}
		c.ops = append(c.ops, o)
		c.byName[o.Name] = o
	}
	for _, v := range vendors {
		switch v {
		case "pra":
			for _, o := range pracat.Operations() {
				add(v, o.Command, o.Op)
			}
		case "virtomize":
			vcat.Root().Walk(func(p []string, op *request.Op) { add(v, p[1:], op) })
		case "jotelulu":
			for _, g := range jotcat.New().Groups {
				g.Walk(func(p []string, op *request.Op) { add(v, p, op) })
			}
		}
	}
	sort.SliceStable(c.ops, func(i, j int) bool { return c.ops[i].Name < c.ops[j].Name })
	return c
}

// Lookup returns the operation named name ("pra jump-group list"), or nil.
func (c *Catalog) Lookup(name string) *Operation {
	return c.byName[strings.Join(strings.Fields(name), " ")]
}

// Len is the number of operations.
func (c *Catalog) Len() int { return len(c.ops) }

// Find returns the operations matching every word (in the name, resource, summary, method or path; case-insensitive),
// restricted to a vendor and a resource when given, best matches first.
func (c *Catalog) Find(words []string, vendor, resource string) []*Operation {
	type hit struct {
		o     *Operation
		score int
	}
	var hits []hit
	for _, o := range c.ops {
		if vendor != "" && o.Vendor != vendor {
			continue
		}
		if resource != "" && !matchResource(o, resource) {
			continue
		}
		score, ok := 0, true
		name := strings.ToLower(o.Name)
		text := strings.ToLower(strings.Join([]string{o.Op.Short, o.Op.Method, o.Op.Path, o.Op.ID}, " "))
		for _, w := range words {
			w = strings.ToLower(w)
			switch {
			case slices.Contains(o.Command, w):
				score += 3
			case strings.Contains(name, w):
				score += 2
			case strings.Contains(text, w):
				score++
			default:
				ok = false
			}
		}
		if ok {
			hits = append(hits, hit{o, score})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	out := make([]*Operation, len(hits))
	for i, h := range hits {
		out[i] = h.o
	}
	return out
}

// matchResource matches the resource path or its last word ("snapshot" finds "vm snapshot"), or a group alias.
func matchResource(o *Operation, resource string) bool {
	r := strings.ToLower(strings.Join(strings.Fields(resource), " "))
	if o.Resource == r {
		return true
	}
	parts := strings.Fields(o.Resource)
	return len(parts) > 0 && parts[len(parts)-1] == r
}
