package prasim

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// TestLargeListPaging walks 10,000 Shell Jump items 100 at a time by
// following the Link header, filtered by tag as the cleanup script does.
// Its speed is measured by BenchmarkListPage, never timed here.
func TestLargeListPaging(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedShellJumps(10000, "bulk")
	e.sim.SeedShellJumps(50, "other")
	next := e.ts.URL + ConfigBase + "/jump-item/shell-jump?tag=bulk&per_page=100"
	pages, items := 0, 0
	seen := map[float64]bool{}
	for next != "" {
		r := e.call("GET", next, "")
		e.mustStatus(r, http.StatusOK)
		pages++
		if r.header.Get("X-BT-Pagination-Total") != "10000" || r.header.Get("X-BT-Pagination-Last-Page") != "100" ||
			r.header.Get("X-BT-Pagination-Current-Page") != strconv.Itoa(pages) {
			t.Fatalf("page %d headers %v", pages, r.header)
		}
		var list []map[string]any
		r.decode(t, &list)
		for _, it := range list {
			id := it["id"].(float64)
			if seen[id] || it["tag"] != "bulk" {
				t.Fatalf("page %d: item %v repeated or mistagged", pages, it)
			}
			seen[id] = true
		}
		items += len(list)
		next = parseLink(t, r.header.Get("Link"))["next"]
		if pages > 100 {
			t.Fatal("more pages than announced")
		}
	}
	if pages != 100 || items != 10000 {
		t.Fatalf("%d pages, %d items", pages, items)
	}
}

// BenchmarkListPage measures one page of 100 out of 10,000 items.
func BenchmarkListPage(b *testing.B) {
	sim := New(Options{ClientSecret: testSecret})
	sim.SeedShellJumps(10000, "bulk")
	tok := sim.tokens.Mint(sim.ClientID()).Value
	req := httptest.NewRequest("GET", ConfigBase+"/jump-item/shell-jump?per_page=100&current_page=57", nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		sim.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkNew measures starting a seeded simulator, which every script
// test does.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		New(DefaultOptions())
	}
}
