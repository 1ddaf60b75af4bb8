package cmd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestReadme runs what README.md tells a newcomer to paste into bash (testdata/readme): the Quick start block and the
// tour of `make demo`, with and without a configured site.
func TestReadme(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	p := scriptParams("testdata/readme")
	setup := p.Setup
	p.Setup = func(env *testscript.Env) error {
		env.Setenv("REPO", root)
		return setup(env)
	}
	testscript.Run(t, p)
}

func init() {
	// readme-block SECTION FILE: write the first ```sh block under the README heading "## SECTION" to FILE.
	extraCmds["readme-block"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: readme-block SECTION FILE")
		}
		readme, err := os.ReadFile(filepath.Join(ts.Getenv("REPO"), "README.md"))
		ts.Check(err)
		block, err := readmeBlock(string(readme), args[0])
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(block), 0o644))
	}
}

// readmeBlock returns the first ```sh code block of the section headed "## section".
func readmeBlock(readme, section string) (string, error) {
	_, after, ok := strings.Cut(readme, "\n## "+section+"\n")
	if !ok {
		return "", fmt.Errorf("README.md has no section %q", section)
	}
	if next := strings.Index(after, "\n## "); next >= 0 {
		after = after[:next]
	}
	m := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(after)
	if m == nil {
		return "", fmt.Errorf("README.md section %q has no sh block", section)
	}
	return m[1], nil
}
