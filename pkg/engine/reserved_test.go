package engine_test

import (
	"context"
	"testing"

	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/engine"
)

// TestFieldFlagsAvoidGlobalFlags: a field named like one of the root's persistent flags, or like one of the engine's
// own flags, is offered as --field-NAME; the set of global names is read from the root, not kept by hand.
func TestFieldFlagsAvoidGlobalFlags(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	f := cmdutil.New(ios, cmdutil.BuildInfo{Version: "t"}, func(string) string { return "" })
	f.GlobalFlags = pflag.NewFlagSet("root", pflag.ContinueOnError)
	f.GlobalFlags.Bool("brand-new-global", false, "")
	env := &engine.Env{F: f, Noun: "Test", Backend: func(context.Context) (request.Backend, error) { return nil, nil }}
	op := &request.Op{Name: "create", Method: "POST", Path: "/things", Kind: request.KindObject, Body: []request.Field{
		{Name: "brand_new_global", Type: request.String}, {Name: "limit", Type: request.Integer}, {Name: "name", Type: request.String},
	}}
	c := env.OpCommand(op, "thing")
	for name, want := range map[string]bool{
		"field-brand-new-global": true, "brand-new-global": false, "field-limit": true, "name": true, "field-name": false,
	} {
		if got := c.Flags().Lookup(name) != nil; got != want {
			t.Errorf("flag --%s defined: %v, want %v", name, got, want)
		}
	}
}
