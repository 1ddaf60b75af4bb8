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
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/output"
)

// Env is what generated commands need from the application.
type Env struct {
	F *cmdutil.Factory
	// Backend builds the vendor client on first use (after flags are parsed and input validated).
	Backend func(ctx context.Context) (Backend, error)
	Rules   Rules
	// Noun names the vendor in messages ("PRA").
	Noun string

	ops []*Op // every operation built so far (bulk creates look up their collection's list operation)
}

// ownFlags are the names of the engine's own flags and cobra's; they and the root's persistent flags
// (cmdutil.Factory.GlobalFlags) are reserved: fields with these names get a "field-" prefix.
var ownFlags = map[string]bool{
	"help": true, "version": true, "json": true, "limit": true, "page": true, "per-page": true, "all": true,
	"file": true, "force": true, "from-file": true, "input-format": true, "journal": true, "no-journal": true,
	"concurrency": true,
}

func (e *Env) flagNameFor(f *Field) string {
	n := f.FlagName()
	if ownFlags[n] || e.F.GlobalFlags != nil && e.F.GlobalFlags.Lookup(n) != nil {
		return "field-" + n
	}
	return n
}

// fieldFlag is a pflag.Value that records the raw text of a field flag; typing and validation happen later, in one place.
type fieldFlag struct {
	f      *Field
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
	case Integer:
		return "int"
	case Number:
		return "number"
	case Boolean:
		return "bool"
	case DateTime:
		return "datetime"
	case Array:
		if v.f.Items == Integer {
			return "ints"
		}
		return "strings"
	case Object:
		return "json"
	}
	if len(v.f.Enum) > 0 {
		return "enum"
	}
	return "string"
}

func fieldHelp(f *Field) string {
	h := f.Help
	if h == "" {
		h = strings.ReplaceAll(f.Name, "_", " ")
	}
	var extra []string
	if len(f.Enum) > 0 {
		extra = append(extra, "one of: "+strings.Join(f.Enum, ", "))
	}
	if f.Type == DateTime {
		extra = append(extra, "RFC 3339, UTC")
	}
	if f.Type == Array {
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

func (e *Env) addFieldFlags(fs *pflag.FlagSet, fields []Field, skipReadOnly bool, cmd *cobra.Command) map[string]*fieldFlag {
	out := map[string]*fieldFlag{}
	for i := range fields {
		f := &fields[i]
		if skipReadOnly && f.ReadOnly {
			continue
		}
		ff := &fieldFlag{f: f, isList: f.Type == Array}
		name := e.flagNameFor(f)
		fl := fs.VarPF(ff, name, "", fieldHelp(f))
		if f.Type == Boolean {
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

// Command builds the cobra command tree for a group.
func (e *Env) Command(g *Group) *cobra.Command {
	cmd := &cobra.Command{
		Use:     g.Name,
		Aliases: g.Aliases,
		Short:   g.Short,
		Long:    g.Long,
		Args:    cobra.NoArgs,
	}
	for _, op := range g.Ops {
		cmd.AddCommand(e.OpCommand(op, g.Name))
	}
	for _, s := range g.Groups {
		cmd.AddCommand(e.Command(s))
	}
	return cmd
}

var paramRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{([^}]+)\}`) })

// OpCommand builds the command for one operation.
func (e *Env) OpCommand(op *Op, noun string) *cobra.Command {
	use := op.Name
	for i, a := range op.Args {
		use += " " + a.Name
		if op.MultiID && i == len(op.Args)-1 {
			use += "..."
		}
	}
	short := op.Short
	if short == "" {
		short = fmt.Sprintf("%s %s", strings.ToUpper(op.Method[:1])+strings.ToLower(op.Method[1:]), op.Path)
	}
	long := op.Long
	if long == "" {
		long = short + "."
	}
	long += fmt.Sprintf("\n\nAPI: %s %s", op.Method, op.Path)
	cmd := &cobra.Command{
		Use:     use,
		Aliases: op.Aliases,
		Short:   short,
		Long:    long,
		Example: op.Example,
		Hidden:  op.Hidden,
	}
	e.ops = append(e.ops, op)
	nargs := len(op.Args)
	var bf bulkFlags
	cmd.Args = func(c *cobra.Command, args []string) error {
		if bf.from != "" {
			// With --from-file, leading ids apply to every record; the rest come from each record's fields.
			if nargs == 0 && len(args) > 0 {
				return &api.UsageError{Err: fmt.Errorf("%s --from-file takes no arguments, got %q", c.CommandPath(), strings.Join(args, " "))}
			}
			if len(args) > nargs || op.MultiID && len(args) >= nargs && nargs > 0 {
				return &api.UsageError{Err: fmt.Errorf("%s --from-file: give at most the leading ids shared by every record; each record names its own %s", c.CommandPath(), op.Args[nargs-1].Name)}
			}
			return nil
		}
		if op.MultiID && nargs > 0 {
			if len(args) < nargs {
				return &api.UsageError{Err: fmt.Errorf("%s: expected %s", c.CommandPath(), usageArgs(op))}
			}
			return nil
		}
		if len(args) != nargs {
			if nargs == 0 {
				return &api.UsageError{Err: fmt.Errorf("%s takes no arguments, got %q", c.CommandPath(), strings.Join(args, " "))}
			}
			return &api.UsageError{Err: fmt.Errorf("%s: expected %s, got %d argument(s)", c.CommandPath(), usageArgs(op), len(args))}
		}
		return nil
	}
	fs := cmd.Flags()
	hasBody := op.TakesBody()
	var bodyFlags, queryFlags map[string]*fieldFlag
	if hasBody && len(op.Body) > 0 {
		bodyFlags = e.addFieldFlags(fs, op.Body, true, cmd)
	}
	if len(op.Query) > 0 {
		queryFlags = e.addFieldFlags(fs, op.Query, false, cmd)
	}
	var jsonIn string
	if hasBody && len(op.Body) > 0 {
		fs.StringVar(&jsonIn, "json", "", "read the request body as JSON from `FILE` (- for stdin); flags and key=value input override its fields")
	}
	var lo ListOptions
	var all bool
	if op.Kind == KindList {
		fs.IntVar(&lo.Limit, "limit", 0, "stop after `N` items (0 = all)")
		fs.IntVar(&lo.Page, "page", 0, "fetch only page `N` (1-based)")
		fs.IntVar(&lo.PerPage, "per-page", 0, "items per request (vendor maximum applies)")
		fs.BoolVar(&all, "all", true, "fetch every page (the default; use --limit or --page to stop early)")
	}
	if bulkCapable(op) {
		bf.register(fs)
	}
	var dl DownloadOptions
	if op.Kind == KindDownload {
		fs.StringVarP(&dl.Path, "file", "f", "", "save to `PATH` (a file or directory; - for stdout); default: the server's file name in the current directory")
		fs.BoolVar(&dl.Force, "force", false, "overwrite an existing file")
	}
	// flagInput gathers the field flags given on the command line.
	flagInput := func(c *cobra.Command) (map[string]*rawValue, []string) {
		raw := map[string]*rawValue{}
		var order []string
		target := bodyFlags
		if !hasBody || len(op.Body) == 0 {
			target = nil
		}
		for _, fields := range []struct {
			m      map[string]*fieldFlag
			fields []Field
		}{{target, op.Body}, {queryFlags, op.Query}} {
			for i := range fields.fields {
				fd := &fields.fields[i]
				ff, ok := fields.m[fd.Name]
				if !ok || !c.Flags().Changed(e.flagNameFor(fd)) {
					continue
				}
				if ff.isList {
					var items []string
					for _, v := range ff.vals {
						items = append(items, strings.Split(v, ",")...)
					}
					order = append(order, fd.Name)
					raw[fd.Name] = &rawValue{isList: true, list: items, origin: "--" + e.flagNameFor(fd)}
				} else {
					order = append(order, fd.Name)
					raw[fd.Name] = &rawValue{text: ff.vals[0], quoted: true, origin: "--" + e.flagNameFor(fd)}
				}
			}
		}
		return raw, order
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		f := e.F
		if err := f.ValidateOutput(); err != nil {
			return err
		}
		if bf.from != "" {
			defs, defOrder := flagInput(c)
			return e.runBulk(c, op, args, &bf, defs, defOrder)
		}
		if lo.Limit < 0 || lo.Page < 0 || lo.PerPage < 0 {
			return &api.UsageError{Err: errors.New("--limit, --page and --per-page take positive numbers")}
		}
		if err := checkIDArgs(op, args); err != nil {
			return err
		}
		// Gather input: --json < key=value on stdin < flags.
		raw := map[string]*rawValue{}
		var order []string
		put := func(k string, rv *rawValue) {
			if _, ok := raw[k]; !ok {
				order = append(order, k)
			}
			raw[k] = rv
		}
		if jsonIn != "" {
			if jsonIn == "-" && f.G.KVIn {
				return &api.UsageError{Err: errors.New("--json - and -k both read stdin; use one")}
			}
			var stdin io.Reader
			if jsonIn == "-" {
				stdin = f.IO.Stdin(c.Context(), "a JSON object")
			}
			m, err := readJSONBody(jsonIn, stdin)
			if err != nil {
				return &api.UsageError{Err: err}
			}
			for _, k := range sortedKeys(m) {
				put(k, &rawValue{json: m[k], fromJS: true, origin: "--json"})
			}
		}
		if f.G.KVIn {
			pairs, err := ReadKV(f.IO.Stdin(c.Context(), "key=value lines"))
			if err != nil {
				return &api.UsageError{Err: err}
			}
			kvRaw, kvOrder := kvToRaw(pairs)
			for _, k := range kvOrder {
				put(k, kvRaw[k])
			}
		}
		flagRaw, flagOrder := flagInput(c)
		for _, k := range flagOrder {
			put(k, flagRaw[k])
		}
		call := &Call{Op: op, PathParams: map[string]string{}, Query: url.Values{}}
		for i, a := range op.Args {
			if i < len(args) {
				call.PathParams[a.Param] = args[i]
			}
		}
		// Split gathered input between the body and the query.
		if hasBody && len(op.Body) > 0 {
			bodyRaw := map[string]*rawValue{}
			var bodyOrder []string
			qraw := map[string]*rawValue{}
			var qorder []string
			qidx := fieldIndex(op.Query)
			bidx := fieldIndex(op.Body)
			for _, k := range order {
				if _, inQ := qidx[k]; inQ {
					if _, inB := bidx[k]; !inB {
						qraw[k] = raw[k]
						qorder = append(qorder, k)
						continue
					}
				}
				bodyRaw[k] = raw[k]
				bodyOrder = append(bodyOrder, k)
			}
			body, err := BuildBody(op.Body, bodyRaw, bodyOrder, op.WholeBody(), e.Rules)
			if err != nil {
				return &api.UsageError{Err: err}
			}
			if op.Method == "PATCH" && len(body) == 0 {
				return &api.UsageError{Err: fmt.Errorf("nothing to update: set at least one field (see %s --help)", c.CommandPath())}
			}
			call.Body = body
			if err := fillQuery(call.Query, op.Query, qraw, qorder, e.Rules); err != nil {
				return &api.UsageError{Err: err}
			}
		} else if err := fillQuery(call.Query, op.Query, raw, order, e.Rules); err != nil {
			return &api.UsageError{Err: err}
		}
		// Confirmation before anything is sent.
		ids := []string{""}
		if op.MultiID && nargs > 0 {
			ids = args[nargs-1:]
		}
		if op.Confirm == ConfirmIrreversible && !f.G.Yes {
			what := strings.TrimSpace(noun + " " + strings.Join(args, " "))
			if !f.IO.CanPrompt() {
				return &api.UsageError{Err: fmt.Errorf("%s %s is irreversible: pass --yes to confirm when running without a terminal", op.Name, what)}
			}
			ok, err := confirm(c.Context(), f, fmt.Sprintf("%s %s? This cannot be undone.", strings.ToUpper(op.Name[:1])+op.Name[1:], what))
			if err != nil {
				return err
			}
			if !ok {
				return &api.UsageError{Err: errors.New("cancelled")}
			}
		}
		ctx := c.Context()
		be, err := e.Backend(ctx)
		if err != nil {
			return err
		}
		switch op.Kind {
		case KindList:
			if lo.Page > 0 && lo.Limit == 0 && lo.PerPage == 0 {
				lo.PerPage = 0
			}
			if streamed, err := streamList(ctx, f, be, call, lo, op.Columns); streamed || err != nil {
				return err
			}
			var items []any
			err := be.List(ctx, call, lo, func(item any) error {
				items = append(items, item)
				return nil
			})
			if err != nil {
				return err
			}
			if items == nil {
				items = []any{}
			}
			if len(items) == 0 && f.IO.OutTTY && f.G.JQ == "" && f.G.Template == "" {
				f.Infof("no results")
			}
			return f.Print(items, op.Columns)
		case KindDownload:
			d, ok := be.(Downloader)
			if !ok {
				return fmt.Errorf("%s cannot download files", e.Noun)
			}
			res, err := d.Download(ctx, call, dl)
			if err != nil {
				return err
			}
			if dl.Path == "-" {
				return nil
			}
			return f.Print(res, []string{"file", "bytes"})
		}
		var errs []error
		for _, id := range ids {
			cl := *call
			if id != "" {
				cl.PathParams = copyMap(call.PathParams)
				cl.PathParams[op.Args[nargs-1].Param] = id
			}
			res, err := be.Invoke(ctx, &cl)
			if err != nil {
				if len(ids) == 1 {
					return err
				}
				errs = append(errs, fmt.Errorf("%s: %w", id, err))
				continue
			}
			if op.Kind == KindNone {
				f.Infof("%s: %s %s done", noun, op.Name, strings.Join(argsFor(&cl, op), " "))
				continue
			}
			if err := f.Print(res, op.Columns); err != nil {
				return err
			}
		}
		return errors.Join(errs...)
	}
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
	return cmd
}

// streamList writes a list as its pages arrive when the output format allows it (see output.NewListStream): memory
// does not grow with the list. It reports false, having sent nothing, when the format needs every item first.
func streamList(ctx context.Context, f *cmdutil.Factory, be Backend, call *Call, lo ListOptions, columns []string) (bool, error) {
	o, err := f.OutputOptions(columns)
	if err != nil {
		return true, err
	}
	s := output.NewListStream(f.IO.Out, o)
	if s == nil {
		return false, nil
	}
	if err := be.List(ctx, call, lo, s.Write); err != nil {
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

func argsFor(c *Call, op *Op) []string {
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

func usageArgs(op *Op) string {
	var n []string
	for _, a := range op.Args {
		n = append(n, a.Name)
	}
	return strings.Join(n, " ")
}

func checkIDArgs(op *Op, args []string) error {
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

func fillQuery(q url.Values, fields []Field, raw map[string]*rawValue, order []string, rules Rules) error {
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

func confirm(ctx context.Context, f *cmdutil.Factory, question string) (bool, error) {
	ok, err := f.IO.Confirm(ctx, question)
	if errors.Is(err, cmdutil.ErrNoAnswer) {
		return false, &api.UsageError{Err: errors.New("no confirmation read")}
	}
	return ok, err
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
