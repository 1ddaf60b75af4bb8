package cmd

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/infractl/infra/pkg/cmdutil"
)

// The exit-code table of docs/README.md and `infra help exit-codes` come from the same contract.
func TestDocsExitCodesMatchHelp(t *testing.T) {
	doc, err := os.ReadFile("../docs/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cmdutil.ExitCodes {
		row := fmt.Sprintf("| %d | %s | %s |", e.Code, e.Meaning, e.Example)
		if e.Example == "" {
			row = fmt.Sprintf("| %d | %s | |", e.Code, e.Meaning)
		}
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/README.md has no exit-code row %q", row)
		}
	}
}

func TestArgsForBtapiName(t *testing.T) {
	for _, tc := range []struct {
		argv0 string
		want  string
	}{
		{"/usr/local/bin/btapi", "pra list jump-group"},
		{"./btapi", "pra list jump-group"},
		{"BTAPI.EXE", "pra list jump-group"},
		{"/usr/bin/infra", "list jump-group"},
		{"btapi-old", "list jump-group"},
	} {
		got := strings.Join(argsFor(tc.argv0, []string{"list", "jump-group"}), " ")
		if got != tc.want {
			t.Errorf("argsFor(%q) = %q, want %q", tc.argv0, got, tc.want)
		}
	}
}
