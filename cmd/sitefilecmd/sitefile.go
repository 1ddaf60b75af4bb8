// Package sitefilecmd builds the export, plan and apply commands of a vendor over package sitefile: a site's
// configuration kept as a reviewed YAML file.
package sitefilecmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/internal/fsutil"
	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/output"
	"github.com/infractl/infra/pkg/progress"
	"github.com/infractl/infra/pkg/sitefile"
)

// Vendor is what the export, plan and apply commands need of a vendor.
type Vendor struct {
	Name, Noun string
	Catalog    func() *sitefile.Catalog
	Backend    func(ctx context.Context) (request.Backend, error)
	Example    string // a --resources value
}

// errDrift is plan --exit-code's answer when the site differs from the file.
type errDrift struct{ n int }

func (e errDrift) Error() string {
	return fmt.Sprintf("the site differs from the file (%d change(s))", e.n)
}
func (e errDrift) ExitCode() int { return cmdutil.ExitDrift }

// Commands are the vendor's export, plan and apply commands.
func Commands(f *cmdutil.Factory, v Vendor) []*cobra.Command {
	return []*cobra.Command{sitefileExportCmd(f, v), sitefilePlanCmd(f, v), sitefileApplyCmd(f, v)}
}

func sitefileExportCmd(f *cmdutil.Factory, v Vendor) *cobra.Command {
	var file string
	var kinds []string
	var schema bool
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the " + v.Noun + " site's configuration as a YAML site file (objects by name, no ids, no secrets)",
		Long: `Write one YAML document describing the ` + v.Noun + ` site: every resource the API can both list and create (all pages),
as a mapping of kinds to lists of objects, with their associations (memberships) as lists under each object. Objects
refer to each other by name, never by id, so the file applies to another site; read-only and server-assigned fields
are left out. Credentials are never exported: the file says where
apply reads them ({from: env:NAME} or {from: file:PATH}).

--schema prints a JSON Schema of the file format instead, for editors to validate and complete it.

See infra ` + v.Name + ` plan and infra ` + v.Name + ` apply, and docs/config-as-code.md.`,
		Example: fmt.Sprintf("  infra %s export -f site.yaml\n  infra %s export --resources %s > part.yaml\n  infra %s export --schema > site.schema.json",
			v.Name, v.Name, v.Example, v.Name),
		Args: cmdutil.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cat := v.Catalog()
			names, err := cat.KindNames(cmdutil.SplitList(kinds))
			if err != nil {
				return &api.UsageError{Err: fmt.Errorf("--resources: %w", err)}
			}
			if schema {
				return writeOut(f, file, func(w io.Writer) error { return cat.WriteSchema(w, names) })
			}
			be, err := v.Backend(c.Context())
			if err != nil {
				return err
			}
			site, err := cat.Read(c.Context(), be, names, sitefile.ReadOptions{AllAssocs: true})
			if err != nil {
				return err
			}
			header := fmt.Sprintf("%s site file, written by infra %s export on %s.\nApply with: infra %s plan -f FILE, then infra %s apply -f FILE",
				v.Noun, v.Name, time.Now().UTC().Format(time.RFC3339), v.Name, v.Name)
			return writeOut(f, file, func(w io.Writer) error { return site.Export(w, names, header) })
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "write to `FILE` (atomically) instead of stdout")
	cmd.Flags().StringSliceVar(&kinds, "resources", nil, "only these `KINDS` (comma-separated, e.g. "+v.Example+"; a family, the part before a /, names all its kinds)")
	cmd.Flags().BoolVar(&schema, "schema", false, "print the JSON Schema of the site file format")
	return cmd
}

// writeOut writes to stdout, or atomically to a file.
func writeOut(f *cmdutil.Factory, file string, write func(io.Writer) error) error {
	if file == "" || file == "-" {
		return write(f.IO.Out)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	return fsutil.Replace(file, buf.Bytes(), 0o644)
}

// loadPlan reads the file and the site and compares them.
func loadPlan(c *cobra.Command, v Vendor, file string, prune bool) (*sitefile.Site, *sitefile.Document, *sitefile.Plan, request.Backend, error) {
	if file == "" {
		return nil, nil, nil, nil, cmdutil.UsageErrorf("give the site file with -f FILE")
	}
	// Reading the file and the site makes much garbage (YAML and JSON decoded) beside what is kept (the site as a
	// compact table, the file's names): with the collector's default the heap grows to twice what is live before
	// it is collected; at 50 % it stays closer to it, for a little more CPU (see docs/benchmarks.md). An explicit
	// GOGC is left alone.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	cat := v.Catalog()
	doc, perr := cat.ParseFile(file)
	var problems sitefile.Problems
	if perr != nil && (doc == nil || !errors.As(perr, &problems)) {
		return nil, nil, nil, nil, &api.UsageError{Err: perr}
	}
	be, err := v.Backend(c.Context())
	if err != nil {
		return nil, nil, nil, nil, err
	}
	site, err := cat.Read(c.Context(), be, doc.Kinds, sitefile.ReadOptions{Doc: doc})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	// Every problem at once: those of the file itself and the references the site does not resolve (which Diff
	// finds as it reads the file's objects).
	if len(problems) > 0 {
		problems = append(problems, site.CheckRefs(doc)...)
		if err := doc.Err(); err != nil {
			return nil, nil, nil, nil, err
		}
		return nil, nil, nil, nil, &api.UsageError{Err: problems}
	}
	plan, err := site.Diff(doc, prune)
	if err != nil {
		return nil, nil, nil, nil, &api.UsageError{Err: err}
	}
	return site, doc, plan, be, nil
}

// printPlan prints a plan: text for people (the default), the plan object in any other format.
func printPlan(f *cmdutil.Factory, plan *sitefile.Plan) error {
	if err := f.ValidateOutput(); err != nil {
		return err
	}
	if oo, err := f.OutputOptions(nil); err == nil && oo.Format == output.Table && oo.JQ == "" && oo.Template == "" {
		var buf bytes.Buffer
		if err := plan.WriteText(&buf); err != nil {
			return err
		}
		_, err := io.WriteString(f.IO.Out, api.ForTerminal(buf.String()))
		return err
	}
	return f.Print(plan, []string{"create", "update", "delete"})
}

func sitefilePlanCmd(f *cmdutil.Factory, v Vendor) *cobra.Command {
	var file string
	var prune, exitCode bool
	cmd := &cobra.Command{
		Use:   "plan -f FILE",
		Short: "Show what apply would change on the " + v.Noun + " site to make it match a site file",
		Long: `Compare a site file with the live ` + v.Noun + ` site and print what would change: objects to create, fields to update
(old → new) and, with --prune, objects to delete — only of the kinds the file declares. Fields a file does not give
are left as they are. A file with errors (unknown kind or field, wrong type, a reference to a name that exists
neither in the file nor on the site, a duplicate name, a credential written inline) gets every problem at once, each
with its line, and nothing is read from the site beyond the lists.

-o json prints {"create":N,"update":N,"delete":N,"changes":[{"action","kind","name","fields"}…]}.
--exit-code exits 0 when the site matches the file and ` + fmt.Sprint(cmdutil.ExitDrift) + ` when it differs (drift alarms in CI).`,
		Example: fmt.Sprintf("  infra %s plan -f site.yaml\n  infra %s plan -f site.yaml --prune -o json\n  infra %s plan -f site.yaml --exit-code >/dev/null || echo drift", v.Name, v.Name, v.Name),
		Args:    cmdutil.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := f.ValidateOutput(); err != nil {
				return err
			}
			_, _, plan, _, err := loadPlan(c, v, file, prune)
			if err != nil {
				return err
			}
			if err := printPlan(f, plan); err != nil {
				return err
			}
			if exitCode && !plan.Empty() {
				return errDrift{len(plan.Changes)}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the site `FILE`")
	cmd.Flags().BoolVar(&prune, "prune", false, "also delete objects of the declared kinds that the file does not name")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, fmt.Sprintf("exit %d when the site differs from the file", cmdutil.ExitDrift))
	return cmd
}

func sitefileApplyCmd(f *cmdutil.Factory, v Vendor) *cobra.Command {
	var file, journal string
	var prune, dryRun bool
	var concurrency int
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Change the " + v.Noun + " site to match a site file (dependency order, journaled, resumable)",
		Long: `Carry out the plan (see infra ` + v.Name + ` plan): creates and updates in dependency order (objects before the objects
that refer to them), then, with --prune, deletes in reverse order, within the API's rate limit, with progress on a
terminal. Credentials ({from: env:NAME} or {from: file:PATH}) are read before anything is sent, and sent only when
an object is created.

Every change is journaled (--journal, default FILE.journal): after Ctrl-C or a kill, running the same command again
resumes. Each change happens exactly once: a create whose answer was lost is looked up by name before it is sent
again, and a repeated delete that finds nothing succeeded. The journal is removed when the apply completes.

Deletes need confirmation on a terminal, or --yes. --dry-run prints the plan and changes nothing.`,
		Example: fmt.Sprintf("  infra %s apply -f site.yaml --dry-run\n  infra %s apply -f site.yaml\n  infra %s apply -f site.yaml --prune --yes", v.Name, v.Name, v.Name),
		Args:    cmdutil.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := f.ValidateOutput(); err != nil {
				return err
			}
			if concurrency < 1 || concurrency > 64 {
				return cmdutil.UsageErrorf("--concurrency must be between 1 and 64")
			}
			site, doc, plan, be, err := loadPlan(c, v, file, prune)
			if err != nil {
				return err
			}
			if dryRun {
				return printPlan(f, plan)
			}
			if plan.Delete > 0 {
				if err := cmdutil.ConfirmAction(c.Context(), f, fmt.Sprintf("delete %d object(s) the file does not name", plan.Delete)); err != nil {
					return err
				}
			}
			if journal == "" {
				journal = file + ".journal"
			}
			res, err := site.Apply(c.Context(), be, doc, plan, sitefile.ApplyOptions{
				Journal:     journal,
				Concurrency: concurrency,
				Getenv:      f.Getenv,
				Bar: func(total int, label string) *progress.Bar {
					return progress.NewCount(f.IO.ErrOut, f.ShowProgress(), int64(total), label)
				},
				OnFailure: func(ch sitefile.Change, msg string) { f.Warnf("%s %s %q: %s", ch.Action, ch.Kind, ch.Name, msg) },
				OnSecret:  api.RegisterSecret,
			})
			var ps sitefile.Problems
			if errors.As(err, &ps) {
				return &api.UsageError{Err: err}
			}
			if c.Context().Err() != nil {
				f.Warnf("interrupted: run the same command again to resume (journal %s)", journal)
			}
			if err != nil {
				return err
			}
			return f.Print(res, []string{"create", "update", "delete", "done", "skipped", "failed"})
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the site `FILE`")
	cmd.Flags().BoolVar(&prune, "prune", false, "also delete objects of the declared kinds that the file does not name")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and change nothing")
	cmd.Flags().StringVar(&journal, "journal", "", "journal `FILE` (default: the site file with .journal)")
	cmd.Flags().IntVar(&concurrency, "concurrency", 4, "requests in flight at once (the vendor's rate limit still applies)")
	return cmd
}
