package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
)

// opRun is one run of an operation's command: flag parsing fills it in (the options of gh's commands), then the
// stages read it: gatherInput, buildCall, confirm, backend, execute and render. Tests construct one and call a stage.
type opRun struct {
	env   *Env
	op    *request.Op
	noun  string
	hooks *Hooks
	// verb and object name the operation and its objects in questions ("delete", "shell-jump item").
	verb, object string

	// Filled by the flags.
	jsonIn   string
	list     request.ListOptions
	all      bool
	download request.DownloadOptions
	bulk     bulkFlags
	idempotentFlags
	bodyFlags  map[string]*fieldFlag
	queryFlags map[string]*fieldFlag
	secrets    []string // flags of secret fields, refused

	// Filled when the command runs.
	path    string            // command path, for messages
	args    []string          // positional arguments
	changed func(string) bool // whether a flag was set
	confirm request.Confirm   // the operation's, or none for generic verbs
	multiID bool
	inv     *Invocation
}

func (e *Env) newRun(op *request.Op, noun string) *opRun {
	r := &opRun{env: e, op: op, noun: noun, verb: op.Name, object: noun, confirm: op.Confirm, multiID: op.MultiID}
	if e.Hooks != nil {
		r.hooks = e.Hooks(op)
	}
	if r.hooks == nil {
		r.hooks = &Hooks{}
	}
	r.changed = func(string) bool { return false }
	r.inv = &Invocation{Op: op, Columns: op.Columns}
	if r.hooks.Columns != nil {
		r.inv.Columns = r.hooks.Columns
	}
	return r
}

// bind records what cobra parsed.
func (r *opRun) bind(c *cobra.Command, args []string) {
	r.path, r.args = c.CommandPath(), args
	r.changed = c.Flags().Changed
	r.inv.Cmd, r.inv.Args = c, args
}

// run executes the stages in order.
func (r *opRun) run(ctx context.Context) error {
	if err := r.precheck(); err != nil {
		return err
	}
	if r.hooks.Intercept != nil {
		if handled, err := r.hooks.Intercept(ctx, r.inv); handled || err != nil {
			return err
		}
	}
	if err := r.env.F.ValidateOutput(); err != nil {
		return err
	}
	if r.bulk.from != "" {
		defs, defOrder := r.flagInput()
		return r.runBulk(ctx, defs, defOrder)
	}
	return r.runOnce(ctx)
}

// precheck refuses secret flags and, under Rules.RequiredQuery, missing required query flags, before anything else.
func (r *opRun) precheck() error {
	if err := refuseSecrets(r.changed, r.secrets); err != nil {
		return err
	}
	if r.inputGiven() || r.bulk.from != "" {
		// The input (or each record) may give them: checked once it is read.
		return nil
	}
	return r.requiredQuery(func(q *request.Field) bool { return r.changed(r.env.flagNameFor(q)) })
}

// requiredQuery checks, under Rules.RequiredQuery, that every required query parameter is given.
func (r *opRun) requiredQuery(given func(q *request.Field) bool) error {
	if !r.env.Rules.RequiredQuery {
		return nil
	}
	for i := range r.op.Query {
		q := &r.op.Query[i]
		if q.Required && !given(q) {
			return &api.UsageError{Err: fmt.Errorf("%s: --%s is required (or %s= in the input)", r.path, q.FlagName(), q.Name)}
		}
	}
	return nil
}

// runOnce runs the operation for the positional arguments (one call, or one per id of a multi-id operation).
func (r *opRun) runOnce(ctx context.Context) error {
	if r.list.Limit < 0 || r.list.Page < 0 || r.list.PerPage < 0 {
		return &api.UsageError{Err: errors.New("--limit, --page and --per-page take positive numbers")}
	}
	raw, order, err := r.gatherInput(ctx)
	if err != nil {
		return err
	}
	if order, err = r.argsFromInput(raw, order); err != nil {
		return err
	}
	if order, err = r.inputToFlags(raw, order); err != nil {
		return err
	}
	if err := r.requiredQuery(func(q *request.Field) bool { return raw[q.Name] != nil }); err != nil {
		return err
	}
	if ok, err := r.checkAbsentIDs(); !ok || err != nil {
		return err
	}
	if err := checkIDArgs(r.op, r.args); err != nil {
		return err
	}
	be, order, err := r.dropCurrentValues(ctx, raw, order)
	if err != nil {
		return err
	}
	call, err := r.buildCall(raw, order)
	if err != nil {
		return err
	}
	if err := r.confirmRun(ctx); err != nil {
		return err
	}
	if be == nil {
		if be, err = r.backend(ctx); err != nil {
			return err
		}
	}
	return r.execute(ctx, be, call)
}

// inputs collects raw values in the order given; a later source overrides an earlier one.
type inputs struct {
	raw   map[string]*rawValue
	order []string
}

func (in *inputs) put(k string, rv *rawValue) {
	if _, ok := in.raw[k]; !ok {
		in.order = append(in.order, k)
	}
	in.raw[k] = rv
}

// gatherInput reads the input of the call: --json < key=value on stdin (-k) < flags.
func (r *opRun) gatherInput(ctx context.Context) (map[string]*rawValue, []string, error) {
	f := r.env.F
	in := &inputs{raw: map[string]*rawValue{}}
	if r.jsonIn != "" {
		if r.jsonIn == "-" && f.G.KVIn {
			return nil, nil, &api.UsageError{Err: errors.New("--json - and -k both read stdin; use one")}
		}
		var stdin io.Reader
		if r.jsonIn == "-" {
			stdin = f.IO.Stdin(ctx, "a JSON object")
		}
		m, err := readJSONBody(r.jsonIn, stdin)
		if err != nil {
			return nil, nil, &api.UsageError{Err: err}
		}
		for _, k := range sortedKeys(m) {
			in.put(k, &rawValue{json: m[k], fromJS: true, origin: "--json"})
		}
	}
	if f.G.KVIn {
		pairs, err := ReadKV(f.IO.Stdin(ctx, "key=value lines"))
		if err != nil {
			return nil, nil, &api.UsageError{Err: err}
		}
		kvRaw, kvOrder := kvToRaw(pairs)
		for _, k := range kvOrder {
			in.put(k, kvRaw[k])
		}
	}
	flagRaw, flagOrder := r.flagInput()
	for _, k := range flagOrder {
		in.put(k, flagRaw[k])
	}
	return in.raw, in.order, nil
}

// argInputNames are the input keys that may give an argument: its path parameter, and its name in lower case.
func argInputNames(a request.Arg) []string {
	n := strings.ToLower(a.Name)
	return []string{a.Param, n, strings.ReplaceAll(n, "-", "_")}
}

// argsFromInput takes the positional arguments missing from the command line out of the input (-k id=5, --json
// {"id": 5}); an input key naming an argument given on the command line must agree with it (get -K output piped back
// carries the id), and is then dropped unless it is also a field the operation takes.
func (r *opRun) argsFromInput(raw map[string]*rawValue, order []string) ([]string, error) {
	op := r.op
	fields := fieldIndex(append(append([]request.Field{}, op.Body...), op.Query...))
	for i, a := range op.Args {
		for _, k := range argInputNames(a) {
			rv, ok := raw[k]
			if !ok {
				continue
			}
			if f := fields[k]; f != nil && !f.ReadOnly {
				continue
			}
			v := rawText(rv)
			if i < len(r.args) {
				last := op.MultiID && i == len(op.Args)-1
				if v != r.args[i] && !last {
					return nil, &api.UsageError{Err: fmt.Errorf("%s: %s=%s in the input does not match the argument %s %s", r.path, k, v, a.Name, r.args[i])}
				}
			} else if i == len(r.args) {
				r.args = append(r.args, v)
			}
			delete(raw, k)
			order = remove(order, k)
			break
		}
	}
	if len(r.args) < len(op.Args) {
		return nil, &api.UsageError{Err: fmt.Errorf("%s: expected %s (as arguments, or in the input as %s=…)", r.path, usageArgs(op), op.Args[len(r.args)].Param)}
	}
	r.inv.Args = r.args
	return order, nil
}

// inputToFlags sets the hooks' flags that the input gives (Hooks.InputFlags) and takes those keys out of it.
func (r *opRun) inputToFlags(raw map[string]*rawValue, order []string) ([]string, error) {
	if len(r.hooks.InputFlags) == 0 || r.inv.Cmd == nil {
		return order, nil
	}
	fields := fieldIndex(append(append([]request.Field{}, r.bodyFields()...), r.op.Query...))
	fs := r.inv.Cmd.Flags()
	for _, k := range append([]string{}, order...) {
		name, ok := r.hooks.InputFlags[k]
		if !ok || fields[k] != nil || fs.Lookup(name) == nil {
			continue
		}
		if !r.changed(name) {
			if err := fs.Set(name, rawText(raw[k])); err != nil {
				return nil, &api.UsageError{Err: fmt.Errorf("%s (from the input): %v", k, err)}
			}
		}
		delete(raw, k)
		order = remove(order, k)
	}
	return order, nil
}

// flagInput gathers the field flags given on the command line.
func (r *opRun) flagInput() (map[string]*rawValue, []string) {
	in := &inputs{raw: map[string]*rawValue{}}
	op := r.op
	target := r.bodyFlags
	if !op.TakesBody() || len(op.Body) == 0 {
		target = nil
	}
	for _, set := range []struct {
		m      map[string]*fieldFlag
		fields []request.Field
	}{{target, op.Body}, {r.queryFlags, op.Query}} {
		for i := range set.fields {
			fd := &set.fields[i]
			ff, ok := set.m[fd.Name]
			if !ok || !r.changed(r.env.flagNameFor(fd)) {
				continue
			}
			origin := "--" + r.env.flagNameFor(fd)
			if !ff.isList {
				in.put(fd.Name, &rawValue{text: ff.vals[0], quoted: true, origin: origin})
				continue
			}
			if fd.Items == request.Object {
				// Each value is one JSON object (commas are part of it), or one value is the whole JSON array.
				if len(ff.vals) == 1 && strings.HasPrefix(strings.TrimSpace(ff.vals[0]), "[") {
					in.put(fd.Name, &rawValue{text: ff.vals[0], quoted: true, origin: origin})
				} else {
					in.put(fd.Name, &rawValue{isList: true, list: ff.vals, origin: origin})
				}
				continue
			}
			var items []string
			for _, v := range ff.vals {
				items = append(items, strings.Split(v, ",")...)
			}
			in.put(fd.Name, &rawValue{isList: true, list: items, origin: origin})
		}
	}
	return in.raw, in.order
}

// buildCall types and validates the gathered input and splits it between the body and the query.
func (r *opRun) buildCall(raw map[string]*rawValue, order []string) (*request.Call, error) {
	op := r.op
	call := &request.Call{Op: op, PathParams: map[string]string{}, Query: url.Values{}}
	for i, a := range op.Args {
		if i < len(r.args) {
			call.PathParams[a.Param] = r.args[i]
		}
	}
	if !op.TakesBody() || len(r.bodyFields()) == 0 {
		if err := fillQuery(call.Query, op.Query, raw, order, r.env.Rules); err != nil {
			return nil, &api.UsageError{Err: err}
		}
		return call, nil
	}
	fields := r.bodyFields()
	body, query := splitInput(op, fields, raw, order)
	b, err := BuildBody(fields, body.raw, body.order, op.WholeBody(), r.env.Rules)
	if err != nil {
		return nil, &api.UsageError{Err: err}
	}
	if op.Method == "PATCH" && len(b) == 0 {
		return nil, &api.UsageError{Err: fmt.Errorf("nothing to update: set at least one field (see %s --help)", r.path)}
	}
	call.Body = b
	if err := fillQuery(call.Query, op.Query, query.raw, query.order, r.env.Rules); err != nil {
		return nil, &api.UsageError{Err: err}
	}
	return call, nil
}

// bodyFields are the fields the body takes from the input: the operation's, and the hooks' secret fields (never
// required here: Before reads a missing one).
func (r *opRun) bodyFields() []request.Field {
	if len(r.hooks.SecretFields) == 0 {
		return r.op.Body
	}
	out := append([]request.Field{}, r.op.Body...)
	for _, f := range r.hooks.SecretFields {
		f.Required = false
		out = append(out, f)
	}
	return out
}

// isSecret reports whether an input field holds a credential (refused as a flag, or without one).
func (r *opRun) isSecret(name string) bool {
	for _, s := range r.hooks.Secrets {
		if s == name {
			return true
		}
	}
	for _, f := range r.hooks.SecretFields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// splitInput sends a value to the query when only the query has a field of its name, to the body otherwise.
func splitInput(op *request.Op, bodyFields []request.Field, raw map[string]*rawValue, order []string) (body, query *inputs) {
	body = &inputs{raw: map[string]*rawValue{}}
	query = &inputs{raw: map[string]*rawValue{}}
	qidx := fieldIndex(op.Query)
	bidx := fieldIndex(bodyFields)
	for _, k := range order {
		_, inQ := qidx[k]
		_, inB := bidx[k]
		if inQ && !inB {
			query.put(k, raw[k])
			continue
		}
		body.put(k, raw[k])
	}
	return body, query
}

// confirmRun asks before an irreversible operation; without a terminal --yes is required.
func (r *opRun) confirmRun(ctx context.Context) error {
	f := r.env.F
	if r.confirm != request.ConfirmIrreversible || f.G.Yes {
		return nil
	}
	what := strings.TrimSpace(r.noun + " " + strings.Join(r.args, " "))
	if !f.IO.CanPrompt() {
		return &api.UsageError{Err: fmt.Errorf("%s %s is irreversible: pass --yes to confirm when running without a terminal", r.op.Name, what)}
	}
	return confirmed(ctx, f, r.question(ctx))
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// backend validates the hooks' flags and builds the vendor backend, wrapped in the per-call hooks when there are any.
func (r *opRun) backend(ctx context.Context) (request.Backend, error) {
	if r.hooks.Validate != nil {
		if err := r.hooks.Validate(ctx, r.inv); err != nil {
			return nil, err
		}
	}
	be, err := r.env.Backend(ctx)
	if err != nil {
		return nil, err
	}
	r.inv.Backend = be
	h := r.hooks
	if h.Resolve == nil && h.Before == nil && h.Run == nil && h.After == nil {
		return be, nil
	}
	return &hookedBackend{be: be, h: h, inv: r.inv, noun: r.env.Noun}, nil
}

// execute sends the call and renders the answer.
func (r *opRun) execute(ctx context.Context, be request.Backend, call *request.Call) error {
	switch r.op.Kind {
	case request.KindList:
		return r.executeList(ctx, be, call)
	case request.KindDownload:
		return r.executeDownload(ctx, be, call)
	}
	return r.executeInvoke(ctx, be, call)
}

func (r *opRun) executeList(ctx context.Context, be request.Backend, call *request.Call) error {
	f := r.env.F
	if streamed, err := streamList(ctx, f, be, call, r.list, r.inv.Columns); streamed || err != nil {
		return err
	}
	items := []any{}
	err := be.List(ctx, call, r.list, func(item any) error {
		items = append(items, item)
		return nil
	})
	if err != nil {
		return err
	}
	if len(items) == 0 && f.IO.OutTTY && f.G.JQ == "" && f.G.Template == "" {
		f.Infof("no results")
	}
	if err := checkColumns(f.G.Columns, r.inv.Columns, items); err != nil {
		return err
	}
	return r.render(items)
}

func (r *opRun) executeDownload(ctx context.Context, be request.Backend, call *request.Call) error {
	d, ok := be.(request.Downloader)
	if !ok {
		return fmt.Errorf("%s cannot download files", r.env.Noun)
	}
	res, err := d.Download(ctx, call, r.download)
	if err != nil {
		return err
	}
	if r.download.Path == "-" {
		return nil
	}
	return r.env.F.Print(res, []string{"file", "bytes"})
}

// executeInvoke sends the call, once per id of a multi-id operation; failures of some ids do not stop the others.
func (r *opRun) executeInvoke(ctx context.Context, be request.Backend, call *request.Call) error {
	op, nargs := r.op, len(r.op.Args)
	ids := []string{""}
	if r.multiID && nargs > 0 {
		ids = r.args[nargs-1:]
	}
	var errs []error
	for _, id := range ids {
		cl := *call
		if id != "" {
			cl.PathParams = copyMap(call.PathParams)
			cl.PathParams[op.Args[nargs-1].Param] = id
		}
		res, err := r.invokeOne(ctx, be, &cl)
		if err != nil && r.ifExists && api.KindOf(err) == api.KindNotFound {
			r.env.F.Infof("%s %s: %s does not exist; nothing to delete", r.noun, op.Name, strings.Join(argsFor(&cl, op), " "))
			continue
		}
		if err != nil {
			if len(ids) == 1 {
				return err
			}
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		if op.Kind == request.KindNone {
			r.env.F.Infof("%s: %s %s done", r.noun, op.Name, strings.Join(argsFor(&cl, op), " "))
			continue
		}
		if err := r.render(res); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// invokeOne sends one call; with --if-not-exists an existing item of the same name is the answer.
func (r *opRun) invokeOne(ctx context.Context, be request.Backend, call *request.Call) (any, error) {
	if !r.ifNotExists {
		return be.Invoke(ctx, call)
	}
	res, existed, err := r.env.createIfNotExists(ctx, be, call)
	if existed {
		r.existedNote(call, res.(map[string]any))
	}
	return res, err
}

// render prints an answer in the selected output format.
func (r *opRun) render(res any) error {
	return r.env.F.Print(res, r.inv.Columns)
}

// RunPath runs op as btapi's generic verbs do (infra pra get jump-group/5): the path parameters come from the path,
// input from -k only, nothing is confirmed and a multi-id operation takes one id.
func (e *Env) RunPath(ctx context.Context, op *request.Op, params map[string]string, list request.ListOptions, dl request.DownloadOptions) error {
	r := e.newRun(op, op.Path)
	r.path = op.Name
	r.confirm, r.multiID = request.ConfirmNone, false
	r.list, r.download = list, dl
	for _, a := range op.Args {
		r.args = append(r.args, params[a.Param])
	}
	r.inv.Args = r.args
	if err := e.F.ValidateOutput(); err != nil {
		return err
	}
	return r.runOnce(ctx)
}
