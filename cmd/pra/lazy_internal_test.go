package pra

import (
	"testing"

	"github.com/infractl/infra/pkg/api/request"
)

func TestPRACommandsNeeded(t *testing.T) {
	jg := &request.Group{Name: "jump-group", Aliases: []string{"jg"}}
	vault := &request.Group{Name: "vault"}
	cases := []struct {
		argv            []string
		none, jg, vault bool
	}{
		{[]string{"version"}, true, false, false},
		{[]string{}, true, false, false},
		{[]string{"pra", "jump-group", "list"}, false, true, false},
		{[]string{"-o", "json", "pra", "jg", "get", "5"}, false, true, false},
		{[]string{"pra", "--help"}, false, false, false},
		{[]string{"__complete", "pra", "vault", ""}, false, false, true},
		{nil, false, true, true}, // callers building the whole tree (documentation generators)
	}
	for _, c := range cases {
		n := praCommandsNeeded(c.argv)
		if n.none != c.none || !n.none && (n.group(jg) != c.jg || n.group(vault) != c.vault) {
			t.Errorf("%v: none=%v jump-group=%v vault=%v, want %v %v %v", c.argv, n.none, n.group(jg), n.group(vault), c.none, c.jg, c.vault)
		}
	}
}
