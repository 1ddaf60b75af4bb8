package pra

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/cmd/sitefilecmd"
	"github.com/infractl/infra/pkg/api/request"
	praCatalog "github.com/infractl/infra/pkg/catalog/pra"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/sitefile"
)

// newPRASitefileCmds: infra pra export|plan|apply.
func newPRASitefileCmds(f *cmdutil.Factory) []*cobra.Command {
	return sitefilecmd.Commands(f, sitefilecmd.Vendor{
		Name: "pra", Noun: "PRA",
		Catalog: func() *sitefile.Catalog { return sitefile.NewCatalog("pra", praCatalog.Root(), praCatalog.IsSecret) },
		Backend: func(ctx context.Context) (request.Backend, error) { return Client(ctx, f) },
		Example: "jump-group,jump-item",
	})
}
