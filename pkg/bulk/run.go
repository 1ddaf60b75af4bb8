package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/infractl/infra/pkg/progress"
)

// Outcome is what happened to one record. Its JSON shape is part of the output contract.
type Outcome struct {
	Index    int    `json:"index"`
	Line     int    `json:"line"`
	State    string `json:"state"` // done, failed, skipped (done in an earlier run), interrupted
	ID       string `json:"id,omitempty"`
	Error    string `json:"error,omitempty"`
	Attempts int    `json:"attempts"`
	// NumericID writes ID as a JSON number: the resource's ids are integers (PRA ids, Virtomize keys).
	NumericID bool `json:"-"`
}

// MarshalJSON writes the outcome, its id as a number when NumericID says so and it is one.
func (o Outcome) MarshalJSON() ([]byte, error) {
	type plain Outcome
	if !o.NumericID || !isDigits(o.ID) {
		return json.Marshal(plain(o))
	}
	return json.Marshal(struct {
		plain
		ID json.Number `json:"id"`
	}{plain(o), json.Number(o.ID)})
}

func isDigits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Summary reports a run. Its JSON shape is part of the output contract.
type Summary struct {
	Total       int       `json:"total"`
	Done        int       `json:"done"`
	Skipped     int       `json:"skipped"`
	Failed      int       `json:"failed"`
	Interrupted int       `json:"interrupted"`
	Seconds     float64   `json:"seconds"`
	PerSecond   float64   `json:"per_second"`
	Journal     string    `json:"journal,omitempty"`
	Failures    []Outcome `json:"failures"`
}

// Task carries out one record. resumed is true when the journal shows the record was started by an earlier run
// without an outcome, so the task must resolve what happened before acting (see Once).
type Task func(ctx context.Context, rec Record, resumed bool) (id string, attempts int, err error)

// Options control Run.
type Options struct {
	Concurrency int      // workers (default 4); the HTTP core's rate limiter paces them
	Journal     *Journal // nil: no journal
	Bar         *progress.Bar
	// Grace is how long records under way may take, after ctx is cancelled, to finish the request they are sending
	// (default DefaultGrace); no new record or request starts once ctx is cancelled.
	Grace time.Duration
	// OnOutcome is called for every finished record (from worker goroutines, serialised).
	OnOutcome func(Outcome)
}

// ErrFailed is returned (wrapped) by Run when at least one record failed.
var ErrFailed = errors.New("some records failed")

// Run executes task for every record not already done according to the journal. It stops dispatching when ctx is
// cancelled, gives the requests under way o.Grace to finish (tasks get a context that outlives ctx by that much, and
// see the interrupt through Stopped), and returns the summary with the context's error once none is in flight; the
// journal then tells the next run where to resume.
func Run(ctx context.Context, recs []Record, task Task, o Options) (Summary, error) {
	start := time.Now()
	workers := o.Concurrency
	if workers <= 0 {
		workers = 4
	}
	grace := o.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	taskCtx, release := draining(ctx, grace)
	defer release()
	r := &runner{ctx: ctx, taskCtx: taskCtx, task: task, o: o, sum: Summary{Total: len(recs), Failures: []Outcome{}}}
	if o.Journal != nil {
		r.sum.Journal = o.Journal.Path()
	}
	jobs := make(chan Record)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rec := range jobs {
				r.finish(r.process(rec))
			}
		}()
	}
	r.dispatch(recs, jobs)
	close(jobs)
	wg.Wait()
	return r.result(start)
}

// runner is the state one Run shares between its dispatcher and its workers; mu guards sum and journalErr while
// workers run.
type runner struct {
	ctx        context.Context // the caller's: once cancelled, no new record starts
	taskCtx    context.Context // given to tasks: outlives ctx by the grace period
	task       Task
	o          Options
	mu         sync.Mutex
	sum        Summary
	journalErr error // the first journal write that failed stops dispatching
}

// finish counts one outcome, advances the progress bar and reports the outcome to o.OnOutcome.
func (r *runner) finish(out Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sum := &r.sum
	switch out.State {
	case StateDone:
		sum.Done++
	case "skipped":
		sum.Skipped++
	case "interrupted":
		sum.Interrupted++
	default:
		sum.Failed++
		sum.Failures = append(sum.Failures, out)
	}
	if r.o.Bar != nil {
		r.o.Bar.Add(1)
		r.o.Bar.Describe(fmt.Sprintf("done %d, failed %d", sum.Done+sum.Skipped, sum.Failed))
	}
	if r.o.OnOutcome != nil {
		r.o.OnOutcome(out)
	}
}

// setJournalErr records a failed journal write.
func (r *runner) setJournalErr(err error) {
	r.mu.Lock()
	r.journalErr = err
	r.mu.Unlock()
}

// process carries out one record: journalled as started, run, then journalled with its outcome. A record cut short
// by the interrupt stays "started" in the journal, so the next run resolves what happened.
func (r *runner) process(rec Record) Outcome {
	out := Outcome{Index: rec.Index, Line: rec.Line}
	j := r.o.Journal
	resumed := false
	if j != nil {
		if e, ok := j.Get(rec.Key); ok {
			resumed = e.State == StateStarted
		}
		if err := j.Write(Entry{Key: rec.Key, Index: rec.Index, State: StateStarted}); err != nil {
			r.setJournalErr(err)
			out.State, out.Error = "interrupted", err.Error()
			return out
		}
	}
	id, attempts, err := r.task(r.taskCtx, rec, resumed)
	out.ID, out.Attempts = id, attempts
	switch {
	case err == nil:
		out.State = StateDone
	case r.ctx.Err() != nil:
		// Leave the journal at "started": the next run resolves what happened.
		out.State, out.Error = "interrupted", err.Error()
		return out
	default:
		out.State, out.Error = StateFailed, err.Error()
	}
	if j != nil {
		if jerr := j.Write(Entry{Key: rec.Key, Index: rec.Index, State: out.State, ID: id, Error: out.Error}); jerr != nil {
			r.setJournalErr(jerr)
		}
	}
	return out
}

// dispatch hands the records to the workers in order, skipping those the journal shows done, until every record is
// sent, a journal write fails or ctx is cancelled.
func (r *runner) dispatch(recs []Record, jobs chan<- Record) {
	for _, rec := range recs {
		if r.o.Journal != nil {
			if e, ok := r.o.Journal.Get(rec.Key); ok && e.State == StateDone {
				r.finish(Outcome{Index: rec.Index, Line: rec.Line, State: "skipped", ID: e.ID})
				continue
			}
		}
		r.mu.Lock()
		stop := r.journalErr != nil
		r.mu.Unlock()
		if stop {
			return
		}
		select {
		case jobs <- rec:
		case <-r.ctx.Done():
			return
		}
	}
}

// result completes the summary once every worker has stopped: the journal's error first, then the interrupt, then
// ErrFailed when a record failed.
func (r *runner) result(start time.Time) (Summary, error) {
	sum := r.sum
	sum.Seconds = time.Since(start).Seconds()
	if sum.Seconds > 0 {
		sum.PerSecond = float64(sum.Done) / sum.Seconds
	}
	sort.Slice(sum.Failures, func(i, j int) bool { return sum.Failures[i].Index < sum.Failures[j].Index })
	if r.o.Bar != nil {
		r.o.Bar.Finish()
	}
	switch {
	case r.journalErr != nil:
		return sum, r.journalErr
	case r.ctx.Err() != nil:
		return sum, r.ctx.Err()
	case sum.Failed > 0:
		return sum, fmt.Errorf("%w: %d of %d", ErrFailed, sum.Failed, sum.Total)
	}
	return sum, nil
}
