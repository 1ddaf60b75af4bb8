package cmdutil

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/output"
)

// annDefaultFormat is the annotation that holds a command's declared default output format.
const annDefaultFormat = "infra/default-output"

// SetDefaultFormat declares the format c prints in when no flag, environment variable or setting picks one
// (btapi-style verbs print JSON, as btapi does). It belongs with the command's definition: it is read once, before
// the command runs.
func SetDefaultFormat(c *cobra.Command, format output.Format) {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[annDefaultFormat] = string(format)
}

// DefaultFormat is the format c declared with SetDefaultFormat ("" when none).
func DefaultFormat(c *cobra.Command) output.Format {
	return output.Format(c.Annotations[annDefaultFormat])
}

// resolvedOutput is the output of one command line, resolved once.
type resolvedOutput struct {
	opts     output.Options
	explicit bool // -o or -K picked the format
	err      error
}

// ResolveOutput resolves the output options of c, the command about to run, once: the format from -K or -o, else the
// output setting (environment, --env-file, config file), else the format c declared with SetDefaultFormat, else
// table; then --jq, --template, --columns and --no-headers, and colour. The root command calls it before any command
// runs, and nothing changes the result afterwards. An error (an invalid setting) is kept and returned by OutputOptions
// and ValidateOutput, so that a command that prints nothing is not stopped by it.
func (f *Factory) ResolveOutput(c *cobra.Command) {
	if c.Name() == cobra.ShellCompRequestCmd || c.Name() == cobra.ShellCompNoDescRequestCmd {
		return // a completion request prints candidates; the flags of the command line it completes are read later
	}
	f.outOnce.Do(func() { f.out = f.resolveOutput(DefaultFormat(c)) })
}

// resolved is the output resolved by ResolveOutput; a command run without the root (tests) resolves it on first use.
func (f *Factory) resolved() resolvedOutput {
	f.outOnce.Do(func() { f.out = f.resolveOutput("") })
	return f.out
}

func (f *Factory) resolveOutput(def output.Format) resolvedOutput {
	// The configuration is loaded first: it checks -o along with every other setting.
	cfg, err := f.Config()
	if err != nil {
		return resolvedOutput{err: err}
	}
	name, explicit := f.G.Output, f.G.Output != ""
	if f.G.KVOut {
		name, explicit = string(output.KV), true
	}
	if !explicit {
		if v, err := cfg.Get("output"); err == nil && v.IsSet {
			name = v.Value
		} else if def != "" {
			name = string(def)
		} else {
			name = string(output.Table)
		}
	}
	format, err := output.ParseFormat(name)
	if err != nil {
		return resolvedOutput{err: &api.UsageError{Err: err}}
	}
	return resolvedOutput{explicit: explicit, opts: output.Options{
		Format:    format,
		JQ:        f.G.JQ,
		Template:  f.G.Template,
		Columns:   f.G.Columns,
		NoHeaders: f.G.NoHeaders,
		TTY:       f.IO.OutTTY,
		Width:     f.IO.Width,
		Wide:      f.G.Wide || format == output.Wide,
		Color:     f.IO.OutTTY && !cfg.Bool("no_color") && f.Getenv("NO_COLOR") == "",
	}}
}

// OutputOptions returns the resolved output options; defaultColumns apply when --columns is not given.
func (f *Factory) OutputOptions(defaultColumns []string) (output.Options, error) {
	r := f.resolved()
	if r.err != nil {
		return output.Options{}, r.err
	}
	o := r.opts
	if len(o.Columns) == 0 {
		o.Columns = defaultColumns
	}
	return o, nil
}

// ValidateOutput checks --output, --jq and --template before anything is sent.
func (f *Factory) ValidateOutput() error {
	r := f.resolved()
	if r.err != nil {
		return r.err
	}
	o := r.opts
	if o.JQ != "" && o.Template != "" {
		return &api.UsageError{Err: errors.New("--jq and --template cannot be used together")}
	}
	// --jq and --template write their own text from the JSON form: an explicit other format would be silently ignored.
	if r.explicit && (o.JQ != "" || o.Template != "") && o.Format != output.JSON {
		which := "--jq"
		if o.Template != "" {
			which = "--template"
		}
		return &api.UsageError{Err: fmt.Errorf("%s writes its own output from the JSON form; it cannot be combined with -o %s", which, o.Format)}
	}
	if o.JQ != "" {
		if err := output.ValidateJQ(o.JQ); err != nil {
			return &api.UsageError{Err: fmt.Errorf("--jq: %w", err)}
		}
	}
	if o.Template != "" {
		if err := output.ValidateTemplate(o.Template); err != nil {
			return &api.UsageError{Err: fmt.Errorf("--template: %w", err)}
		}
	}
	return nil
}
