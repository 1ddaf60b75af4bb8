package engine

import (
	"testing"

	"github.com/infractl/infra/pkg/api/request"
)

// Groups the arguments do not name stand in: same name, aliases and summary, no commands built, operations known.
func TestNeedNamedStandsIn(t *testing.T) {
	list := &request.Op{Name: "list", Method: "GET", Path: "/parts", Kind: request.KindList}
	get := &request.Op{Name: "get", Method: "GET", Path: "/thing", Kind: request.KindObject}
	root := &request.Group{Name: "vendor", Groups: []*request.Group{
		{Name: "part", Aliases: []string{"parts"}, Short: "Parts", Ops: []*request.Op{list}},
		{Name: "thing", Short: "Things", Ops: []*request.Op{get}},
	}}
	if NeedNamed(nil) != nil {
		t.Fatal("NeedNamed(nil) must build every group")
	}
	for _, tc := range []struct {
		args  []string
		built string // the group built, "" for none
	}{
		{[]string{"vendor", "thing", "get", "1"}, "thing"},
		{[]string{"vendor", "parts", "list"}, "part"},
		{[]string{"vendor", "--help"}, ""},
	} {
		env := &Env{Need: NeedNamed(tc.args)}
		c := env.Command(root)
		for _, sub := range c.Commands() {
			g := root.Groups[0]
			if sub.Name() == "thing" {
				g = root.Groups[1]
			}
			if sub.Short != g.Short || len(sub.Aliases) != len(g.Aliases) {
				t.Errorf("%v: %s is %q %v, want %q %v", tc.args, sub.Name(), sub.Short, sub.Aliases, g.Short, g.Aliases)
			}
			if built := sub.HasSubCommands(); built != (sub.Name() == tc.built) {
				t.Errorf("%v: %s built %v", tc.args, sub.Name(), built)
			}
		}
		if len(env.ops) != 2 || env.ops[0] != list || env.ops[1] != get {
			t.Errorf("%v: operations known %v, want both in catalog order", tc.args, env.ops)
		}
	}
}
