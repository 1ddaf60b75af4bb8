package engine

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
)

// Hooks customise the command of one operation. A vendor declares them beside its catalog and hands them to the
// engine through Env.Hooks, keyed by the operation itself (*request.Op); the engine calls each at its stage, so no
// vendor looks up or patches a built command. Every field is optional.
//
// Stages of a run, with the hooks each calls:
//
//	parse flags        AdditionalFlags (when building), Secrets (refused on the command line)
//	intercept          Intercept: a workflow that replaces the whole command when it says so
//	gather, build      input from --json, -k and flags into a request.Call
//	confirm            irreversible operations
//	backend            Validate, then Env.Backend
//	per call           Resolve, Before, Run (or Backend.Invoke), After
//	render             Invocation.Columns
type Hooks struct {
	// AdditionalFlags adds the command's own flags (read them back in the other hooks through Invocation.Cmd, or
	// bind them to variables of the Hooks value, which is built once per command).
	AdditionalFlags func(fs *pflag.FlagSet)
	// Configure completes the help of the command being built (Long, Example).
	Configure func(cmd *cobra.Command)
	// Secrets are body fields that hold credentials: their flags are hidden and refused; the values come from stdin
	// (-k key=value, --json -) or from the vendor's own secret reading in Before.
	Secrets []string
	// SecretFields are body fields that hold credentials and have no flag at all (the catalog leaves them out of
	// the operation's body): the input gives them (-k key=value, --json, --from-file records), as a file or stdin
	// is not the command line; a missing one is left to Before (a password read with --password-stdin or a prompt).
	SecretFields []request.Field
	// InputFlags name, by input key, the flags of AdditionalFlags that the input (-k, --json) may give too: context
	// parameters such as Jotelulu's --subscription. A flag on the command line wins; a field of the same name is
	// the field's.
	InputFlags map[string]string
	// Columns replace the operation's default table columns.
	Columns []string
	// Intercept runs once the flags are parsed, before anything else; when it reports handled, the command is done
	// (backup download --dir --keep writes its own summary).
	Intercept func(ctx context.Context, inv *Invocation) (handled bool, err error)
	// Validate checks the command's own flags once per run, after confirmation and before the backend is built.
	Validate func(ctx context.Context, inv *Invocation) error
	// Resolve fills in context parameters of a call (ids resolved from names given by flags).
	Resolve func(ctx context.Context, inv *Invocation, call *request.Call) error
	// Before transforms a call just before it is sent (a secret read from stdin added to the body).
	Before func(ctx context.Context, inv *Invocation, call *request.Call) error
	// Run replaces sending the call (a delete dispatched to one of several operations).
	Run func(ctx context.Context, inv *Invocation, call *request.Call) (any, error)
	// After transforms the answer of a call, or continues a workflow and returns what to print instead.
	After func(ctx context.Context, inv *Invocation, call *request.Call, answer any) (any, error)
}

// Invocation is one run of an operation's command, as the hooks see it.
type Invocation struct {
	// Cmd is the command being run (its flags); nil when the operation runs as a generic verb.
	Cmd  *cobra.Command
	Op   *request.Op
	Args []string
	// Backend is the vendor backend, once built (before Resolve, Before, Run and After).
	Backend request.Backend
	// Columns are the table columns the answer is rendered with; After may change them.
	Columns []string
}

// Changed reports whether the flag was set on the command line.
func (inv *Invocation) Changed(name string) bool {
	return inv.Cmd != nil && inv.Cmd.Flags().Changed(name)
}

// secretFlags hides the flags of secret fields and returns their names.
func secretFlags(fs *pflag.FlagSet, secrets []string) []string {
	var names []string
	for _, field := range secrets {
		name := strings.ReplaceAll(field, "_", "-")
		if fl := fs.Lookup(name); fl != nil {
			fl.Hidden = true
			names = append(names, name)
		}
	}
	return names
}

// refuseSecrets keeps credentials off the command line, where the process list and shell history would show them.
func refuseSecrets(changed func(string) bool, names []string) error {
	for _, n := range names {
		if changed(n) {
			field := strings.ReplaceAll(n, "-", "_")
			return &api.UsageError{Err: fmt.Errorf("--%s is not accepted on the command line, where other users and the shell history can see it: "+
				"pass %s on stdin with -k (%s=...) or in --json -", n, field, field)}
		}
	}
	return nil
}

// hookedBackend runs the per-call hooks around the vendor backend. Each call is copied first, so hooks may change
// its parameters, query and body without touching the caller's (the calls of a multi-id or bulk run share them).
type hookedBackend struct {
	be   request.Backend
	h    *Hooks
	inv  *Invocation
	noun string
}

func (b *hookedBackend) prepare(ctx context.Context, call *request.Call) (*request.Call, error) {
	cl := *call
	cl.PathParams = copyMap(call.PathParams)
	cl.Query = maps.Clone(call.Query)
	if call.Body != nil {
		cl.Body = make(map[string]any, len(call.Body))
		for k, v := range call.Body {
			cl.Body[k] = v
		}
	}
	if b.h.Resolve != nil {
		if err := b.h.Resolve(ctx, b.inv, &cl); err != nil {
			return nil, err
		}
	}
	if b.h.Before != nil {
		if err := b.h.Before(ctx, b.inv, &cl); err != nil {
			return nil, err
		}
	}
	return &cl, nil
}

// Invoke implements request.Backend.
func (b *hookedBackend) Invoke(ctx context.Context, call *request.Call) (any, error) {
	cl, err := b.prepare(ctx, call)
	if err != nil {
		return nil, err
	}
	var res any
	if b.h.Run != nil {
		res, err = b.h.Run(ctx, b.inv, cl)
	} else {
		res, err = b.be.Invoke(ctx, cl)
	}
	if err != nil || b.h.After == nil {
		return res, err
	}
	return b.h.After(ctx, b.inv, cl, res)
}

// List implements request.Backend.
func (b *hookedBackend) List(ctx context.Context, call *request.Call, opts request.ListOptions, each func(any) error) error {
	cl, err := b.prepare(ctx, call)
	if err != nil {
		return err
	}
	return b.be.List(ctx, cl, opts, each)
}

// Download implements request.Downloader.
func (b *hookedBackend) Download(ctx context.Context, call *request.Call, opts request.DownloadOptions) (*request.Download, error) {
	d, ok := b.be.(request.Downloader)
	if !ok {
		return nil, fmt.Errorf("%s cannot download files", b.noun)
	}
	cl, err := b.prepare(ctx, call)
	if err != nil {
		return nil, err
	}
	return d.Download(ctx, cl, opts)
}
