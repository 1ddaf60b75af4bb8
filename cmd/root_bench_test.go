package cmd

import (
	"testing"

	"github.com/infractl/infra/pkg/cmdutil"
)

// BenchmarkNewRoot measures building the command tree for a few command lines: start-up cost grows with what is
// built eagerly, so only the named vendor's commands should be built.
func BenchmarkNewRoot(b *testing.B) {
	for _, args := range [][]string{{"--version"}, {"pra", "jump-group", "list"}, {"virtomize", "vm", "list"}, {"jotelulu", "org", "list"}} {
		b.Run(args[0], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				io, _, _, _ := cmdutil.Test()
				f := cmdutil.New(io, cmdutil.BuildInfo{Version: "b"}, func(string) string { return "" })
				f.Args = args
				NewRoot(f)
			}
		})
	}
}
