// Command gendocs writes the CLI reference (markdown and man pages) and the shell completion scripts.
//
//	go run ./internal/gendocs -docs docs -completions completions
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"

	"github.com/infractl/infra/cmd"
	"github.com/infractl/infra/pkg/cmdutil"
)

func main() {
	docsDir := flag.String("docs", "", "write markdown to DIR/cli and man pages to DIR/man")
	compDir := flag.String("completions", "", "write bash, zsh, fish and powershell completions to DIR")
	flag.Parse()
	if err := run(*docsDir, *compDir); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func root() *cobra.Command {
	io, _, _, _ := cmdutil.Test()
	f := cmdutil.New(io, cmdutil.BuildInfo{Version: "dev", Commit: "unknown", Date: "unknown"}, func(string) string { return "" })
	r := cmd.NewRoot(f)
	r.DisableAutoGenTag = true
	return r
}

func run(docsDir, compDir string) error {
	if docsDir != "" {
		md := filepath.Join(docsDir, "cli")
		man := filepath.Join(docsDir, "man")
		for _, d := range []string{md, man} {
			if err := os.RemoveAll(d); err != nil {
				return err
			}
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		if err := doc.GenMarkdownTree(root(), md); err != nil {
			return err
		}
		// A fixed date keeps the generated pages reproducible.
		date := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		hdr := &doc.GenManHeader{Title: "INFRA", Section: "1", Source: "infra", Manual: "infra manual", Date: &date}
		manRoot := root()
		escapeForMan(manRoot)
		if err := doc.GenManTree(manRoot, hdr, man); err != nil {
			return err
		}
		if err := genTopics(root(), manRoot, hdr, md, man); err != nil {
			return err
		}
	}
	if compDir != "" {
		if err := os.MkdirAll(compDir, 0o755); err != nil {
			return err
		}
		r := root()
		gens := map[string]func(string) error{
			"infra.bash": func(p string) error {
				var b bytes.Buffer
				if err := cmd.GenBashCompletion(r, &b); err != nil {
					return err
				}
				return os.WriteFile(p, b.Bytes(), 0o644)
			},
			"infra.zsh":  r.GenZshCompletionFile,
			"infra.fish": func(p string) error { return r.GenFishCompletionFile(p, true) },
			"infra.ps1":  r.GenPowerShellCompletionFileWithDesc,
		}
		for name, gen := range gens {
			if err := gen(filepath.Join(compDir, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// escapeForMan escapes the underscores of names such as BT_CLIENT_SECRET in the texts that the man page generator reads
// as markdown, where a pair of underscores would otherwise become emphasis and vanish from the page.
func escapeForMan(c *cobra.Command) { escapeTree(c, map[*pflag.Flag]bool{}) }

func escapeTree(c *cobra.Command, done map[*pflag.Flag]bool) {
	c.Short = escapeUnderscores(c.Short)
	c.Long = escapeUnderscores(c.Long)
	esc := func(fl *pflag.Flag) { // persistent flags are shared by every sub-command: escape each once
		if !done[fl] {
			done[fl] = true
			fl.Usage = escapeUnderscores(fl.Usage)
		}
	}
	c.LocalFlags().VisitAll(esc)
	c.InheritedFlags().VisitAll(esc)
	for _, sub := range c.Commands() {
		escapeTree(sub, done)
	}
}

// escapeUnderscores backslash-escapes underscores outside code: code spans (`…`) and indented code lines stay as
// they are, since markdown shows their text literally.
func escapeUnderscores(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "    ") || strings.HasPrefix(line, "\t") {
			continue
		}
		var b strings.Builder
		code := false
		for _, r := range line {
			switch {
			case r == '`':
				code = !code
			case r == '_' && !code:
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}

// genTopics writes the help topics (`infra help exit-codes` …), which cobra's generators leave out, as a markdown
// page and a man page each.
func genTopics(mdRoot, manRoot *cobra.Command, hdr *doc.GenManHeader, md, man string) error {
	for _, c := range mdRoot.Commands() {
		if !c.IsAdditionalHelpTopicCommand() {
			continue
		}
		page := fmt.Sprintf("## infra help %s\n\n%s\n\n```\n%s```\n", c.Name(), c.Short, c.Long)
		if err := os.WriteFile(filepath.Join(md, "infra_"+c.Name()+".md"), []byte(page), 0o644); err != nil {
			return err
		}
	}
	for _, c := range manRoot.Commands() {
		if !c.IsAdditionalHelpTopicCommand() {
			continue
		}
		// The topic texts are laid out for a terminal: keep them as a literal block in the man page.
		c.Long = "    " + strings.ReplaceAll(strings.TrimRight(strings.ReplaceAll(c.Long, "\\_", "_"), "\n"), "\n", "\n    ")
		f, err := os.Create(filepath.Join(man, "infra-"+c.Name()+".1"))
		if err != nil {
			return err
		}
		err = doc.GenMan(c, hdr, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
