package engine

import (
	"errors"
	"testing"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/cmdutil"
)

func TestNaturalKey(t *testing.T) {
	for _, c := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"name": "web", "username": "u"}, "name"},
		{map[string]any{"username": "u", "permissions": 1}, "username"},
		{map[string]any{"email": "a@b.c"}, "email"},
		{map[string]any{"name": ""}, ""},
		{map[string]any{"cpu": 2}, ""},
	} {
		if got := naturalKey(c.body); got != c.want {
			t.Errorf("naturalKey(%v) = %q, want %q", c.body, got, c.want)
		}
	}
}

// TestAbsentIDs: null and empty ids are "not found"; --if-exists drops them, and with none left there is nothing to do.
func TestAbsentIDs(t *testing.T) {
	op := &request.Op{Name: "delete", Method: "DELETE", Path: "/g/{id}", Args: []request.Arg{{Param: "id", Name: "ID", Integer: true}}, MultiID: true}
	ios, _, _, _ := cmdutil.Test()
	f := cmdutil.New(ios, cmdutil.BuildInfo{Version: "t"}, func(string) string { return "" })
	run := func(ifExists bool, args ...string) (*opRun, bool, error) {
		r := (&Env{F: f}).newRun(op, "g")
		r.args, r.ifExists = args, ifExists
		ok, err := r.checkAbsentIDs()
		return r, ok, err
	}
	if _, ok, err := run(false, "null"); ok || api.KindOf(err) != api.KindNotFound {
		t.Errorf("delete null: ok=%v err=%v, want not found", ok, err)
	}
	if _, ok, err := run(false, ""); ok || !errors.As(err, new(*api.NotFoundError)) {
		t.Errorf(`delete "": ok=%v err=%v, want not found`, ok, err)
	}
	if _, ok, err := run(true, "null"); ok || err != nil {
		t.Errorf("delete null --if-exists: ok=%v err=%v, want nothing to do", ok, err)
	}
	if r, ok, err := run(true, "3", "null", "4"); !ok || err != nil || len(r.args) != 2 || r.args[1] != "4" {
		t.Errorf("delete 3 null 4 --if-exists: ok=%v err=%v args=%v", ok, err, r.args)
	}
	if _, ok, err := run(false, "3"); !ok || err != nil {
		t.Errorf("delete 3: ok=%v err=%v", ok, err)
	}
}
