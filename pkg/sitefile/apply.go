package sitefile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/bulk"
	"github.com/infractl/infra/pkg/progress"
)

// ApplyOptions control Apply.
type ApplyOptions struct {
	Journal     string // journal file; "" keeps none
	Concurrency int    // requests in flight at once within a stage (default 4)
	Getenv      func(string) string
	// Bar returns the progress display of a stage (nil: none).
	Bar func(total int, label string) *progress.Bar
	// OnFailure is told of every change that failed.
	OnFailure func(c Change, err string)
	// OnSecret is given every credential read, so that error messages and traces can mask it.
	OnSecret func(string)
}

// Result reports an apply. Its JSON shape is part of the output contract.
type Result struct {
	Create  int    `json:"create"`
	Update  int    `json:"update"`
	Delete  int    `json:"delete"`
	Done    int    `json:"done"`
	Skipped int    `json:"skipped"`
	Failed  int    `json:"failed"`
	Journal string `json:"journal,omitempty"`
}

// body is a change's request body, with references as ids and credentials read.
type prepared struct {
	change  Change
	secrets map[string]string
}

// Secrets reads every credential the creates of the plan need, before anything is sent: each one missing is a Problem.
func (p *Plan) secrets(file string, getenv func(string) string) (map[int]map[string]string, error) {
	out := map[int]map[string]string{}
	var ps Problems
	for i, c := range p.Changes {
		// A create sends the credentials; so does an update that replaces the whole object (PUT).
		if c.obj == nil || (c.Action != "create" && (c.Action != "update" || c.obj.Kind.Update.Method != "PUT")) {
			continue
		}
		for wire, v := range c.obj.Fields {
			s, ok := v.(Secret)
			if !ok {
				continue
			}
			val, err := s.Reveal(getenv)
			if err != nil {
				ps = append(ps, Problem{file, c.obj.Lines[wire], fmt.Sprintf("%s %q: %s: %v", c.Kind, c.Name, wire, err)})
				continue
			}
			if out[i] == nil {
				out[i] = map[string]string{}
			}
			out[i][wire] = val
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return out, nil
}

// Apply carries a plan out: stage by stage in dependency order (every object a stage refers to exists before it
// starts), each change exactly once: a create whose answer is lost is looked up by name before it is sent again, a
// repeated delete that finds nothing succeeded. With a journal, an interrupted apply resumes where it stopped.
func (s *Site) Apply(ctx context.Context, be request.Backend, doc *Document, p *Plan, o ApplyOptions) (Result, error) {
	res := Result{Create: p.Create, Update: p.Update, Delete: p.Delete, Journal: o.Journal}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	secrets, err := p.secrets(doc.File, getenv)
	if err != nil {
		return res, err
	}
	for _, m := range secrets {
		for _, v := range m {
			if o.OnSecret != nil {
				o.OnSecret(v)
			}
		}
	}
	if p.Empty() {
		if o.Journal != "" {
			_ = os.Remove(o.Journal) // an earlier interrupted apply finished by other means: nothing to resume
		}
		res.Journal = ""
		return res, nil
	}
	var journal *bulk.Journal
	if o.Journal != "" {
		if journal, err = bulk.OpenJournal(o.Journal); err != nil {
			return res, fmt.Errorf("journal: %w", err)
		}
		defer journal.Close()
	}
	// Stages: consecutive changes of one rank.
	type stage struct {
		label string
		recs  []bulk.Record
	}
	var stages []stage
	byKey := map[string]prepared{}
	prev := -1
	for i, c := range p.Changes {
		rank := c.level
		if c.Action == "delete" {
			rank = 1000 - c.level
		}
		if rank != prev {
			stages = append(stages, stage{label: c.Action + " " + c.Kind})
			prev = rank
		} else if st := &stages[len(stages)-1]; !strings.Contains(st.label, c.Kind) {
			st.label += ", " + c.Kind
		}
		key := changeKey(c)
		byKey[key] = prepared{change: c, secrets: secrets[i]}
		st := &stages[len(stages)-1]
		line := 0
		if c.obj != nil {
			line = c.obj.Line
		}
		st.recs = append(st.recs, bulk.Record{Index: i + 1, Line: line, Key: key})
	}
	task := func(ctx context.Context, rec bulk.Record, resumed bool) (string, int, error) {
		pc := byKey[rec.Key]
		return s.carryOut(ctx, be, pc, resumed)
	}
	for _, st := range stages {
		var bar *progress.Bar
		if o.Bar != nil {
			bar = o.Bar(len(st.recs), st.label)
		}
		sum, err := bulk.Run(ctx, st.recs, task, bulk.Options{
			Concurrency: o.Concurrency,
			Journal:     journal,
			Bar:         bar,
			OnOutcome: func(out bulk.Outcome) {
				if out.State == bulk.StateFailed && o.OnFailure != nil {
					o.OnFailure(byKey[st.recs[indexOf(st.recs, out.Index)].Key].change, out.Error)
				}
			},
		})
		res.Done += sum.Done
		res.Skipped += sum.Skipped
		res.Failed += sum.Failed
		if err != nil {
			if errors.Is(err, bulk.ErrFailed) {
				return res, fmt.Errorf("%d of %d changes failed (%s); nothing after this stage was sent", sum.Failed, len(st.recs), st.label)
			}
			return res, err
		}
	}
	if journal != nil {
		journal.Close()
		_ = os.Remove(journal.Path()) // done: a later apply starts afresh
		res.Journal = ""
	}
	return res, nil
}

func indexOf(recs []bulk.Record, index int) int {
	for i, r := range recs {
		if r.Index == index {
			return i
		}
	}
	return 0
}

// changeKey identifies a change in the journal: its action, object and wanted values.
func changeKey(c Change) string {
	b, _ := json.Marshal(c.Fields)
	h := sha256.Sum256([]byte(c.Action + "\x00" + c.Kind + "\x00" + strings.ToLower(c.Name) + "\x00" + string(b)))
	return hex.EncodeToString(h[:8])
}

// carryOut sends one change exactly once.
func (s *Site) carryOut(ctx context.Context, be request.Backend, pc prepared, resumed bool) (string, int, error) {
	c := pc.change
	if c.assoc != nil {
		return s.carryOutAssoc(ctx, be, c, resumed)
	}
	k := s.cat.Kind(c.Kind)
	switch c.Action {
	case "delete":
		call := idCall(k.Delete, c.id)
		tries := 0
		return bulk.Once{Do: func(ctx context.Context) (string, error) {
			tries++
			_, err := be.Invoke(ctx, call)
			if err != nil && (tries > 1 || resumed) && bulk.IsNotFound(err) {
				err = nil // an earlier attempt deleted it
			}
			return c.id, err
		}}.Run(ctx, resumed)
	case "update":
		body, err := s.body(c, pc.secrets, k.Update.Method == "PATCH")
		if err != nil {
			return "", 0, err
		}
		call := idCall(k.Update, c.id)
		call.Body = body
		return bulk.Once{Do: func(ctx context.Context) (string, error) {
			_, err := be.Invoke(ctx, call)
			return c.id, err
		}}.Run(ctx, resumed)
	}
	body, err := s.body(c, pc.secrets, false)
	if err != nil {
		return "", 0, err
	}
	call := &request.Call{Op: k.Create, PathParams: map[string]string{}, Query: url.Values{}, Body: body}
	resolve := func(ctx context.Context) (string, bool, error) {
		lc := &request.Call{Op: k.List, PathParams: map[string]string{}, Query: url.Values{}}
		for _, q := range k.List.Query {
			if q.Name == k.Key {
				lc.Query.Set(k.Key, c.Name)
			}
		}
		var id string
		var n int
		err := be.List(ctx, lc, request.ListOptions{}, func(item any) error {
			if m, ok := item.(map[string]any); ok {
				if name := s.listedName(k, m); strings.EqualFold(name, c.Name) {
					id, n = idOf(m), n+1
				}
			}
			return nil
		})
		if err != nil {
			return "", false, err
		}
		if n > 1 {
			return "", false, fmt.Errorf("%d objects of %s are named %q; not creating another", n, k.Name, c.Name)
		}
		return id, n == 1, nil
	}
	id, attempts, err := bulk.Once{
		Do: func(ctx context.Context) (string, error) {
			answer, err := be.Invoke(ctx, call)
			if err != nil {
				return "", err
			}
			if m, ok := answer.(map[string]any); ok && idOf(m) != "" {
				return idOf(m), nil
			}
			id, _, err := resolve(ctx)
			return id, err
		},
		Resolve: resolve,
	}.Run(ctx, resumed)
	if err == nil {
		s.remember(k.Name, c.Name, id)
	}
	return id, attempts, err
}

func idCall(op *request.Op, id string) *request.Call {
	if len(op.Args) == 0 { // a singleton's update
		return &request.Call{Op: op, PathParams: map[string]string{}, Query: url.Values{}}
	}
	return &request.Call{Op: op, PathParams: map[string]string{op.Args[0].Param: id}, Query: url.Values{}}
}

// body builds a change's request body: for a create or a PUT every field of the file, for a PATCH the changed ones.
// References become the ids of the objects named, on this site.
func (s *Site) body(c Change, secrets map[string]string, onlyChanged bool) (map[string]any, error) {
	k := c.obj.Kind
	out := map[string]any{}
	for wire, v := range c.obj.Fields {
		if onlyChanged {
			if _, changed := c.Fields[k.FileField(wire)]; !changed {
				continue
			}
		}
		switch t := v.(type) {
		case Secret:
			val, ok := secrets[wire]
			if !ok {
				continue // updates never resend credentials
			}
			out[wire] = val
		case Ref:
			id, err := s.wireID(t)
			if err != nil {
				return nil, err
			}
			out[wire] = id
		case []any:
			list := make([]any, len(t))
			for i, x := range t {
				list[i] = x
				if r, ok := x.(Ref); ok {
					id, err := s.wireID(r)
					if err != nil {
						return nil, err
					}
					list[i] = id
				}
			}
			out[wire] = list
		default:
			out[wire] = v
		}
	}
	return out, nil
}

// wireID is the id, on this site, of the object a reference names: a number when it is one.
func (s *Site) wireID(r Ref) (any, error) {
	id, ok := s.ID(r.Kind, r.Name)
	if !ok {
		return nil, fmt.Errorf("%s %q does not exist on the site", r.Kind, r.Name)
	}
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n, nil
	}
	return id, nil
}
