package cmd_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/infractl/infra/internal/sim/prasim"
)

func init() {
	// pra-permissions CONFIG VAULT: grant (true) or take away (false) the API account's Configuration API and Vault
	// access on the PRA simulator.
	extraCmds["pra-permissions"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: pra-permissions CONFIG VAULT (true or false)")
		}
		ts.Value("prasim").(*prasim.Server).SetPermissions(args[0] == "true", args[1] == "true")
	}
}

// docsExamples pairs each guide with the script that runs its examples. subst turns a command of the guide into the
// command the script runs (placeholders of the guide become the test servers).
var docsExamples = []struct {
	doc, script string
	subst       *strings.Replacer
	min         int // the guide has at least this many commands: a guard against a parser that finds none
}{
	{"../docs/pra.md", "testdata/script/pra_docs.txtar",
		strings.NewReplacer("access.example.com", "$PRA_URL", "1f2e3d4c", "sandbox-client"), 40},
	{"../docs/virtomize.md", "testdata/script/virtomize_docs.txtar",
		strings.NewReplacer("10.0.0.5", "$VIRTOMIZE_TLS_URL",
			"sha256:6a25539fb215d20ff5299f76c5e484fdb866da2ee0955ec41a1d7411454889ea", "$VIRTOMIZE_FP_A"), 20},
	{"../docs/jotelulu.md", "testdata/script/jotelulu_docs.txtar",
		strings.NewReplacer("https://API-HOST", "$JOTELULU_URL"), 25},
	{"../docs/config-as-code.md", "testdata/script/sitefile_docs.txtar", strings.NewReplacer(), 12},
}

// TestDocsExamplesTested: every command in the ```sh blocks of each guide is run by its script, either on an exec
// line or in a shell file of the script's archive that an exec line runs (`exec sh FILE`).
func TestDocsExamplesTested(t *testing.T) {
	for _, d := range docsExamples {
		t.Run(strings.TrimSuffix(d.script[strings.LastIndex(d.script, "/")+1:], ".txtar"), func(t *testing.T) {
			doc, err := os.ReadFile(d.doc)
			if err != nil {
				t.Fatal(err)
			}
			ar, err := txtar.ParseFile(d.script)
			if err != nil {
				t.Fatal(err)
			}
			run := scriptCommands(ar)
			var cmds []string
			for _, block := range shBlocks(string(doc)) {
				cmds = append(cmds, shellCommands(block)...)
			}
			for _, c := range cmds {
				if c = d.subst.Replace(c); !run[c] {
					t.Errorf("example of %s not run by %s:\n  %s", d.doc, d.script, c)
				}
			}
			if len(cmds) < d.min {
				t.Fatalf("found only %d examples in %s", len(cmds), d.doc)
			}
		})
	}
}

// shBlocks returns the text of each ```sh block of a Markdown document.
func shBlocks(doc string) []string {
	var blocks []string
	var cur []string
	in := false
	for _, l := range strings.Split(doc, "\n") {
		switch {
		case !in && strings.HasPrefix(l, "```sh"):
			in, cur = true, nil
		case in && strings.HasPrefix(l, "```"):
			in = false
			blocks = append(blocks, strings.Join(cur, "\n"))
		case in:
			cur = append(cur, l)
		}
	}
	return blocks
}

var bgSuffix = regexp.MustCompile(` &[a-zA-Z0-9_]+&$`)

// scriptCommands returns the commands a script runs: its exec lines (with `! `, a background suffix and an
// `sh -c '…'` wrapper taken off) and the commands of the archive's files that an exec line runs with `sh FILE`.
func scriptCommands(ar *txtar.Archive) map[string]bool {
	files := map[string]string{}
	for _, f := range ar.Files {
		files[f.Name] = string(f.Data)
	}
	run := map[string]bool{}
	for _, l := range strings.Split(string(ar.Comment), "\n") {
		l = strings.TrimPrefix(strings.TrimSpace(l), "! ")
		if !strings.HasPrefix(l, "exec ") {
			continue
		}
		l = bgSuffix.ReplaceAllString(strings.TrimPrefix(l, "exec "), "")
		if strings.HasPrefix(l, "sh -c '") && strings.HasSuffix(l, "'") {
			l = strings.ReplaceAll(l[len("sh -c '"):len(l)-1], "''", "'")
		}
		if name, ok := strings.CutPrefix(l, "sh "); ok {
			if body, ok := files[strings.TrimSpace(name)]; ok {
				for _, c := range shellCommands(body) {
					run[c] = true
				}
				continue
			}
		}
		run[normalizeCommand(l)] = true
	}
	return run
}

// shellCommands splits shell text into commands: a line ending in a backslash continues on the next, and so does a
// line that leaves a quote open (the newline is kept then). Comment lines and trailing comments are dropped.
func shellCommands(text string) []string {
	var cmds []string
	var cur strings.Builder
	var quote rune
	for _, l := range strings.Split(text, "\n") {
		if quote == 0 && cur.Len() == 0 && (strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#")) {
			continue
		}
		if quote != 0 {
			cur.WriteByte('\n')
		}
		// Scan for quotes and a comment outside them.
		line := l
		for i, r := range l {
			switch {
			case quote == 0 && (r == '\'' || r == '"'):
				quote = r
			case quote == r && (r == '\'' || i == 0 || l[i-1] != '\\'):
				quote = 0
			case quote == 0 && r == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t'):
				line = l[:i]
			}
			if len(line) < len(l) {
				break
			}
		}
		if quote == 0 && strings.HasSuffix(strings.TrimSpace(line), "\\") {
			cur.WriteString(strings.TrimSuffix(strings.TrimSpace(line), "\\"))
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(line)
		if quote == 0 {
			cmds = append(cmds, normalizeCommand(cur.String()))
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		cmds = append(cmds, normalizeCommand(cur.String()))
	}
	return cmds
}

// normalizeCommand collapses runs of blanks outside quotes, so alignment in a guide does not matter.
func normalizeCommand(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	var quote rune
	space := false
	for i, r := range s {
		switch {
		case quote == 0 && (r == '\'' || r == '"'):
			quote = r
		case quote == r && (r == '\'' || i == 0 || s[i-1] != '\\'):
			quote = 0
		}
		if quote == 0 && (r == ' ' || r == '\t') {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
