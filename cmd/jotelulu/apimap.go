package jotelulu

import (
	"strings"

	"github.com/spf13/cobra"

	jot "github.com/infractl/infra/pkg/api/jotelulu"
	"github.com/infractl/infra/pkg/api/request"
	jotcat "github.com/infractl/infra/pkg/catalog/jotelulu"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/output"
)

func newJoteluluAPIMapCmd(f *cmdutil.Factory, cat *jotcat.Catalog, specFlag *string) *cobra.Command {
	var wide bool
	c := &cobra.Command{
		Use:   "api-map",
		Short: "List every Jotelulu operation with its method, path, source and command",
		Long: `List the 33 operations of the Jotelulu public API with the method and path infra sends, whether that pair is
documented (seen in the public reference) or inferred (built from the documented conventions), and the command
that sends it.

With --spec FILE or URL (or the profile setting jotelulu.spec) the vendor's OpenAPI document is loaded: the spec column
says, per operation, whether the document confirmed the built-in method and path, changed them (the "builtin"
field keeps the old pair), or does not list the operation. A summary goes to stderr.

The table shows the command, method, source and operation id (with --spec: the spec column instead of the id), to fit
a terminal; --wide adds the paths (some are over 100 characters long). CSV, JSON and YAML always carry every field.`,
		Example: `  infra jotelulu api-map
  infra jotelulu api-map --wide
  infra jotelulu api-map --spec jotelulu-openapi.yaml -o json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := f.ValidateOutput(); err != nil {
				return err
			}
			ops, res, spec, path, err := joteluluOps(c.Context(), f, *specFlag)
			if err != nil {
				return err
			}
			commands := map[string][]string{}
			for _, g := range cat.Groups {
				g.Walk(func(p []string, op *request.Op) {
					for _, id := range cat.Meta[op.ID].APIOps {
						commands[id] = append(commands[id], strings.Join(p, " "))
					}
				})
			}
			status := map[string]jot.SpecResult{}
			for _, r := range res {
				status[r.ID] = r
			}
			rows := make([]map[string]any, 0, len(ops))
			counts := map[jot.SpecStatus]int{}
			for _, op := range ops {
				row := map[string]any{
					"operationId": op.ID, "title": op.Title, "method": op.Method, "path": op.Path,
					"source": string(op.Source), "command": strings.Join(commands[op.ID], ", "),
				}
				if path != "" {
					r := status[op.ID]
					counts[r.Status]++
					row["spec"] = string(r.Status)
					row["builtin"] = r.Was
					if r.Detail != "" {
						row["detail"] = r.Detail
					}
				}
				rows = append(rows, row)
			}
			cols := apiMapColumns(f, wide, path != "")
			if path != "" {
				f.Infof("spec %s: %d confirmed, %d changed, %d absent, %d conflicting", path,
					counts[jot.SpecConfirmed], counts[jot.SpecChanged], counts[jot.SpecAbsent], counts[jot.SpecConflict])
				for _, r := range res {
					switch r.Status {
					case jot.SpecChanged:
						op, _ := lookupOp(ops, r.ID)
						f.Infof("  changed %s: %s -> %s %s", r.ID, r.Was, op.Method, op.Path)
					case jot.SpecConflict:
						f.Warnf("spec %s: %s: %s", path, r.ID, r.Detail)
					}
				}
				if extra := jot.UnknownSpecOps(ops, spec); len(extra) > 0 {
					f.Infof("  not Jotelulu operations infra knows (ignored): %s", strings.Join(extra, ", "))
				}
			}
			return f.Print(rows, cols)
		},
	}
	c.Flags().BoolVar(&wide, "wide", false, "show every column in the table, paths included")
	return c
}

// apiMapColumns are the columns of api-map: every field for --wide and the machine formats, a table that fits 100
// columns otherwise.
func apiMapColumns(f *cmdutil.Factory, wide, spec bool) []string {
	if o, err := f.OutputOptions(nil); err == nil && o.Format == output.Table && !wide {
		if spec {
			return []string{"command", "method", "source", "spec"}
		}
		return []string{"command", "method", "source", "operationId"}
	}
	if spec {
		return []string{"operationId", "method", "path", "source", "spec", "command"}
	}
	return []string{"operationId", "method", "path", "source", "command"}
}

func lookupOp(ops []jot.Op, id string) (jot.Op, bool) {
	for _, op := range ops {
		if strings.EqualFold(op.ID, id) {
			return op, true
		}
	}
	return jot.Op{}, false
}
