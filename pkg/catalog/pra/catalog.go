// Package pra declares the BeyondTrust PRA Configuration API resources as data for the command engine. The catalog is
// generated from BeyondTrust's OpenAPI document by internal/pragen (make pra-catalog PRA_SPEC=…) into zz_generated.go.
package pra

//go:generate sh -c "test -n \"$PRA_SPEC\" || { echo 'set PRA_SPEC to pra-config-openapi-1.10.yaml' >&2; exit 1; }; go run ../../../internal/pragen -spec \"$PRA_SPEC\" -out zz_generated.go"

import (
	"sort"

	"github.com/infractl/infra/pkg/api/request"
)

func i64(v int64) *int64 { return &v }

// Root is the whole catalog: top-level operations (openapi) in Ops, resources in Groups.
func Root() *request.Group { return generated() }

// Groups returns every PRA resource group.
func Groups() []*request.Group { return generated().Groups }

// Operations lists every operation of the catalog with its command path below `infra pra`.
func Operations() []Operation {
	var out []Operation
	root := generated()
	for _, op := range root.Ops {
		out = append(out, Operation{Command: []string{op.Name}, Op: op})
	}
	for _, g := range root.Groups {
		g.Walk(func(path []string, op *request.Op) { out = append(out, Operation{Command: path, Op: op}) })
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Op.Path < out[j].Op.Path })
	return out
}

// Operation is one catalog operation and the command words that reach it.
type Operation struct {
	Command []string
	Op      *request.Op
}

// IsSecret reports whether a body field holds a credential (never taken from a flag).
func IsSecret(name string) bool {
	i := sort.SearchStrings(SecretFields, name)
	return i < len(SecretFields) && SecretFields[i] == name
}

// JumpClientGroup names the group of the Jump Client commands (infra pra jump-client), to which the command layer
// adds prune.
const JumpClientGroup = "jump-client"
