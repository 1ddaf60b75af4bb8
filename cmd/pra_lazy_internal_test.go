package cmd

import (
	"testing"

	"github.com/infractl/infra/pkg/engine"
)

func TestPRACommandsNeeded(t *testing.T) {
	jg := &engine.Group{Name: "jump-group", Aliases: []string{"jg"}}
	vault := &engine.Group{Name: "vault"}
	cases := []struct {
		argv            []string
		none, jg, vault bool
	}{
		{[]string{"/usr/bin/infra", "version"}, true, false, false},
		{[]string{"/usr/bin/infra", "pra", "jump-group", "list"}, false, true, false},
		{[]string{"infra", "-o", "json", "pra", "jg", "get", "5"}, false, true, false},
		{[]string{"infra", "pra", "--help"}, false, false, false},
		{[]string{"infra", "__complete", "pra", "vault", ""}, false, false, true},
		{[]string{"cmd.test", "-test.run", "X"}, false, true, true}, // tests calling Run build everything
		{[]string{"gendocs", "-docs", "docs"}, false, true, true},   // so do documentation generators
		{[]string{"/opt/bt/my-cli", "version"}, false, true, true},  // and renamed executables
	}
	for _, c := range cases {
		n := praCommandsNeeded(c.argv)
		if n.none != c.none || !n.none && (n.group(jg) != c.jg || n.group(vault) != c.vault) {
			t.Errorf("%v: none=%v jump-group=%v vault=%v, want %v %v %v", c.argv, n.none, n.group(jg), n.group(vault), c.none, c.jg, c.vault)
		}
	}
}
