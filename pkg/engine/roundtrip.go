package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
)

// Round trips: what `get -K` or `get -o json` prints can be piped back into `update -k` or `update --json -`. The
// printed item carries fields an update does not take (read-only ones such as id, or fields the update body does not
// have); the update fetches the target and ignores each such field whose value equals the target's, and refuses the
// others, naming them.

// isUpdate reports whether op changes one existing item.
func isUpdate(op *request.Op) bool {
	return (op.Method == "PATCH" || op.Method == "PUT") && len(op.Args) > 0 && len(op.Body) > 0
}

// getOpFor finds the operation that reads the item an update changes.
func (e *Env) getOpFor(op *request.Op) *request.Op {
	for _, o := range e.ops {
		if o.Method == "GET" && o.Kind == request.KindObject && o.Path == op.Path {
			return o
		}
	}
	return nil
}

// notWritable returns the input keys the body cannot take: read-only and unknown fields, and nulls of fields that
// may not be set to null (how JSON output shows a value the server never set).
func notWritable(fields []request.Field, raw map[string]*rawValue, order []string) []string {
	idx := fieldIndex(fields)
	var out []string
	for _, k := range order {
		rv := raw[k]
		if rv == nil {
			continue
		}
		if f, ok := idx[k]; !ok || f.ReadOnly || rv.fromJS && rv.json == nil && !f.Nullable {
			out = append(out, k)
		}
	}
	return out
}

// dropCurrentValues takes out of the input of an update the fields it cannot set whose values equal the target's.
// It fetches the target only when there are such fields, and returns the backend it built for that (nil otherwise).
func (r *opRun) dropCurrentValues(ctx context.Context, raw map[string]*rawValue, order []string) (request.Backend, []string, error) {
	if !isUpdate(r.op) {
		return nil, order, nil
	}
	keys := notWritable(r.bodyFields(), raw, order)
	get := r.env.getOpFor(r.op)
	if len(keys) == 0 || get == nil {
		return nil, order, nil
	}
	be, err := r.backend(ctx)
	if err != nil {
		return nil, nil, err
	}
	call := &request.Call{Op: r.op, PathParams: map[string]string{}, Query: url.Values{}}
	for i, a := range r.op.Args {
		call.PathParams[a.Param] = r.args[i]
	}
	item, err := r.env.fetchTarget(ctx, be, call, get)
	if err != nil {
		return nil, nil, err
	}
	var differ []string
	for _, k := range keys {
		v, has := item[k]
		if !has {
			continue // left for BuildBody to report as unknown
		}
		if sameValue(raw[k], v) {
			delete(raw, k)
			order = remove(order, k)
			continue
		}
		differ = append(differ, differs(r.op, k, raw[k], v))
	}
	if err := differErr(r.path+" "+strings.Join(r.args, " "), differ); err != nil {
		return nil, nil, err
	}
	return be, order, nil
}

// fetchTarget reads the item an update changes, in the scope the hooks resolve.
func (e *Env) fetchTarget(ctx context.Context, be request.Backend, call *request.Call, get *request.Op) (map[string]any, error) {
	plain, call, err := unhooked(ctx, be, call)
	if err != nil {
		return nil, err
	}
	cur, err := plain.Invoke(ctx, &request.Call{Op: get, PathParams: call.PathParams, Query: url.Values{}})
	if err != nil {
		return nil, err
	}
	item, _ := cur.(map[string]any)
	return item, nil
}

// checkCurrent checks, for a record of a bulk update, that the fields it cannot set equal the item's.
func (e *Env) checkCurrent(ctx context.Context, be request.Backend, call *request.Call, current map[string]*rawValue) error {
	get := e.getOpFor(call.Op)
	if len(current) == 0 || get == nil {
		return nil
	}
	item, err := e.fetchTarget(ctx, be, call, get)
	if err != nil {
		return err
	}
	var differ []string
	for _, k := range sortedKeys(toAny(current)) {
		v, has := item[k]
		switch {
		case !has:
			differ = append(differ, k+": unknown field")
		case !sameValue(current[k], v):
			differ = append(differ, differs(call.Op, k, current[k], v))
		}
	}
	return differErr(strings.Join(pathArgs(call.Op, call), " "), differ)
}

func toAny(m map[string]*rawValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func differs(op *request.Op, k string, rv *rawValue, v any) string {
	return fmt.Sprintf("%s: cannot be changed by %s (the input has %s, the item has %s)", k, op.Name, textValue(rv), jsonText(v))
}

// differErr is the usage error listing the fields an update's input would change but cannot.
func differErr(what string, differ []string) error {
	if len(differ) == 0 {
		return nil
	}
	sort.Strings(differ)
	return &api.UsageError{Err: fmt.Errorf("%s: the input changes fields an update does not set; "+
		"leave them out or give the item's current values:\n  %s", what, strings.Join(differ, "\n  "))}
}

// sameValue compares an input value with the item's: as JSON, or as the text key=value output writes.
func sameValue(rv *rawValue, v any) bool {
	if rv.fromJS {
		return canon(rv.json) == canon(v)
	}
	if rv.isList {
		l, ok := v.([]any)
		if !ok || len(l) != len(rv.list) {
			return false
		}
		for i, e := range l {
			if plainText(e) != rv.list[i] {
				return false
			}
		}
		return true
	}
	if !rv.quoted && rv.text == "" {
		// key= is how output writes null, an empty list and an empty string.
		switch x := v.(type) {
		case nil:
			return true
		case []any:
			return len(x) == 0
		case map[string]any:
			return len(x) == 0
		case string:
			return x == ""
		}
		return false
	}
	return rv.text == plainText(v)
}

// plainText is a value as key=value output writes it.
func plainText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return jsonText(v)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func textValue(rv *rawValue) string {
	if rv.isList {
		return jsonText(rv.list)
	}
	if rv.fromJS {
		return jsonText(rv.json)
	}
	return jsonText(rv.text)
}
