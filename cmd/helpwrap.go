package cmd

import (
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"
	"github.com/spf13/cobra"
)

// fitHelp makes help fit a terminal of the given width: flag descriptions wrap at it (pflag aligns the wrapped
// lines under the descriptions), and the paragraphs of a command's description that are wider are reflowed. Only on
// a terminal: piped help, and the generated documentation, are unchanged.
func fitHelp(root *cobra.Command, width int) {
	n := strconv.Itoa(width)
	t := root.UsageTemplate()
	t = strings.ReplaceAll(t, ".LocalFlags.FlagUsages ", "(.LocalFlags.FlagUsagesWrapped "+n+") ")
	t = strings.ReplaceAll(t, ".InheritedFlags.FlagUsages ", "(.InheritedFlags.FlagUsagesWrapped "+n+") ")
	root.SetUsageTemplate(t)
	help := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		c.Long = wrapText(c.Long, width)
		help(c, args)
	})
}

// wrapText reflows the paragraphs of s that have a line wider than width: runs of lines that start in the first
// column, or a "- " item with its indented continuation lines. Indented blocks (examples, tables) are kept as they
// are.
func wrapText(s string, width int) string {
	if width <= 0 {
		return s
	}
	lines := strings.Split(s, "\n")
	var out []string
	for i := 0; i < len(lines); {
		first := lines[i]
		if first == "" || first[0] == ' ' || first[0] == '\t' {
			out = append(out, first)
			i++
			continue
		}
		indent := ""
		if strings.HasPrefix(first, "- ") {
			indent = "  "
		}
		j := i + 1
		for j < len(lines) && lines[j] != "" && !strings.HasPrefix(lines[j], "- ") &&
			(indent == "" && lines[j][0] != ' ' && lines[j][0] != '\t' ||
				indent != "" && strings.HasPrefix(lines[j], indent) && len(lines[j]) > len(indent) && lines[j][len(indent)] != ' ') {
			j++
		}
		para := lines[i:j]
		wide := false
		for _, l := range para {
			if runewidth.StringWidth(l) > width {
				wide = true
			}
		}
		if !wide {
			out = append(out, para...)
		} else {
			out = append(out, reflow(para, indent, width)...)
		}
		i = j
	}
	return strings.Join(out, "\n")
}

// reflow fills the words of para into lines of at most width columns (a longer word has a line of its own); lines
// after the first start with indent.
func reflow(para []string, indent string, width int) []string {
	var words []string
	for _, l := range para {
		words = append(words, strings.Fields(l)...)
	}
	var out []string
	line := ""
	for _, w := range words {
		switch {
		case line == "":
			line = w
			if len(out) > 0 {
				line = indent + w
			}
		case runewidth.StringWidth(line)+1+runewidth.StringWidth(w) <= width:
			line += " " + w
		default:
			out = append(out, line)
			line = indent + w
		}
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}
