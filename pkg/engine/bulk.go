package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/bulk"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/progress"
)

// bulkFlags are the options of a --from-file run.
type bulkFlags struct {
	from        string
	format      string
	journal     string
	noJournal   bool
	concurrency int
}

// bulkCapable reports whether an operation takes --from-file: creates, updates and deletes of a resource.
func bulkCapable(op *request.Op) bool {
	switch op.Method {
	case "POST", "PATCH", "PUT", "DELETE":
		return op.Kind == request.KindObject || op.Kind == request.KindNone
	}
	return false
}

func (b *bulkFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&b.from, "from-file", "", "run once per record of `FILE` (- for stdin): JSON Lines, CSV with a header of field names, or key=value records separated by blank lines; field flags given with it apply to every record that does not set the field")
	fs.StringVar(&b.format, "input-format", "", "format of --from-file: jsonl, csv or kv (default: from the file name or content)")
	fs.StringVar(&b.journal, "journal", "", "record each record's outcome in `FILE` so a re-run skips what is done (default: beside the input, FILE.journal)")
	fs.BoolVar(&b.noJournal, "no-journal", false, "do not keep a journal")
	fs.IntVar(&b.concurrency, "concurrency", 8, "requests in flight at once (the vendor's rate limit still applies)")
}

// bulkKey identifies a record of one operation in the journal.
func bulkKey(op *request.Op, args []string, rec bulk.Record) string {
	h := sha256.Sum256([]byte(op.Method + " " + op.Path + "\x00" + strings.Join(args, "\x00") + "\x00" + rec.Key))
	return hex.EncodeToString(h[:8])
}

// bulkItem is a validated record, ready to send.
type bulkItem struct {
	rec  bulk.Record
	call *request.Call
	// current are the fields of an update's record that it cannot set (get output fed back): each must equal the
	// item's value, checked when the record runs.
	current map[string]*rawValue
}

// recordRaw turns a record into raw field values, taking out the path parameters it names.
func recordRaw(rec bulk.Record) (map[string]*rawValue, []string) {
	if rec.JSON != nil {
		raw := map[string]*rawValue{}
		keys := sortedKeys(rec.JSON)
		for _, k := range keys {
			raw[k] = &rawValue{json: rec.JSON[k], fromJS: true, origin: rec.Name()}
		}
		return raw, keys
	}
	raw, order := kvToRaw(rec.Pairs)
	for _, rv := range raw {
		rv.origin = rec.Name()
	}
	return raw, order
}

func rawText(rv *rawValue) string {
	if rv.fromJS {
		switch v := rv.json.(type) {
		case string:
			return v
		case nil:
			return ""
		default:
			b, _ := json.Marshal(v)
			return string(b)
		}
	}
	return rv.text
}

// prepareBulk validates every record and builds its call. It returns one error naming each bad record and field.
func (e *Env) prepareBulk(op *request.Op, bodyFields []request.Field, args []string, recs []bulk.Record, defs map[string]*rawValue, defOrder []string) ([]bulkItem, error) {
	var problems []string
	items := make([]bulkItem, 0, len(recs))
	for _, rec := range recs {
		raw, order := recordRaw(rec)
		for _, k := range defOrder {
			if _, ok := raw[k]; !ok {
				raw[k] = defs[k]
				order = append(order, k)
			}
		}
		call := &request.Call{Op: op, PathParams: map[string]string{}, Query: url.Values{}}
		var bad []string
		for i, a := range op.Args {
			if i < len(args) {
				call.PathParams[a.Param] = args[i]
				continue
			}
			var v *rawValue
			for _, name := range []string{a.Param, strings.ToLower(a.Name), strings.ReplaceAll(strings.ToLower(a.Name), "-", "_")} {
				if rv, ok := raw[name]; ok {
					v = rv
					delete(raw, name)
					order = remove(order, name)
					break
				}
			}
			if v == nil || rawText(v) == "" {
				bad = append(bad, fmt.Sprintf("missing %s (a field named %q)", a.Name, a.Param))
				continue
			}
			call.PathParams[a.Param] = rawText(v)
		}
		if err := checkIDArgs(op, pathArgs(op, call)); err != nil {
			bad = append(bad, err.Error())
		}
		body, query := splitInput(op, bodyFields, raw, order)
		raw, order = body.raw, body.order
		if err := fillQuery(call.Query, op.Query, query.raw, query.order, e.Rules); err != nil {
			bad = append(bad, indentLines(err.Error()))
		}
		for i := range op.Query {
			if q := &op.Query[i]; e.Rules.RequiredQuery && q.Required && query.raw[q.Name] == nil {
				bad = append(bad, fmt.Sprintf("missing %s (a field, or --%s for every record)", q.Name, q.FlagName()))
			}
		}
		var current map[string]*rawValue
		if isUpdate(op) {
			for _, k := range notWritable(bodyFields, raw, order) {
				if current == nil {
					current = map[string]*rawValue{}
				}
				current[k] = raw[k]
				delete(raw, k)
				order = remove(order, k)
			}
		}
		hasBody := op.TakesBody()
		switch {
		case hasBody && len(bodyFields) > 0:
			body, err := BuildBody(bodyFields, raw, order, op.WholeBody(), e.Rules)
			if err != nil {
				bad = append(bad, indentLines(err.Error()))
			} else if op.Method == "PATCH" && len(body) == 0 {
				bad = append(bad, "nothing to update")
			}
			call.Body = body
		case len(order) > 0:
			bad = append(bad, fmt.Sprintf("unexpected field(s) %s: this operation takes only %s", strings.Join(order, ", "), usageArgs(op)))
		}
		if len(bad) > 0 {
			problems = append(problems, rec.Name()+": "+strings.Join(bad, "; "))
			continue
		}
		items = append(items, bulkItem{rec: rec, call: call, current: current})
	}
	if len(problems) > 0 {
		const shown = 20
		n, more := len(problems), ""
		if n > shown {
			more = fmt.Sprintf("\n… and %d more", n-shown)
			problems = problems[:shown]
		}
		return nil, &api.UsageError{Err: fmt.Errorf("%d of %d records are invalid; nothing was sent:\n%s%s", n, len(recs), strings.Join(problems, "\n"), more)}
	}
	return items, nil
}

func indentLines(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }

func remove(list []string, s string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func pathArgs(op *request.Op, c *request.Call) []string {
	out := make([]string, len(op.Args))
	for i, a := range op.Args {
		out[i] = c.PathParams[a.Param]
	}
	return out
}

// integerIDs reports whether the items op acts on have integer ids: its own id argument says so, or for a create
// the argument of an operation on one item of the collection (/things/{id}).
func (e *Env) integerIDs(op *request.Op) bool {
	if n := len(op.Args); n > 0 && !isCreate(op) {
		return op.Args[n-1].Integer
	}
	for _, o := range e.ops {
		if n := len(o.Args); n > len(op.Args) && strings.HasPrefix(o.Path, op.Path+"/{") && strings.Count(o.Path, "/") == strings.Count(op.Path, "/")+1 {
			return o.Args[n-1].Integer
		}
	}
	return false
}

// listOpFor finds the list operation over the collection a create posts to.
func (e *Env) listOpFor(op *request.Op) *request.Op {
	for _, o := range e.ops {
		if o.Kind == request.KindList && o.Method == "GET" && o.Path == op.Path {
			return o
		}
	}
	return nil
}

// resolver looks for an item the create may already have made: an item of the collection whose fields equal every
// field of the request body that the listing shows (write-only fields such as passwords are not compared).
func (e *Env) resolver(be request.Backend, op *request.Op, call *request.Call) func(ctx context.Context) (string, bool, error) {
	lop := e.listOpFor(op)
	if lop == nil || len(call.Body) == 0 {
		return nil
	}
	return func(ctx context.Context) (string, bool, error) {
		lc := &request.Call{Op: lop, PathParams: call.PathParams, Query: url.Values{}}
		for i := range lop.Query {
			q := &lop.Query[i]
			if v, ok := call.Body[q.Name]; ok && isScalar(v) {
				lc.Query.Set(q.Name, fmt.Sprint(v))
			}
		}
		var id string
		var matches int
		err := be.List(ctx, lc, request.ListOptions{}, func(item any) error {
			m, ok := item.(map[string]any)
			if !ok || !sameFields(call.Body, m) {
				return nil
			}
			matches++
			id = idOf(m)
			return nil
		})
		if err != nil {
			return "", false, err
		}
		if matches > 1 {
			return "", false, fmt.Errorf("%d existing items match the record; not creating another", matches)
		}
		return id, matches == 1, nil
	}
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, bool, int, int64, float64, json.Number:
		return true
	}
	return false
}

// sameFields reports whether item shows the same value for every body field it has, and has at least one.
func sameFields(body, item map[string]any) bool {
	compared := 0
	for k, v := range body {
		iv, ok := item[k]
		if !ok {
			continue
		}
		if canon(v) != canon(iv) {
			return false
		}
		compared++
	}
	return compared > 0
}

func canon(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	// 5 and 5.0 and "5" from different decoders compare equal.
	return strings.Trim(strings.TrimSuffix(s, ".0"), `"`)
}

func idOf(m map[string]any) string {
	for _, k := range []string{"id", "key", "uuid"} {
		if v, ok := m[k]; ok && v != nil {
			return strings.Trim(canon(v), `"`)
		}
	}
	return ""
}

// deleteOnce makes a delete idempotent: a 404 after an attempt whose answer was lost (or in a resumed run) means an
// earlier attempt deleted the item.
func deleteOnce(do func(ctx context.Context) (string, error), call *request.Call, resumed bool) func(ctx context.Context) (string, error) {
	tries := 0
	return func(ctx context.Context) (string, error) {
		tries++
		id, err := do(ctx)
		if err != nil && (tries > 1 || resumed) && bulk.IsNotFound(err) {
			return strings.Join(pathArgs(call.Op, call), "/"), nil
		}
		return id, err
	}
}

// DeleteTask is a bulk task deleting the item each record's key names (calls maps keys to their delete calls),
// exactly once: a delete whose answer was lost is not reported as a failure when it is repeated.
func DeleteTask(be request.Backend, calls map[string]*request.Call) bulk.Task {
	return func(ctx context.Context, rec bulk.Record, resumed bool) (string, int, error) {
		call := calls[rec.Key]
		do := func(ctx context.Context) (string, error) {
			_, err := be.Invoke(ctx, call)
			return strings.Join(pathArgs(call.Op, call), "/"), err
		}
		return bulk.Once{Do: deleteOnce(do, call, resumed)}.Run(ctx, resumed)
	}
}

// runBulk executes the operation once per record of --from-file.
// Field flags given with --from-file (defs) apply to every record that does not set the field itself.
func (r *opRun) runBulk(ctx context.Context, defs map[string]*rawValue, defOrder []string) error {
	f := r.env.F
	recs, err := r.readRecords(ctx, defs, defOrder)
	if err != nil {
		return err
	}
	items, err := r.env.prepareBulk(r.op, r.bodyFields(), r.args, recs, defs, defOrder)
	if err != nil {
		return err
	}
	if err := r.confirmBulk(ctx, len(items)); err != nil {
		return err
	}
	journal, err := r.openJournal()
	if err != nil {
		return err
	}
	if journal != nil {
		defer journal.Close()
	} else if r.bulk.from == "-" && r.op.Method == "POST" && !r.ifNotExists {
		f.Warnf("records read from stdin have no journal: running this again creates every record again (pass --journal FILE, or --if-not-exists to skip the items that exist)")
	}
	be, err := r.backend(ctx)
	if err != nil {
		return err
	}
	byKey := make(map[string]*request.Call, len(items))
	current := map[string]map[string]*rawValue{}
	ordered := make([]bulk.Record, len(items))
	for i, it := range items {
		byKey[it.rec.Key] = it.call
		if it.current != nil {
			current[it.rec.Key] = it.current
		}
		ordered[i] = it.rec
	}
	bar := progress.NewCount(f.IO.ErrOut, f.ShowProgress(), int64(len(ordered)), r.op.Name)
	var outcomes []bulk.Outcome
	sum, runErr := bulk.Run(ctx, ordered, r.env.bulkTask(be, r.op, byKey, current, r.idempotentFlags), bulk.Options{
		Concurrency: r.bulk.concurrency,
		Journal:     journal,
		Bar:         bar,
		OnOutcome: func(o bulk.Outcome) {
			outcomes = append(outcomes, o)
			if o.State == bulk.StateFailed {
				f.Warnf("%s: %s", recordName(o), o.Error)
			}
		},
	})
	if ctx.Err() != nil && journal != nil {
		f.Warnf("interrupted: %d done, %d not finished; run the same command again to resume (journal %s)", sum.Done+sum.Skipped, sum.Total-sum.Done-sum.Skipped-sum.Failed, journal.Path())
	}
	if perr := PrintBulkReport(f, sum, outcomes, r.env.integerIDs(r.op)); perr != nil && runErr == nil {
		runErr = perr
	}
	return runErr
}

// readRecords reads the records of --from-file and gives each its journal key.
func (r *opRun) readRecords(ctx context.Context, defs map[string]*rawValue, defOrder []string) ([]bulk.Record, error) {
	f, b := r.env.F, &r.bulk
	var in io.Reader
	if b.from == "-" {
		if f.G.KVIn {
			return nil, &api.UsageError{Err: errors.New("--from-file - and -k both read stdin; use one")}
		}
		in = f.IO.Stdin(ctx, "records (JSON Lines, CSV or key=value)")
	} else {
		fh, err := os.Open(b.from)
		if err != nil {
			return nil, &api.UsageError{Err: fmt.Errorf("--from-file: %w", err)}
		}
		defer fh.Close()
		in = fh
	}
	if b.concurrency < 1 || b.concurrency > 64 {
		return nil, &api.UsageError{Err: errors.New("--concurrency must be between 1 and 64")}
	}
	recs, err := bulk.Read(in, b.from, bulk.Format(b.format))
	if err != nil {
		return nil, &api.UsageError{Err: fmt.Errorf("--from-file %s: %w", b.from, err)}
	}
	keyArgs := r.args
	for _, k := range defOrder {
		// The defaults are part of each record's identity in the journal.
		keyArgs = append(append([]string{}, keyArgs...), k+"="+rawText(defs[k])+strings.Join(defs[k].list, ","))
	}
	for i := range recs {
		// The key leaves secrets out: the journal keeps nothing derived from a password.
		recs[i].Key = recs[i].KeyWithout(r.isSecret)
		recs[i].Key = bulkKey(r.op, keyArgs, recs[i])
	}
	return recs, nil
}

// confirmBulk asks once for the whole run of an irreversible operation.
func (r *opRun) confirmBulk(ctx context.Context, n int) error {
	f := r.env.F
	if r.confirm != request.ConfirmIrreversible || f.G.Yes {
		return nil
	}
	if !f.IO.CanPrompt() {
		return &api.UsageError{Err: fmt.Errorf("%s of %d items is irreversible: pass --yes to confirm when running without a terminal", r.op.Name, n)}
	}
	return confirmed(ctx, f, r.bulkQuestion(n))
}

// openJournal opens the journal of the run: --journal, or FILE.journal beside the input; none with --no-journal or
// records from stdin.
func (r *opRun) openJournal() (*bulk.Journal, error) {
	b := &r.bulk
	jpath := b.journal
	if jpath == "" && b.from != "-" && !b.noJournal {
		jpath = b.from + ".journal"
	}
	if jpath == "" || b.noJournal {
		return nil, nil
	}
	journal, err := bulk.OpenJournal(jpath)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return journal, nil
}

// bulkTask sends the call of each record exactly once: a create is looked up before it is repeated, a delete whose
// answer was lost is not reported as a failure.
// With --if-not-exists a create answers the existing item of the same name; with --if-exists a delete of a missing
// item succeeds.
func (e *Env) bulkTask(be request.Backend, op *request.Op, byKey map[string]*request.Call, current map[string]map[string]*rawValue, idem idempotentFlags) bulk.Task {
	return func(ctx context.Context, rec bulk.Record, resumed bool) (string, int, error) {
		call := byKey[rec.Key]
		once := bulk.Once{
			Do: func(ctx context.Context) (string, error) {
				if err := e.checkCurrent(ctx, be, call, current[rec.Key]); err != nil {
					return "", err
				}
				res, err := be.Invoke(ctx, call)
				if err != nil {
					return "", err
				}
				if m, ok := res.(map[string]any); ok {
					return idOf(m), nil
				}
				return strings.Join(pathArgs(op, call), "/"), nil
			},
		}
		if idem.ifNotExists {
			once.Do = func(ctx context.Context) (string, error) {
				res, _, err := e.createIfNotExists(ctx, be, call)
				if m, ok := res.(map[string]any); ok && err == nil {
					return idOf(m), nil
				}
				return "", err
			}
		}
		switch op.Method {
		case "POST":
			once.Resolve = e.resolver(be, op, call)
			if once.Resolve == nil && resumed {
				return "", 0, errors.New("an earlier run may have sent this record and there is no way to look it up; check the server, then remove its line from the journal")
			}
		case "DELETE":
			once.Do = deleteOnce(once.Do, call, resumed || idem.ifExists)
		}
		return once.Run(ctx, resumed)
	}
}

// PrintBulkReport prints the summary of a bulk run: the totals in a table or CSV (failures were listed on stderr as
// they happened), the summary and every record's outcome otherwise.
// numericIDs writes the records' ids as JSON numbers, as the resource has them.
func PrintBulkReport(f *cmdutil.Factory, sum bulk.Summary, outcomes []bulk.Outcome, numericIDs bool) error {
	for _, list := range [][]bulk.Outcome{outcomes, sum.Failures} {
		for i := range list {
			list[i].NumericID = numericIDs
		}
	}
	var report any = bulkReport{Summary: sum, Records: sortOutcomes(outcomes)}
	if oo, err := f.OutputOptions(nil); err == nil && oo.Tabular() {
		report = map[string]any{"total": sum.Total, "done": sum.Done, "skipped": sum.Skipped, "failed": sum.Failed,
			"interrupted": sum.Interrupted, "seconds": fmt.Sprintf("%.1f", sum.Seconds), "journal": sum.Journal}
	}
	return f.Print(report, []string{"total", "done", "skipped", "failed", "interrupted", "seconds", "journal"})
}

// bulkReport is printed at the end of a --from-file run.
type bulkReport struct {
	bulk.Summary
	Records []bulk.Outcome `json:"records"`
}

func recordName(o bulk.Outcome) string { return fmt.Sprintf("record %d (line %d)", o.Index, o.Line) }

func sortOutcomes(o []bulk.Outcome) []bulk.Outcome {
	out := append([]bulk.Outcome{}, o...)
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}
