package jotelulu

import (
	"context"
	"errors"
	"fmt"
	"time"

	jot "github.com/infractl/infra/pkg/api/jotelulu"
	"github.com/infractl/infra/pkg/api/request"
	jotcat "github.com/infractl/infra/pkg/catalog/jotelulu"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/progress"
)

// jotWait follows asynchronous work of one command over the vendor client.
type jotWait struct {
	f  *cmdutil.Factory
	c  *jot.Client
	sc *scope
}

// waitFor waits for the work the call started (--wait) and returns the settled object.
func (s *scope) waitFor(ctx context.Context, c *jot.Client, cl *request.Call, res any) (any, error) {
	return (&jotWait{f: s.f, c: c, sc: s}).waitFor(ctx, cl, res)
}

// waiter polls asynchronous work until it settles.
type waiter struct {
	b      *jotWait
	status *progress.Status
	last   string
}

// report shows the state on the status line on a terminal, and as a line per change otherwise.
func (w *waiter) report(msg string) {
	if w.b.f.ShowProgress() {
		w.status.Update(msg)
		return
	}
	if msg != w.last {
		w.b.f.Infof("%s", msg)
	}
	w.last = msg
}

func (w *waiter) sleep(ctx context.Context) error {
	t := time.NewTimer(w.b.sc.pollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// waitFor follows the work started by an asynchronous call and returns the settled object.
func (b *jotWait) waitFor(parent context.Context, cl *request.Call, res any) (any, error) {
	ctx, cancel := context.WithTimeout(parent, b.sc.waitTimeout)
	defer cancel()
	w := &waiter{b: b, status: progress.NewStatus(b.f.IO.ErrOut, b.f.ShowProgress())}
	defer w.status.Done()
	obj, _ := res.(map[string]any)
	sub := cl.PathParams[jot.ParamSubscription]
	var out any
	var err error
	switch b.sc.meta.Wait {
	case jotcat.WaitSubscription:
		sub = str(obj["id"])
		ids, _ := obj["instanceIds"].([]any)
		for _, id := range ids {
			if err = w.instance(ctx, sub, str(id)); err != nil {
				break
			}
		}
		if err == nil {
			out, err = b.find(ctx, "listorganizationremotedesktopsubscriptions", map[string]string{jot.ParamOrganization: cl.PathParams[jot.ParamOrganization]}, sub)
		}
	case jotcat.WaitInstance:
		inst := cl.PathParams[jot.ParamInstance]
		if err = w.instance(ctx, sub, inst); err == nil {
			out, err = b.find(ctx, "listremotedesktopsubscriptioninstances", map[string]string{jot.ParamSubscription: sub}, inst)
		}
	case jotcat.WaitApplication:
		out, err = w.application(ctx, sub, str(obj["id"]))
	default:
		return res, nil
	}
	if errors.Is(err, context.DeadlineExceeded) && parent.Err() == nil {
		return nil, fmt.Errorf("gave up waiting after %s (--wait-timeout); the work goes on at Jotelulu: %s", b.sc.waitTimeout, w.last)
	}
	return out, err
}

// instance polls getinstanceprogress until the instance is deployed (nil) or in error.
func (w *waiter) instance(ctx context.Context, sub, inst string) error {
	params := map[string]string{jot.ParamSubscription: sub, jot.ParamInstance: inst}
	for {
		data, err := w.b.c.Call(ctx, "getinstanceprogress", params, nil, nil)
		if err != nil {
			return err
		}
		p, _ := data.(map[string]any)
		state := str(p["state"])
		msg := fmt.Sprintf("remote desktop instance %s: %s", inst, state)
		if st := str(p["stage"]); st != "" {
			msg += fmt.Sprintf(" (%s, %s%%)", st, str(p["percentage"]))
		}
		w.report(msg)
		switch state {
		case "deployed":
			return nil
		case "error":
			detail := str(p["message"])
			if detail != "" {
				detail = ": " + detail
			}
			return fmt.Errorf("remote desktop instance %s of subscription %s ended in state error%s; retry with `infra jotelulu rd instance retry %s --subscription %s --wait`",
				inst, sub, detail, inst, sub)
		}
		if err := w.sleep(ctx); err != nil {
			return err
		}
	}
}

// application polls the subscription's applications until the application is installed or failed.
func (w *waiter) application(ctx context.Context, sub, app string) (any, error) {
	for {
		obj, err := w.b.find(ctx, "listsubscriptionapplications", map[string]string{jot.ParamSubscription: sub}, app)
		if err != nil {
			return nil, err
		}
		m, _ := obj.(map[string]any)
		state := str(m["state"])
		w.report(fmt.Sprintf("application %s (%s): %s", app, str(m["name"]), state))
		switch state {
		case "installed":
			return obj, nil
		case "failed":
			return nil, fmt.Errorf("application %s (%s) of subscription %s ended in state failed", app, str(m["name"]), sub)
		}
		if err := w.sleep(ctx); err != nil {
			return nil, err
		}
	}
}

// find lists with opID and returns the item with the id.
func (b *jotWait) find(ctx context.Context, opID string, params map[string]string, id string) (any, error) {
	data, err := b.c.Call(ctx, opID, params, nil, nil)
	if err != nil {
		return nil, err
	}
	items, _ := data.([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok && str(m["id"]) == id {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%s no longer lists %s", opID, id)
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
