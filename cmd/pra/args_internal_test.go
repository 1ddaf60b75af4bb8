package pra

import (
	"errors"
	"testing"

	"github.com/infractl/infra/pkg/api"
)

func TestOneNamedArg(t *testing.T) {
	check := oneNamedArg("colour", func() []string { return []string{"red", "green"} }, func(n string) bool { return n == "red" || n == "green" })
	cases := []struct {
		args []string
		want string // "" = accepted
	}{
		{[]string{"red"}, ""},
		{nil, "expected one colour: red, green"},
		{[]string{"red", "green"}, "expected one colour: red, green"},
		{[]string{"blue"}, `unknown colour "blue": use one of red, green`},
	}
	for _, c := range cases {
		err := check(nil, c.args)
		if c.want == "" {
			if err != nil {
				t.Errorf("%v: %v", c.args, err)
			}
			continue
		}
		var ue *api.UsageError
		if !errors.As(err, &ue) || err.Error() != c.want {
			t.Errorf("%v: got %v, want usage error %q", c.args, err, c.want)
		}
	}
}

func TestScriptFlagsListEveryActionOnce(t *testing.T) {
	infos, order := scriptFlags()
	if len(infos) != len(order) {
		t.Fatalf("%d flags, %d in order", len(infos), len(order))
	}
	if _, ok := infos["password"]; ok {
		t.Error("the password must never be a flag")
	}
	for _, fl := range order {
		seen := map[string]bool{}
		for _, a := range infos[fl].actions {
			if seen[a] {
				t.Errorf("--%s lists %s twice", fl, a)
			}
			seen[a] = true
		}
		if len(infos[fl].actions) == 0 {
			t.Errorf("--%s applies to no action", fl)
		}
	}
}
