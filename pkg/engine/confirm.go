package engine

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/infractl/infra/pkg/api/request"
)

// nameLookupTimeout bounds the request that names the object of a confirmation: the question is asked anyway,
// with the id alone, when the site is slow.
const nameLookupTimeout = 2 * time.Second

// objectNoun names the objects of a group for questions, from its path of group names: "shell-jump item" for
// jump-item shell-jump, "vault account" for vault account, the group's name alone at the top.
func objectNoun(path []string) string {
	last := path[len(path)-1]
	if len(path) < 2 {
		return last
	}
	parent := path[len(path)-2]
	if kind, ok := strings.CutSuffix(parent, "-item"); ok && kind != "" {
		return last + " item"
	}
	return parent + " " + last
}

// verbGroups are group names that are verbs: their operations are named by the type of object they act on
// (jump-item delete shell-jump).
var verbGroups = sync.OnceValue(func() map[string]bool {
	return map[string]bool{"list": true, "get": true, "create": true, "update": true, "delete": true, "copy": true}
})

// askedAs returns the verb and the object phrase of an operation of the group at path, for questions.
func askedAs(path []string, op *request.Op) (verb, object string) {
	if n := len(path); n >= 2 && verbGroups()[path[n-1]] {
		return path[n-1], objectNoun(append(append([]string(nil), path[:n-1]...), op.Name))
	}
	return op.Name, objectNoun(path)
}

// plural is the plural of a noun phrase for counts: its last word takes an s.
func plural(noun string) string {
	if strings.HasSuffix(noun, "s") {
		return noun
	}
	return noun + "s"
}

// question is what the confirmation of a single run asks: the verb, the object and its ids, and its name when a get
// of the same path gives it quickly ("Delete shell-jump item 4 "web01"?").
func (r *opRun) question(ctx context.Context) string {
	q := capitalize(r.verb) + " " + strings.TrimSpace(r.object+" "+strings.Join(r.args, " "))
	if name := r.objectName(ctx); name != "" {
		q += " " + fmt.Sprintf("%q", name)
	}
	return q + "? This cannot be undone."
}

// bulkQuestion is what the confirmation of a bulk run asks: "Delete 299 shell-jump items?".
func (r *opRun) bulkQuestion(n int) string {
	what := plural(r.object)
	if n == 1 {
		what = r.object
	}
	return fmt.Sprintf("%s %d %s? This cannot be undone.", capitalize(r.verb), n, what)
}

// objectName fetches the name of the one object the run acts on, when its group has a get of the same path; "" when
// there is none, it has no name, or the site does not answer within nameLookupTimeout.
func (r *opRun) objectName(ctx context.Context) string {
	if len(r.op.Args) == 0 || len(r.args) != len(r.op.Args) || r.env.Backend == nil {
		return ""
	}
	var get *request.Op
	for _, op := range r.env.ops {
		if op.Method == "GET" && op.Kind == request.KindObject && op.Path == r.op.Path && op != r.op {
			get = op
			break
		}
	}
	if get == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, nameLookupTimeout)
	defer cancel()
	be, err := r.env.Backend(ctx)
	if err != nil {
		return ""
	}
	call := &request.Call{Op: get, PathParams: map[string]string{}, Query: url.Values{}}
	for i, a := range r.op.Args {
		call.PathParams[a.Param] = r.args[i]
	}
	res, err := be.Invoke(ctx, call)
	if err != nil {
		return ""
	}
	m, _ := res.(map[string]any)
	name, _ := m["name"].(string)
	return name
}
