package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"

	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
)

// Re-runnable scripts: --if-not-exists on creates and --if-exists on deletes make the second run of a script succeed
// where the first one already did the work.

// naturalKeys are the body fields that name an item, in order of preference: a create with --if-not-exists matches
// the existing item by the first one its body sets (PRA and Virtomize names, Virtomize user and group names, PRA
// Jump Policy display names, Jotelulu e-mail addresses).
var naturalKeys = []string{"name", "username", "groupname", "display_name", "email", "callbackurl"}

// idempotentFlags are --if-not-exists and --if-exists.
type idempotentFlags struct {
	ifNotExists bool
	ifExists    bool
}

// isCreate reports whether op creates an item in a collection (a POST named create).
func isCreate(op *request.Op) bool {
	return op.Method == "POST" && strings.HasPrefix(op.Name, "create") && (op.Kind == request.KindObject || op.Kind == request.KindNone)
}

func (fl *idempotentFlags) register(fs *pflag.FlagSet, op *request.Op) {
	if isCreate(op) && hasNaturalKey(op) {
		fs.BoolVar(&fl.ifNotExists, "if-not-exists", false, "succeed when an item with the same name already exists, printing that item instead of creating another (exit 6 without it)")
	}
	if op.Method == "DELETE" {
		fs.BoolVar(&fl.ifExists, "if-exists", false, "succeed when the item does not exist (exit 4 without it), for clean-up scripts that run twice")
	}
}

// absentID reports an id argument that names nothing: empty, or the "null" jq prints for a value that is not there
// (`ID=$(infra … list --jq '.[0].id')` when the list is empty).
func absentID(s string) bool { return s == "" || s == "null" }

// checkAbsentIDs refuses ids that name nothing with a not-found error (exit 4); --if-exists drops them instead.
// It reports false when no id is left to act on.
func (r *opRun) checkAbsentIDs() (bool, error) {
	nargs := len(r.op.Args)
	if nargs == 0 {
		return true, nil
	}
	kept := r.args[:0:0]
	for i, a := range r.args {
		spec := r.op.Args[min(i, nargs-1)]
		if !absentID(a) {
			kept = append(kept, a)
			continue
		}
		if !r.ifExists || i < nargs-1 {
			return false, &api.NotFoundError{Err: fmt.Errorf("%s is %q: no such item (a lookup such as --jq '.[0].id' that finds nothing prints null; add --if-exists to a delete that may find nothing)", spec.Name, a)}
		}
	}
	if len(kept) < nargs {
		r.env.F.Infof("%s %s: no id given; nothing to delete", r.noun, r.op.Name)
		return false, nil
	}
	r.args = kept
	r.inv.Args = kept
	return true, nil
}

// hasNaturalKey reports whether the body of op has a field that names the item.
func hasNaturalKey(op *request.Op) bool {
	idx := fieldIndex(op.Body)
	for _, k := range naturalKeys {
		if _, ok := idx[k]; ok {
			return true
		}
	}
	return false
}

// naturalKey returns the body field that names the item a create makes, or "".
func naturalKey(body map[string]any) string {
	for _, k := range naturalKeys {
		if v, ok := body[k]; ok && isScalar(v) && fmt.Sprint(v) != "" {
			return k
		}
	}
	return ""
}

// findExisting looks for the item a create would duplicate: the item of the collection whose natural key equals the
// body's. It returns nil when there is none; more than one is an error.
func (e *Env) findExisting(ctx context.Context, be request.Backend, call *request.Call) (map[string]any, error) {
	be, call, err := unhooked(ctx, be, call)
	if err != nil {
		return nil, err
	}
	lop := e.listOpFor(call.Op)
	key := naturalKey(call.Body)
	if lop == nil || key == "" {
		return nil, fmt.Errorf("--if-not-exists: %s has no name field to look the item up by", call.Op.Path)
	}
	lc := &request.Call{Op: lop, PathParams: call.PathParams, Query: url.Values{}}
	for i := range lop.Query {
		if lop.Query[i].Name == key {
			lc.Query.Set(key, fmt.Sprint(call.Body[key]))
		}
	}
	want := canon(call.Body[key])
	var found []map[string]any
	err = be.List(ctx, lc, request.ListOptions{}, func(item any) error {
		if m, ok := item.(map[string]any); ok && canon(m[key]) == want {
			found = append(found, m)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case len(found) > 1:
		return nil, &api.UsageError{Err: fmt.Errorf("--if-not-exists: %d items have %s %s; not choosing one", len(found), key, want)}
	case len(found) == 1:
		return found[0], nil
	}
	return nil, nil
}

// createIfNotExists answers the existing item named like the call's body, else creates it; a create refused because
// the item appeared meanwhile answers that item too. existed says which.
func (e *Env) createIfNotExists(ctx context.Context, be request.Backend, call *request.Call) (res any, existed bool, err error) {
	if m, ferr := e.findExisting(ctx, be, call); ferr != nil || m != nil {
		return m, m != nil, ferr
	}
	res, err = be.Invoke(ctx, call)
	if err == nil || api.KindOf(err) != api.KindConflict {
		return res, false, err
	}
	m, ferr := e.findExisting(ctx, be, call)
	if ferr != nil || m == nil {
		return nil, false, errors.Join(err, ferr)
	}
	return m, true, nil
}

// existedNote tells on stderr that nothing was created.
func (r *opRun) existedNote(call *request.Call, m map[string]any) {
	k := naturalKey(call.Body)
	r.env.F.Infof("%s: %s %s already exists (id %s); nothing created", r.noun, k, canon(m[k]), idOf(m))
}

// unhooked returns the vendor backend under the per-call hooks and the call with its context parameters resolved:
// a lookup needs the create's scope (Resolve), not what Before adds to a request (a secret read from stdin).
func unhooked(ctx context.Context, be request.Backend, call *request.Call) (request.Backend, *request.Call, error) {
	hb, ok := be.(*hookedBackend)
	if !ok || hb.h.Resolve == nil {
		if ok {
			return hb.be, call, nil
		}
		return be, call, nil
	}
	cl := *call
	cl.PathParams = copyMap(call.PathParams)
	cl.Query = maps.Clone(call.Query)
	if err := hb.h.Resolve(ctx, hb.inv, &cl); err != nil {
		return nil, nil, err
	}
	return hb.be, &cl, nil
}
