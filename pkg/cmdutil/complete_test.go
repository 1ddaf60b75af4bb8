package cmdutil

import (
	"context"
	"strings"
	"testing"
	"unicode"
)

// TestCandidatesNeutraliseHostileNames: ids and names come from the site; a crafted one cannot put escape sequences on
// the terminal or split a candidate into several (tab and newline are the shell protocol's separators).
func TestCandidatesNeutraliseHostileNames(t *testing.T) {
	dir := t.TempDir()
	ios, _, _, _ := Test()
	f := New(ios, BuildInfo{Version: "t"}, func(k string) string {
		if k == "INFRA_CACHE_DIR" {
			return dir + "/cache"
		}
		return ""
	})
	fetch := func(context.Context) ([]any, error) {
		return []any{
			map[string]any{"id": "7\x1b]0;owned\x07", "name": "web\x1b[2J\nrm -rf\tx"},
			map[string]any{"id": float64(8), "name": "plain"},
		}, nil
	}
	got := f.Candidates(context.Background(), "https://site.example", "jump-group", "id", "name", fetch)
	if len(got) != 2 {
		t.Fatalf("candidates %q", got)
	}
	for _, c := range got {
		id, name, _ := strings.Cut(c, "\t")
		for _, part := range []string{id, name} {
			if strings.IndexFunc(part, unicode.IsControl) >= 0 {
				t.Errorf("candidate %q carries a control character", c)
			}
		}
	}
	if got[1] != "8\tplain" {
		t.Errorf("plain candidate %q", got[1])
	}
	if f.Candidates(context.Background(), "", "jump-group", "id", "name", fetch) != nil {
		t.Error("no site: no candidates (and no request)")
	}
}
