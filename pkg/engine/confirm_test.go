package engine

import (
	"testing"

	"github.com/infractl/infra/pkg/api/request"
)

func TestAskedAs(t *testing.T) {
	for _, c := range []struct {
		path         []string
		op           string
		verb, object string
		bulk         string
	}{
		{[]string{"jump-group"}, "delete", "delete", "jump-group", "Delete 299 jump-groups? This cannot be undone."},
		{[]string{"jump-item", "delete"}, "shell-jump", "delete", "shell-jump item", "Delete 299 shell-jump items? This cannot be undone."},
		{[]string{"vault", "account"}, "delete", "delete", "vault account", "Delete 299 vault accounts? This cannot be undone."},
		{[]string{"vm"}, "rm", "rm", "vm", "Rm 299 vms? This cannot be undone."},
		{[]string{"settings"}, "delete", "delete", "settings", "Delete 299 settings? This cannot be undone."},
	} {
		verb, object := askedAs(c.path, &request.Op{Name: c.op})
		if verb != c.verb || object != c.object {
			t.Errorf("askedAs(%v, %s) = %q, %q; want %q, %q", c.path, c.op, verb, object, c.verb, c.object)
		}
		r := &opRun{verb: verb, object: object}
		if got := r.bulkQuestion(299); got != c.bulk {
			t.Errorf("bulkQuestion: %q, want %q", got, c.bulk)
		}
	}
	if got := (&opRun{verb: "delete", object: "jump-group"}).bulkQuestion(1); got != "Delete 1 jump-group? This cannot be undone." {
		t.Errorf("one item: %q", got)
	}
}
