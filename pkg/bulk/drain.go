package bulk

import (
	"context"
	"time"
)

// DefaultGrace is how long, after an interrupt, a record under way may take to finish its current request.
const DefaultGrace = 5 * time.Second

type stopKey struct{}

// draining returns the context for the tasks of a run. It is not cancelled when ctx is, but grace later: a request
// already under way completes, so its outcome is known and journaled instead of left in doubt (an aborted create may
// still land at the server after the run has ended, when a resumed run has already looked for it). Stopped tells
// tasks that the run was interrupted, so that they start nothing new. release frees the context's resources.
func draining(ctx context.Context, grace time.Duration) (dctx context.Context, release func()) {
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	dctx = context.WithValue(dctx, stopKey{}, ctx)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-done:
		}
	}()
	return dctx, func() { close(done); cancel() }
}

// Stopped returns why the run was interrupted (the run's context error) or the task context's own error, nil while
// the run goes on. Tasks check it before starting a request or a wait.
func Stopped(ctx context.Context) error {
	if err := runContext(ctx).Err(); err != nil {
		return err
	}
	return ctx.Err()
}

// runContext is the run's own context behind a task context (ctx itself outside a run).
func runContext(ctx context.Context) context.Context {
	if parent, ok := ctx.Value(stopKey{}).(context.Context); ok {
		return parent
	}
	return ctx
}
