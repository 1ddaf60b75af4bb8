package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/output"
)

// Env is what generated commands need from the application.
type Env struct {
	F *cmdutil.Factory
	// Backend builds the vendor client on first use (after flags are parsed and input validated).
	Backend func(ctx context.Context) (request.Backend, error)
	Rules   Rules
	// Noun names the vendor in messages ("PRA").
	Noun string

	// Hooks returns the customisation of an operation's command, or nil. It is called once for each command built,
	// so the Hooks value may keep that command's state (its flag values).
	Hooks func(op *request.Op) *Hooks
	// Commands returns extra commands a vendor adds to a group (e.g. vm wait), or nil.
	Commands func(g *request.Group) []*cobra.Command
	// Site identifies the configured site for completion (cmdutil.Factory.SiteKey): "" means none, and completion
	// then sends nothing; nil disables completion from the site.
	Site func() string

	// Need, when set, says whether a group's commands are built. A group it refuses gets a stand-in with its name,
	// aliases and summary, so help listings and the completion of command names do not change, and its operations
	// are still known to the environment. A command line then pays only for the groups it names.
	Need func(g *request.Group) bool

	ops []*request.Op // every operation built or stood in for so far (bulk creates look up their collection's list operation)
}

// NeedNamed is an Env.Need that builds the groups named, by name or alias, in the command-line arguments, and every
// group when args is nil (documentation generators, callers building the whole tree).
func NeedNamed(args []string) func(g *request.Group) bool {
	if args == nil {
		return nil
	}
	return func(g *request.Group) bool {
		for _, a := range args {
			if a == g.Name || slices.Contains(g.Aliases, a) {
				return true
			}
		}
		return false
	}
}

// ownFlags are the names of the engine's own flags and cobra's; they and the root's persistent flags
// (cmdutil.Factory.GlobalFlags) are reserved: fields with these names get a "field-" prefix.
var ownFlags = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"help": true, "version": true, "json": true, "limit": true, "page": true, "per-page": true, "all": true,
		"file": true, "force": true, "from-file": true, "input-format": true, "journal": true, "no-journal": true,
		"concurrency": true, "if-exists": true, "if-not-exists": true,
	}
})

func (e *Env) flagNameFor(f *request.Field) string {
	n := f.FlagName()
	if ownFlags()[n] || e.F != nil && e.F.GlobalFlags != nil && e.F.GlobalFlags.Lookup(n) != nil {
		return "field-" + n
	}
	return n
}

// fieldFlag is a pflag.Value that records the raw text of a field flag; typing and validation happen later, in one place.
type fieldFlag struct {
	f      *request.Field
	vals   []string
	isList bool
}

func (v *fieldFlag) String() string { return strings.Join(v.vals, ",") }
func (v *fieldFlag) Set(s string) error {
	if v.isList {
		v.vals = append(v.vals, s)
	} else {
		v.vals = []string{s}
	}
	return nil
}
func (v *fieldFlag) Type() string {
	switch v.f.Type {
	case request.Integer:
		return "int"
	case request.Number:
		return "number"
	case request.Boolean:
		return "bool"
	case request.DateTime:
		return "datetime"
	case request.Array:
		switch v.f.Items {
		case request.Integer:
			return "ints"
		case request.Object:
			return "json"
		}
		return "strings"
	case request.Object:
		return "json"
	}
	if len(v.f.Enum) > 0 {
		return "enum"
	}
	return "string"
}

func fieldHelp(f *request.Field) string {
	h := f.Help
	if h == "" {
		h = strings.ReplaceAll(f.Name, "_", " ")
	}
	var extra []string
	if len(f.Enum) > 0 {
		extra = append(extra, "one of: "+strings.Join(f.Enum, ", "))
	}
	if f.Type == request.DateTime {
		extra = append(extra, "RFC 3339, UTC")
	}
	switch {
	case f.Type == request.Array && f.Items == request.Object:
		extra = append(extra, "a JSON object; repeat for more, or give a JSON array")
	case f.Type == request.Array:
		extra = append(extra, "repeat or comma-separate")
	}
	if f.Nullable {
		extra = append(extra, "empty for null")
	}
	if f.Required {
		extra = append(extra, "required")
	}
	if len(extra) > 0 {
		h += " (" + strings.Join(extra, "; ") + ")"
	}
	return h
}

func (e *Env) addFieldFlags(fs *pflag.FlagSet, fields []request.Field, skipReadOnly bool, cmd *cobra.Command) map[string]*fieldFlag {
	out := map[string]*fieldFlag{}
	for i := range fields {
		f := &fields[i]
		if skipReadOnly && f.ReadOnly {
			continue
		}
		ff := &fieldFlag{f: f, isList: f.Type == request.Array}
		name := e.flagNameFor(f)
		fl := fs.VarPF(ff, name, "", fieldHelp(f))
		if f.Type == request.Boolean {
			fl.NoOptDefVal = "true"
		}
		out[f.Name] = ff
		if len(f.Enum) > 0 {
			enum := f.Enum
			_ = cmd.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				return enum, cobra.ShellCompDirectiveNoFileComp
			})
		}
	}
	return out
}

// Command builds the cobra command tree for a group, with the extra commands Env.Commands declares for it.
func (e *Env) Command(g *request.Group) *cobra.Command { return e.command(g, nil) }

// command builds a group's commands; parents are the names of the groups above it (their objects are named from
// the whole path in questions, see objectNoun).
func (e *Env) command(g *request.Group, parents []string) *cobra.Command {
	path := append(append([]string(nil), parents...), g.Name)
	cmd := &cobra.Command{
		Use:     g.Name,
		Aliases: g.Aliases,
		Short:   g.Short,
		Long:    g.Long,
		Args:    cobra.NoArgs,
	}
	for _, op := range g.Ops {
		verb, object := askedAs(path, op)
		cmd.AddCommand(e.opCommand(op, g.Name, verb, object))
	}
	for _, s := range g.Groups {
		if e.Need != nil && !e.Need(s) {
			cmd.AddCommand(e.standIn(s))
			continue
		}
		cmd.AddCommand(e.command(s, path))
	}
	if e.Commands != nil {
		cmd.AddCommand(e.Commands(g)...)
	}
	return cmd
}

// Group is Command for a group Need may refuse: its commands, or its stand-in.
func (e *Env) Group(g *request.Group) *cobra.Command {
	if e.Need != nil && !e.Need(g) {
		return e.standIn(g)
	}
	return e.Command(g)
}

// standIn names a group the arguments do not reach (Env.Need) and records its operations.
func (e *Env) standIn(g *request.Group) *cobra.Command {
	var record func(g *request.Group)
	record = func(g *request.Group) {
		for _, op := range g.Ops {
			checkPathParams(op)
			e.ops = append(e.ops, op)
		}
		for _, s := range g.Groups {
			record(s)
		}
	}
	record(g)
	return &cobra.Command{Use: g.Name, Aliases: g.Aliases, Short: g.Short, Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() }}
}

var paramRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{([^}]+)\}`) })

// OpCommand builds the command for one operation: the flags are parsed into an opRun, whose stages do the work.
func (e *Env) OpCommand(op *request.Op, noun string) *cobra.Command {
	return e.opCommand(op, noun, op.Name, noun)
}

// opCommand is OpCommand with the verb and the phrase that name the operation and its objects in questions.
func (e *Env) opCommand(op *request.Op, noun, verb, object string) *cobra.Command {
	checkPathParams(op)
	cmd := &cobra.Command{
		Use:     opUse(op),
		Aliases: op.Aliases,
		Short:   opShort(op),
		Long:    opLong(op),
		Example: op.Example,
		Hidden:  op.Hidden,
	}
	e.ops = append(e.ops, op)
	r := e.newRun(op, noun)
	r.verb, r.object = verb, object
	r.buildFlags(cmd)
	cmd.ValidArgsFunction = e.completeIDs(op)
	cmd.Args = func(c *cobra.Command, args []string) error { return r.checkArgs(c.CommandPath(), args) }
	cmd.RunE = func(c *cobra.Command, args []string) error {
		r.bind(c, args)
		return r.run(c.Context())
	}
	return cmd
}

func opUse(op *request.Op) string {
	use := op.Name
	for i, a := range op.Args {
		use += " " + a.Name
		if op.MultiID && i == len(op.Args)-1 {
			use += "..."
		}
	}
	return use
}

func opShort(op *request.Op) string {
	if op.Short != "" {
		return op.Short
	}
	return fmt.Sprintf("%s %s", strings.ToUpper(op.Method[:1])+strings.ToLower(op.Method[1:]), op.Path)
}

func opLong(op *request.Op) string {
	long := op.Long
	if long == "" {
		long = opShort(op) + "."
	}
	return long + fmt.Sprintf("\n\nAPI: %s %s", op.Method, op.Path)
}

// checkPathParams panics when a path parameter has no positional argument: a catalog error.
func checkPathParams(op *request.Op) {
	for _, m := range paramRe().FindAllStringSubmatch(op.Path, -1) {
		found := false
		for _, a := range op.Args {
			if a.Param == m[1] {
				found = true
			}
		}
		if !found {
			panic(fmt.Sprintf("engine: %s %s: path parameter {%s} has no argument", op.Method, op.Path, m[1]))
		}
	}
}

// buildFlags is the first stage: the field flags of the operation, the engine's own (--json, paging, download,
// --from-file) and the hooks' additional flags.
func (r *opRun) buildFlags(cmd *cobra.Command) {
	op := r.op
	fs := cmd.Flags()
	hasBody := op.TakesBody() && len(op.Body) > 0
	if hasBody {
		r.bodyFlags = r.env.addFieldFlags(fs, op.Body, true, cmd)
	}
	if len(op.Query) > 0 {
		r.queryFlags = r.env.addFieldFlags(fs, op.Query, false, cmd)
	}
	if hasBody {
		fs.StringVar(&r.jsonIn, "json", "", "read the request body as JSON from `FILE` (- for stdin); flags and key=value input override its fields")
	}
	if op.Kind == request.KindList {
		fs.IntVar(&r.list.Limit, "limit", 0, "stop after `N` items (0 = all)")
		fs.IntVar(&r.list.Page, "page", 0, "fetch only page `N` (1-based)")
		fs.IntVar(&r.list.PerPage, "per-page", 0, "items per request (vendor maximum applies)")
		fs.BoolVar(&r.all, "all", true, "fetch every page (the default; use --limit or --page to stop early)")
	}
	if bulkCapable(op) {
		r.bulk.register(fs)
	}
	r.idempotentFlags.register(fs, op)
	if op.Kind == request.KindDownload {
		fs.StringVarP(&r.download.Path, "file", "f", "", "save to `PATH` (a file or directory; - for stdout); default: the server's file name in the current directory")
		fs.BoolVar(&r.download.Force, "force", false, "overwrite an existing file")
	}
	if r.hooks.AdditionalFlags != nil {
		r.hooks.AdditionalFlags(fs)
	}
	for i := range r.hooks.SecretFields {
		// A hidden flag, so that giving it says where the secret goes instead of "unknown flag".
		sf := &r.hooks.SecretFields[i]
		if name := r.env.flagNameFor(sf); fs.Lookup(name) == nil {
			fs.Var(&fieldFlag{f: sf}, name, "")
		}
	}
	r.secrets = secretFlags(fs, append(append([]string{}, r.hooks.Secrets...), secretNames(r.hooks.SecretFields)...))
	if r.hooks.Configure != nil {
		r.hooks.Configure(cmd)
	}
}

func secretNames(fields []request.Field) []string {
	out := make([]string, len(fields))
	for i := range fields {
		out[i] = fields[i].Name
	}
	return out
}

// checkArgs validates the number of positional arguments.
func (r *opRun) checkArgs(path string, args []string) error {
	op, nargs := r.op, len(r.op.Args)
	if r.bulk.from != "" {
		// With --from-file, leading ids apply to every record; the rest come from each record's fields.
		if nargs == 0 && len(args) > 0 {
			return &api.UsageError{Err: fmt.Errorf("%s --from-file takes no arguments, got %q", path, strings.Join(args, " "))}
		}
		if len(args) > nargs || op.MultiID && len(args) >= nargs && nargs > 0 {
			return &api.UsageError{Err: fmt.Errorf("%s --from-file: give at most the leading ids shared by every record; each record names its own %s", path, op.Args[nargs-1].Name)}
		}
		return nil
	}
	if op.MultiID && nargs > 0 {
		if len(args) < nargs && !r.inputGiven() {
			return &api.UsageError{Err: fmt.Errorf("%s: expected %s", path, usageArgs(op))}
		}
		return nil
	}
	if len(args) < nargs && r.inputGiven() {
		// The missing arguments may come from the input (-k key=value, --json): checked once it is read.
		return nil
	}
	if len(args) != nargs {
		if nargs == 0 {
			return &api.UsageError{Err: fmt.Errorf("%s takes no arguments, got %q", path, strings.Join(args, " "))}
		}
		return &api.UsageError{Err: fmt.Errorf("%s: expected %s, got %d argument(s)", path, usageArgs(op), len(args))}
	}
	return nil
}

// inputGiven reports whether the run reads its input from stdin or a file (-k, --json), which may name the arguments.
func (r *opRun) inputGiven() bool {
	return r.jsonIn != "" || r.env.F != nil && r.env.F.G != nil && r.env.F.G.KVIn
}

// streamList writes a list as its pages arrive when the output format allows it (see output.NewListStream): memory
// does not grow with the list. It reports false, having sent nothing, when the format needs every item first.
func streamList(ctx context.Context, f *cmdutil.Factory, be request.Backend, call *request.Call, lo request.ListOptions, columns []string) (bool, error) {
	o, err := f.OutputOptions(columns)
	if err != nil {
		return true, err
	}
	s := output.NewListStream(f.IO.Out, o)
	if s == nil {
		return false, nil
	}
	first := true
	write := func(item any) error {
		if first {
			first = false
			if err := checkColumns(f.G.Columns, columns, []any{item}); err != nil {
				return err
			}
		}
		return s.Write(item)
	}
	if err := be.List(ctx, call, lo, write); err != nil {
		if aerr := s.Abort(); aerr != nil {
			return true, errors.Join(err, aerr)
		}
		return true, err
	}
	if err := s.Close(); err != nil {
		return true, err
	}
	if s.Count() == 0 && f.IO.OutTTY {
		f.Infof("no results")
	}
	return true, nil
}

// checkColumns refuses --columns naming a field that none of the items has and the operation's default columns do
// not list: a typo would print an empty column. The first items of a streamed list stand for all of them.
func checkColumns(want, defaults []string, items []any) error {
	if len(want) == 0 || len(items) == 0 {
		return nil
	}
	known := map[string]bool{}
	for _, c := range defaults {
		known[c] = true
	}
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil
		}
		for k := range m {
			known[k] = true
		}
	}
	var bad []string
	for _, c := range want {
		if !known[c] {
			bad = append(bad, c)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	valid := make([]string, 0, len(known))
	for k := range known {
		valid = append(valid, k)
	}
	sort.Strings(valid)
	return &api.UsageError{Err: fmt.Errorf("--columns: no field %s; the items have: %s", strings.Join(bad, ", "), strings.Join(valid, ", "))}
}

func argsFor(c *request.Call, op *request.Op) []string {
	var out []string
	for _, a := range op.Args {
		out = append(out, c.PathParams[a.Param])
	}
	return out
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func usageArgs(op *request.Op) string {
	var n []string
	for _, a := range op.Args {
		n = append(n, a.Name)
	}
	return strings.Join(n, " ")
}

func checkIDArgs(op *request.Op, args []string) error {
	var bad []string
	for i, a := range args {
		spec := op.Args[min(i, len(op.Args)-1)]
		if !spec.Integer {
			continue
		}
		if n, err := strconv.ParseInt(a, 10, 32); err != nil || n < 1 {
			bad = append(bad, fmt.Sprintf("%s must be a positive integer, got %q", spec.Name, a))
		}
	}
	if len(bad) > 0 {
		return &api.UsageError{Err: errors.New(strings.Join(bad, "; "))}
	}
	return nil
}

func fillQuery(q url.Values, fields []request.Field, raw map[string]*rawValue, order []string, rules Rules) error {
	if len(order) == 0 {
		return nil
	}
	m, err := BuildBody(fields, raw, order, false, rules)
	if err != nil {
		return err
	}
	for _, k := range sortedKeys(m) {
		switch v := m[k].(type) {
		case []any:
			for _, x := range v {
				q.Add(k, fmt.Sprint(x))
			}
		case nil:
			q.Set(k, "")
		default:
			q.Set(k, fmt.Sprint(v))
		}
	}
	return nil
}

func readJSONBody(path string, stdin io.Reader) (map[string]any, error) {
	var r io.Reader
	if path == "-" {
		r = stdin
	} else {
		fh, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--json: %w", err)
		}
		defer fh.Close()
		r = fh
	}
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("--json %s: not a JSON object: %v", path, err)
	}
	return m, nil
}

// confirmed asks the question; a refusal is the usage error "cancelled".
func confirmed(ctx context.Context, f *cmdutil.Factory, question string) error {
	ok, err := f.IO.Confirm(ctx, question)
	if errors.Is(err, cmdutil.ErrNoAnswer) {
		return &api.UsageError{Err: errors.New("no confirmation read")}
	}
	if err != nil {
		return err
	}
	if !ok {
		return &api.UsageError{Err: errors.New("cancelled")}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
