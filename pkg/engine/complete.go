package engine

import (
	"context"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api/request"
)

// completionLimit is the most objects one completion lists.
const completionLimit = 1000

// completeIDs completes the id argument of a get, update or delete with the ids the group's list answers, their names
// as descriptions; only when the vendor names a configured site (Env.Site), through the cache and time limit of
// Factory.Candidates.
func (e *Env) completeIDs(op *request.Op) cobra.CompletionFunc {
	n := len(op.Args)
	if n == 0 || e.Site == nil || op.Method == "POST" || op.Kind == request.KindList {
		return nil
	}
	last := op.Args[n-1].Param
	collection, ok := strings.CutSuffix(op.Path, "/{"+last+"}")
	if !ok {
		return nil
	}
	return func(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) != n-1 && !(op.MultiID && len(args) >= n-1) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var list *request.Op
		for _, o := range e.ops {
			if o.Kind == request.KindList && o.Method == "GET" && o.Path == collection {
				list = o
				break
			}
		}
		if list == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		call := &request.Call{Op: list, PathParams: map[string]string{}, Query: url.Values{}}
		for i, a := range op.Args[:n-1] {
			call.PathParams[a.Param] = args[i]
		}
		idField := "id"
		if len(list.Columns) > 0 {
			idField = list.Columns[0]
		}
		out := e.F.Candidates(c.Context(), e.Site(), call.Path(), idField, "name", func(ctx context.Context) ([]any, error) {
			return e.ListAll(ctx, call)
		})
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// ListAll lists the objects of a call with the vendor backend (at most completionLimit), for completions.
func (e *Env) ListAll(ctx context.Context, call *request.Call) ([]any, error) {
	be, err := e.Backend(ctx)
	if err != nil {
		return nil, err
	}
	var items []any
	err = be.List(ctx, call, request.ListOptions{Limit: completionLimit}, func(item any) error {
		items = append(items, item)
		return nil
	})
	return items, err
}
