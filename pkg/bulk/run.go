package bulk

import (
	"context"
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
	sum := Summary{Total: len(recs), Failures: []Outcome{}}
	if o.Journal != nil {
		sum.Journal = o.Journal.Path()
	}
	var mu sync.Mutex
	var journalErr error
	finish := func(out Outcome) {
		mu.Lock()
		defer mu.Unlock()
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
		if o.Bar != nil {
			o.Bar.Add(1)
			o.Bar.Describe(fmt.Sprintf("done %d, failed %d", sum.Done+sum.Skipped, sum.Failed))
		}
		if o.OnOutcome != nil {
			o.OnOutcome(out)
		}
	}
	jobs := make(chan Record)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rec := range jobs {
				out := Outcome{Index: rec.Index, Line: rec.Line}
				resumed := false
				if o.Journal != nil {
					if e, ok := o.Journal.Get(rec.Key); ok {
						resumed = e.State == StateStarted
					}
					if err := o.Journal.Write(Entry{Key: rec.Key, Index: rec.Index, State: StateStarted}); err != nil {
						mu.Lock()
						journalErr = err
						mu.Unlock()
						out.State, out.Error = "interrupted", err.Error()
						finish(out)
						continue
					}
				}
				id, attempts, err := task(taskCtx, rec, resumed)
				out.ID, out.Attempts = id, attempts
				switch {
				case err == nil:
					out.State = StateDone
				case ctx.Err() != nil:
					// Leave the journal at "started": the next run resolves what happened.
					out.State, out.Error = "interrupted", err.Error()
					finish(out)
					continue
				default:
					out.State, out.Error = StateFailed, err.Error()
				}
				if o.Journal != nil {
					if jerr := o.Journal.Write(Entry{Key: rec.Key, Index: rec.Index, State: out.State, ID: id, Error: out.Error}); jerr != nil {
						mu.Lock()
						journalErr = jerr
						mu.Unlock()
					}
				}
				finish(out)
			}
		}()
	}
dispatch:
	for _, rec := range recs {
		if o.Journal != nil {
			if e, ok := o.Journal.Get(rec.Key); ok && e.State == StateDone {
				finish(Outcome{Index: rec.Index, Line: rec.Line, State: "skipped", ID: e.ID})
				continue
			}
		}
		mu.Lock()
		stop := journalErr != nil
		mu.Unlock()
		if stop {
			break
		}
		select {
		case jobs <- rec:
		case <-ctx.Done():
			break dispatch
		}
	}
	close(jobs)
	wg.Wait()
	sum.Seconds = time.Since(start).Seconds()
	if sum.Seconds > 0 {
		sum.PerSecond = float64(sum.Done) / sum.Seconds
	}
	sort.Slice(sum.Failures, func(i, j int) bool { return sum.Failures[i].Index < sum.Failures[j].Index })
	if o.Bar != nil {
		o.Bar.Finish()
	}
	switch {
	case journalErr != nil:
		return sum, journalErr
	case ctx.Err() != nil:
		return sum, ctx.Err()
	case sum.Failed > 0:
		return sum, fmt.Errorf("%w: %d of %d", ErrFailed, sum.Failed, sum.Total)
	}
	return sum, nil
}
