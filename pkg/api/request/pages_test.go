package request

import (
	"strings"
	"testing"
)

func TestPageGuard(t *testing.T) {
	var g PageGuard
	if err := g.Visit("/api/x?per_page=100&current_page=1"); err != nil {
		t.Fatal(err)
	}
	if err := g.Visit("/api/x?current_page=2&per_page=100"); err != nil {
		t.Fatal(err)
	}
	// The same page with its parameters in another order, or as an absolute URL, is a loop.
	for _, again := range []string{"/api/x?current_page=1&per_page=100", "https://site.example/api/x?current_page=2&per_page=100"} {
		if err := g.Visit(again); err == nil || !strings.Contains(err.Error(), "already fetched") {
			t.Errorf("Visit(%q) = %v", again, err)
		}
	}
	small := PageGuard{Max: 2}
	_ = small.Visit("/p?page=1")
	_ = small.Visit("/p?page=2")
	if err := small.Visit("/p?page=3"); err == nil || !strings.Contains(err.Error(), "more than 2 pages") {
		t.Errorf("cap: %v", err)
	}
	if err := (&PageGuard{}).Allow(MaxPages + 1); err == nil {
		t.Error("Allow above MaxPages")
	}
}
