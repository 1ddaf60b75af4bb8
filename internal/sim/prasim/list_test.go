package prasim

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var linkRe = regexp.MustCompile(`<([^>]+)>; rel="([a-z]+)"`)

// parseLink splits a Link header into rel -> URL, checking its syntax.
func parseLink(t *testing.T, h string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, part := range strings.Split(h, ", ") {
		m := linkRe.FindStringSubmatch(part)
		if m == nil || m[0] != part {
			t.Fatalf("malformed Link entry %q in %q", part, h)
		}
		out[m[2]] = m[1]
	}
	return out
}

func TestPaginationWalk(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedJumpGroups(250)
	next := e.ts.URL + ConfigBase + "/jump-group"
	seen := map[float64]bool{}
	page := 0
	for next != "" {
		page++
		r := e.call("GET", next, "")
		e.mustStatus(r, http.StatusOK)
		h := r.header
		if h.Get("X-BT-Pagination-Total") != "250" || h.Get("X-BT-Pagination-Last-Page") != "3" ||
			h.Get("X-BT-Pagination-Per-Page") != "100" || h.Get("X-BT-Pagination-Current-Page") != fmt.Sprint(page) {
			t.Fatalf("page %d headers: %v", page, h)
		}
		links := parseLink(t, h.Get("Link"))
		if links["first"] != e.ts.URL+ConfigBase+"/jump-group?per_page=100&current_page=1" ||
			links["last"] != e.ts.URL+ConfigBase+"/jump-group?per_page=100&current_page=3" {
			t.Fatalf("page %d first/last: %v", page, links)
		}
		if _, ok := links["previous"]; ok != (page > 1) {
			t.Fatalf("page %d: previous present=%v", page, ok)
		}
		var groups []map[string]any
		r.decode(t, &groups)
		want := 100
		if page == 3 {
			want = 50
		}
		if len(groups) != want {
			t.Fatalf("page %d has %d items", page, len(groups))
		}
		for _, g := range groups {
			id := g["id"].(float64)
			if seen[id] {
				t.Fatalf("id %v repeated", id)
			}
			seen[id] = true
			if g["name"] != fmt.Sprintf("group-%04d", int(id)) {
				t.Fatalf("group %v named %v", id, g["name"])
			}
		}
		next = links["next"]
		if page > 3 {
			t.Fatal("more pages than announced")
		}
	}
	if page != 3 || len(seen) != 250 {
		t.Fatalf("walked %d pages, %d groups", page, len(seen))
	}
	if e.sim.Requests() != 3 {
		t.Fatalf("Requests = %d, want 3", e.sim.Requests())
	}
}

func TestPaginationLinksKeepFiltersAndPages(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedJumpGroups(23)
	r := e.call("GET", "/jump-group?per_page=5&current_page=3", "")
	e.mustStatus(r, http.StatusOK)
	base := e.ts.URL + ConfigBase + "/jump-group?per_page=5&current_page="
	links := parseLink(t, r.header.Get("Link"))
	want := map[string]string{"first": base + "1", "previous": base + "2", "next": base + "4", "last": base + "5"}
	for rel, u := range want {
		if links[rel] != u {
			t.Errorf("%s = %q, want %q", rel, links[rel], u)
		}
	}
	// The order in the header is first, previous, next, last.
	if !strings.Contains(r.header.Get("Link"), `rel="first", <`+base+`2>; rel="previous", <`+base+`4>; rel="next", <`) {
		t.Errorf("Link order: %s", r.header.Get("Link"))
	}

	r = e.call("GET", "/jump-group?name=GROUP-0007&per_page=10", "")
	e.mustStatus(r, http.StatusOK)
	links = parseLink(t, r.header.Get("Link"))
	if links["first"] != e.ts.URL+ConfigBase+"/jump-group?name=GROUP-0007&per_page=10&current_page=1" {
		t.Fatalf("filter not kept: %v", links)
	}
	if len(links) != 2 {
		t.Fatalf("single page should only link first and last: %v", links)
	}

	// A page past the end is empty but still paginated.
	r = e.call("GET", "/jump-group?per_page=10&current_page=9", "")
	e.mustStatus(r, http.StatusOK)
	if strings.TrimSpace(string(r.body)) != "[]" || r.header.Get("X-BT-Pagination-Last-Page") != "3" {
		t.Fatalf("page past end: %s %v", r.body, r.header)
	}
}

func TestEmptyListHasOnePage(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.call("GET", "/jump-group", "")
	e.mustStatus(r, http.StatusOK)
	if strings.TrimSpace(string(r.body)) != "[]" || r.header.Get("X-BT-Pagination-Total") != "0" ||
		r.header.Get("X-BT-Pagination-Last-Page") != "1" {
		t.Fatalf("empty list: %s %v", r.body, r.header)
	}
}

func TestPaginationValidation(t *testing.T) {
	e := newEnv(t, Options{})
	cases := map[string]string{
		"per_page=101":      "per_page",
		"per_page=0":        "per_page",
		"per_page=4":        "per_page",
		"per_page=ten":      "per_page",
		"current_page=0":    "current_page",
		"current_page=-2":   "current_page",
		"current_page=x":    "current_page",
		"name=":             "name",
		"code_name=bad%20x": "code_name",
	}
	for q, field := range cases {
		r := e.call("GET", "/jump-group?"+q, "")
		errs := r.errorsBag(t)
		if len(errs[field]) == 0 {
			t.Errorf("%s: no error for %s in %s", q, field, r.body)
		}
	}
	r := e.call("GET", "/jump-group?per_page=101&current_page=0", "")
	var body struct {
		Message string `json:"message"`
	}
	r.decode(t, &body)
	if body.Message != "The per page must not be greater than 100. (and 1 more error)" {
		t.Fatalf("summary message %q", body.Message)
	}
}

func TestFilters(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	names := func(path string) []string {
		t.Helper()
		r := e.call("GET", path, "")
		e.mustStatus(r, http.StatusOK)
		var items []map[string]any
		r.decode(t, &items)
		var out []string
		for _, it := range items {
			if n, ok := it["name"].(string); ok {
				out = append(out, n)
			} else {
				out = append(out, it["username"].(string))
			}
		}
		if r.header.Get("X-BT-Pagination-Total") != fmt.Sprint(len(out)) {
			t.Fatalf("total header %s for %d items", r.header.Get("X-BT-Pagination-Total"), len(out))
		}
		return out
	}
	check := func(path string, want ...string) {
		t.Helper()
		got := names(path)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
	check("/jump-group", "Production Servers", "Lab", "Network Devices")
	check("/jump-group?name="+url.QueryEscape("production servers"), "Production Servers")
	check("/jump-group?name=Production")
	check("/jump-group?code_name=NETDEV", "Network Devices")
	check("/jump-group?code_name=netdev&name=Lab")
	check("/jump-group?code_name=lab&name=lab", "Lab")
	check("/user?username=ALICE", "alice")
	check("/user?email_address=bob@example.com", "bob")
	check("/user?security_provider_id=1", "admin", "alice", "bob", "carol")
	check("/user?security_provider_id=2")
	check("/jump-item-role?name=no%20access", "No Access")
	errs := e.call("GET", "/user?security_provider_id=abc", "").errorsBag(t)
	if errs["security_provider_id"][0] != "The security provider id must be an integer." {
		t.Fatalf("integer filter error: %v", errs)
	}
}

func TestUnknownQueryParameterIs401(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	for _, path := range []string{"/jump-group?nme=Lab", "/jump-group/1?verbose=1", "/jump-group/1/user?name=x"} {
		r := e.call("GET", path, "")
		e.mustStatus(r, http.StatusUnauthorized)
		if msg := r.message(t); !strings.Contains(msg, "Unrecognized query string parameter") {
			t.Fatalf("%s: message %q", path, msg)
		}
	}
}

func TestFiltersOnLists(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	count := func(path string) string {
		t.Helper()
		r := e.call("GET", path, "")
		e.mustStatus(r, http.StatusOK)
		return r.header.Get("X-BT-Pagination-Total")
	}
	if n := count("/endpoint-automation/endpoint?names=WS-01"); n != "1" {
		t.Errorf("names=WS-01: %s", n)
	}
	if n := count("/endpoint-automation/endpoint?names=" + url.QueryEscape("WS-01,ws-02")); n != "2" {
		t.Errorf("names=WS-01,ws-02: %s", n)
	}
	if n := count("/endpoint-automation/endpoint?hostname=nowhere"); n != "0" {
		t.Errorf("hostname=nowhere: %s", n)
	}
	if n := count("/jump-item/shell-jump?jumpoint_id=1&jump_group_type=shared"); n != "3" {
		t.Errorf("shell jumps through Jumpoint 1: %s", n)
	}
	if n := count("/vault/account?type=ssh"); n != "1" {
		t.Errorf("ssh accounts: %s", n)
	}
	errs := e.call("GET", "/jump-item/shell-jump?jump_group_type=public", "").errorsBag(t)
	if len(errs["jump_group_type"]) == 0 {
		t.Fatalf("bad enum filter: %v", errs)
	}
}
