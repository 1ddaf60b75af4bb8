package main

import "testing"

func TestReplaceSectionKeepsTheRest(t *testing.T) {
	doc := "# B\n\nintro\n\n## Latest results\n\nold table\n\n## Reading the figures\n\nnotes\n"
	got := string(replaceSection([]byte(doc), "## Latest results", "new table\n"))
	want := "# B\n\nintro\n\n## Latest results\n\nnew table\n\n## Reading the figures\n\nnotes\n"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if got := string(replaceSection(nil, "## Latest results", "t\n")); got != "## Latest results\n\nt\n" {
		t.Fatalf("empty document: %q", got)
	}
}
