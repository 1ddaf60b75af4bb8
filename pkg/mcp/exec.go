package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/cmdutil"
)

// Call is one operation as an agent asked for it, once the server's policy has let it through.
type Call struct {
	Operation *Operation
	Args      []string       // positional arguments, in the catalog's order (the last may repeat for MultiID)
	Fields    map[string]any // request fields by API name, as JSON values; the CLI validates and types them
	Options   map[string]any // command options by flag name
	List      request.ListOptions
	// Confirmed: the client confirmed an irreversible operation.
	Confirmed bool
	// StdinSecret is the value of the secret the command reads on stdin (Executor.StdinSecret), from the server's
	// side; "" when none is given.
	StdinSecret string
}

// Executor runs operations the way the command line does: the same input validation and error texts, the same
// clients (rate limits, token cache, retries) and the same JSON output. The server depends on nothing else of the
// command layer, so another implementation (the engine's stages, called directly) can replace CLIExecutor.
type Executor interface {
	// Options reports the command options of an operation besides its catalog fields.
	Options(o *Operation) []Option
	// StdinSecret names the secret field the operation's command reads on stdin rather than in its fields (the
	// Virtomize passwords, a new Jotelulu user's password), or "".
	StdinSecret(o *Operation) string
	// Execute runs c, writing its JSON output (-o json) to stdout. It returns the status lines the command printed
	// (stderr); a failed command returns an *ExitError carrying the command line's message.
	Execute(ctx context.Context, c *Call, stdout io.Writer) (notice string, err error)
	// RunCommand runs a command of the command line (words below infra) with JSON output, for workflows that are
	// commands rather than catalog operations (pra report, virtomize vm install --wait). stdin may be nil.
	RunCommand(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) (notice string, err error)
}

// ExitError is a command that failed: its exit code and its message, as the command line prints it.
type ExitError struct {
	Code    int
	Message string
}

func (e *ExitError) Error() string { return e.Message }

// CLIExecutor runs each call as a command of the command line in this process: a fresh factory over in-memory
// streams (arguments on stdin with --json -, output with -o json), sharing the server's settings and request pace.
type CLIExecutor struct {
	// Run executes a command line against a factory and returns its exit code (cmd.Run).
	Run func(ctx context.Context, f *cmdutil.Factory, args []string) int
	// NewFactory returns a factory over the given streams with the server's settings (environment, build, shared
	// limits); it is called once per call.
	NewFactory func(io *cmdutil.IOStreams) *cmdutil.Factory
	// Root builds the whole command tree (for Options).
	Root func(f *cmdutil.Factory) *cobra.Command
	// Globals are global flags given to every command (--profile P).
	Globals []string

	treeOnce sync.Once
	tree     *cobra.Command
	treeMu   sync.Mutex // cobra computes flag sets lazily: one reader at a time
}

// engineFlags are flags of generated commands that the server sets itself or does not offer (files, stdin, bulk
// input, secrets read from stdin).
var engineFlags = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"json": true, "limit": true, "page": true, "per-page": true, "all": true, "from-file": true, "input-format": true,
		"journal": true, "no-journal": true, "concurrency": true, "file": true, "force": true, "help": true,
		"password-stdin": true, "password-prompt": true, "poll-interval": true, "dir": true, "keep": true,
	}
})

func (x *CLIExecutor) leaf(words []string) *cobra.Command {
	x.treeOnce.Do(func() {
		io, _, _, _ := cmdutil.Test()
		f := x.NewFactory(io)
		f.Args = nil // the whole tree
		x.tree = x.Root(f)
	})
	c := x.tree
	for _, w := range words {
		var next *cobra.Command
		for _, s := range c.Commands() {
			if s.Name() == w {
				next = s
			}
		}
		if next == nil {
			return nil
		}
		c = next
	}
	return c
}

// Options implements Executor: the leaf command's own flags that are neither catalog fields nor engine flags.
func (x *CLIExecutor) Options(o *Operation) []Option {
	x.treeMu.Lock()
	defer x.treeMu.Unlock()
	c := x.leaf(o.Command)
	if c == nil {
		return nil
	}
	fieldFlags := map[string]bool{}
	for _, fs := range [][]request.Field{o.Op.Body, o.Op.Query} {
		for i := range fs {
			n := fs[i].FlagName()
			fieldFlags[n], fieldFlags["field-"+n] = true, true
		}
	}
	var out []Option
	c.LocalNonPersistentFlags().VisitAll(func(fl *pflag.Flag) {
		if fl.Hidden || engineFlags()[fl.Name] || fieldFlags[fl.Name] {
			return
		}
		out = append(out, Option{Name: fl.Name, Type: fl.Value.Type(), Help: fl.Usage})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// StdinSecret implements Executor: commands with --password-stdin read the password field there.
func (x *CLIExecutor) StdinSecret(o *Operation) string {
	x.treeMu.Lock()
	defer x.treeMu.Unlock()
	if c := x.leaf(o.Command); c != nil && c.Flags().Lookup("password-stdin") != nil {
		return "password"
	}
	return ""
}

// fieldFlag is the flag of a catalog field on the leaf command (reserved names get a "field-" prefix).
func (x *CLIExecutor) fieldFlag(o *Operation, f *request.Field) string {
	x.treeMu.Lock()
	defer x.treeMu.Unlock()
	n := f.FlagName()
	if c := x.leaf(o.Command); c != nil && c.Flags().Lookup("field-"+n) != nil {
		return "field-" + n
	}
	return n
}

// Execute implements Executor. Positional arguments follow "--", so no value can pass for a flag.
func (x *CLIExecutor) Execute(ctx context.Context, c *Call, stdout io.Writer) (string, error) {
	op := c.Operation.Op
	args := append([]string(nil), c.Operation.Command...)
	var stdin io.Reader
	if op.TakesBody() && len(op.Body) > 0 && c.StdinSecret == "" {
		body, err := json.Marshal(c.Fields)
		if err != nil {
			return "", err
		}
		args = append(args, "--json", "-")
		stdin = bytes.NewReader(body)
	} else if len(c.Fields) > 0 {
		// Fields as their flags (stdin holds the secret, or there is no body); a name that is not a field is refused
		// here, never turned into a flag.
		fields := map[string]*request.Field{}
		var names []string
		lists := [][]request.Field{op.Query}
		if op.TakesBody() {
			lists = append(lists, op.Body)
		}
		for _, fs := range lists {
			for i := range fs {
				if !fs[i].ReadOnly && fields[fs[i].Name] == nil {
					fields[fs[i].Name] = &fs[i]
					names = append(names, fs[i].Name)
				}
			}
		}
		var unknown []string
		for _, k := range sortedKeys(c.Fields) {
			f := fields[k]
			if f == nil {
				unknown = append(unknown, k)
				continue
			}
			args = append(args, flagValues(x.fieldFlag(c.Operation, f), c.Fields[k])...)
		}
		if len(unknown) > 0 {
			return "", &ExitError{Code: cmdutil.ExitUsage, Message: fmt.Sprintf("invalid input: unknown field(s) %s; %s takes: %s",
				strings.Join(unknown, ", "), c.Operation.Name, orNone(names))}
		}
	}
	if c.StdinSecret != "" {
		args = append(args, "--password-stdin")
		stdin = strings.NewReader(c.StdinSecret)
	}
	for _, k := range sortedKeys(c.Options) {
		args = append(args, flagValues(k, c.Options[k])...)
	}
	if op.Kind == request.KindList {
		if c.List.Page > 0 {
			args = append(args, "--page", strconv.Itoa(c.List.Page))
		}
		if c.List.PerPage > 0 {
			args = append(args, "--per-page", strconv.Itoa(c.List.PerPage))
		}
		if c.List.Limit > 0 {
			args = append(args, "--limit", strconv.Itoa(c.List.Limit))
		}
	}
	if c.Confirmed {
		args = append(args, "--yes")
	}
	args = append(append(args, "--"), c.Args...)
	return x.RunCommand(ctx, args, stdin, stdout)
}

// RunCommand implements Executor.
func (x *CLIExecutor) RunCommand(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) (string, error) {
	var errOut bytes.Buffer
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	io := &cmdutil.IOStreams{In: stdin, Out: stdout, ErrOut: &errOut, NeverPrompt: true}
	f := x.NewFactory(io)
	argv := append(append(append([]string(nil), x.Globals...), "--output=json"), args...)
	code := x.Run(ctx, f, argv)
	if code != 0 {
		return "", &ExitError{Code: code, Message: cliMessage(errOut.String())}
	}
	return strings.TrimSpace(errOut.String()), nil
}

// cliMessage is the command line's error output without what only a shell user can act on.
func cliMessage(stderr string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if l == "run with --help for usage" {
			continue
		}
		lines = append(lines, strings.TrimPrefix(l, "error: "))
	}
	return strings.Join(lines, "\n")
}

// flagValues renders a JSON value as command-line flags: a list repeats the flag, an object is JSON text, null is
// empty (null for a nullable field).
func flagValues(name string, v any) []string {
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, e := range l {
			out = append(out, "--"+name+"="+flagText(e))
		}
		return out
	}
	return []string{"--" + name + "=" + flagText(v)}
}

func flagText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool, json.Number, int, int64:
		return fmt.Sprint(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
