package pra

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
)

// pagedSite serves total items at /api/config/v1/thing the way the guide documents pagination.
type pagedSite struct {
	total       int
	lastPageHdr bool // send X-BT-Pagination-Last-Page
	mu          sync.Mutex
	pages       []int // current_page of every list request, in arrival order
	perPage     []int
	inFlight    int
	maxInFlight int
	extra       http.HandlerFunc // other paths
}

func (s *pagedSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/oauth2/token" {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok","token_type":"Bearer","expires_in":3600}`)
		return
	}
	if r.URL.Path != "/api/config/v1/thing" {
		s.extra(w, r)
		return
	}
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	cur, _ := strconv.Atoi(q.Get("current_page"))
	s.mu.Lock()
	s.pages = append(s.pages, cur)
	s.perPage = append(s.perPage, per)
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.inFlight--; s.mu.Unlock() }()
	last := max((s.total+per-1)/per, 1)
	link := func(p int, rel string) string {
		return fmt.Sprintf(`<http://%s/api/config/v1/thing?per_page=%d&current_page=%d>; rel="%s"`, r.Host, per, p, rel)
	}
	links := []string{link(1, "first")}
	if cur < last {
		links = append(links, link(cur+1, "next"))
	}
	links = append(links, link(last, "last"))
	w.Header().Set("Link", strings.Join(links, ", "))
	w.Header().Set("X-BT-Pagination-Total", strconv.Itoa(s.total))
	if s.lastPageHdr {
		w.Header().Set("X-BT-Pagination-Last-Page", strconv.Itoa(last))
	}
	w.Header().Set("Content-Type", "application/json")
	if r.Method == http.MethodHead {
		return
	}
	items := []map[string]int{}
	for i := (cur - 1) * per; i < min(cur*per, s.total); i++ {
		items = append(items, map[string]int{"id": i + 1})
	}
	_ = json.NewEncoder(w).Encode(items)
}

func newTestClient(t *testing.T, h http.Handler, parallel int) (*Client, *bytes.Buffer) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	var out bytes.Buffer
	c, err := New(api.Options{MaxRetries: -1}, Settings{Host: srv.URL, ClientID: "id", ClientSecret: "secret",
		Cache: api.NewFileTokenCache(t.TempDir()), Parallel: parallel, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	return c, &out
}

func listCall(path string) *request.Call {
	return &request.Call{Op: &request.Op{Method: "GET", Path: path, Kind: request.KindList}, PathParams: map[string]string{}}
}

func collect(t *testing.T, c *Client, opts request.ListOptions) []int {
	t.Helper()
	var ids []int
	err := c.List(context.Background(), listCall("/thing"), opts, func(it any) error {
		n, _ := it.(map[string]any)["id"].(json.Number).Int64()
		ids = append(ids, int(n))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func wantSequence(t *testing.T, ids []int, n int) {
	t.Helper()
	if len(ids) != n {
		t.Fatalf("got %d items, want %d", len(ids), n)
	}
	for i, id := range ids {
		if id != i+1 {
			t.Fatalf("item %d is %d: out of order or repeated: %v", i, id, ids)
		}
	}
}

func TestListFollowsLinkHeader(t *testing.T) {
	s := &pagedSite{total: 250}
	c, _ := newTestClient(t, s, 4)
	wantSequence(t, collect(t, c, request.ListOptions{}), 250)
	if fmt.Sprint(s.pages) != "[1 2 3]" {
		t.Fatalf("pages requested %v, want [1 2 3]", s.pages)
	}
	for _, p := range s.perPage {
		if p != MaxPerPage {
			t.Fatalf("per_page %d, want the documented maximum %d", p, MaxPerPage)
		}
	}
}

func TestListFetchesKnownPagesConcurrently(t *testing.T) {
	s := &pagedSite{total: 48, lastPageHdr: true}
	c, _ := newTestClient(t, s, 3)
	wantSequence(t, collect(t, c, request.ListOptions{PerPage: 5}), 48)
	seen := map[int]int{}
	for _, p := range s.pages {
		seen[p]++
	}
	for p := 1; p <= 10; p++ {
		if seen[p] != 1 {
			t.Fatalf("page %d requested %d times: %v", p, seen[p], s.pages)
		}
	}
	if s.maxInFlight > 3 {
		t.Fatalf("%d requests in flight, the limit is 3", s.maxInFlight)
	}
}

func TestListLimitStopsEarly(t *testing.T) {
	s := &pagedSite{total: 1000, lastPageHdr: true}
	c, _ := newTestClient(t, s, 4)
	wantSequence(t, collect(t, c, request.ListOptions{Limit: 7, PerPage: 5}), 7)
	if len(s.pages) != 2 {
		t.Fatalf("pages requested %v, want only the 2 needed for 7 items", s.pages)
	}
	s2 := &pagedSite{total: 1000}
	c2, _ := newTestClient(t, s2, 1)
	wantSequence(t, collect(t, c2, request.ListOptions{PerPage: 500}), 1000)
	for _, p := range s2.perPage {
		if p != MaxPerPage {
			t.Fatalf("per_page %d sent, the maximum is %d", p, MaxPerPage)
		}
	}
	// One page only.
	s3 := &pagedSite{total: 30, lastPageHdr: true}
	c3, _ := newTestClient(t, s3, 4)
	var ids []int
	_ = c3.List(context.Background(), listCall("/thing"), request.ListOptions{Page: 2, PerPage: 10}, func(it any) error {
		n, _ := it.(map[string]any)["id"].(json.Number).Int64()
		ids = append(ids, int(n))
		return nil
	})
	if fmt.Sprint(ids) != "[11 12 13 14 15 16 17 18 19 20]" || fmt.Sprint(s3.pages) != "[2]" {
		t.Fatalf("--page 2: got %v from pages %v", ids, s3.pages)
	}
}

func TestCountUsesHead(t *testing.T) {
	s := &pagedSite{total: 321}
	c, _ := newTestClient(t, s, 1)
	n, err := c.Count(context.Background(), listCall("/thing"))
	if err != nil || n != 321 {
		t.Fatalf("count %d, %v; want 321", n, err)
	}
}

func TestErrors(t *testing.T) {
	s := &pagedSite{extra: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodOptions:
			w.Header().Set("Allow", "GET,HEAD,POST")
			w.WriteHeader(http.StatusNoContent)
		case strings.HasSuffix(r.URL.Path, "/forbidden") || strings.HasPrefix(r.URL.Path, "/api/config/v1/vault/"):
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"Forbidden"}`)
		case strings.HasSuffix(r.URL.Path, "/missing"):
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not found"}`)
		case strings.HasSuffix(r.URL.Path, "/invalid"):
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprint(w, `{"message":"The given data was invalid.","errors":{"jump_group_id":["The selected jump group id is invalid."],"name":["The name field is required."]}}`)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
			fmt.Fprint(w, `{"message":"Method Not Allowed"}`)
		}
	}}
	c, _ := newTestClient(t, s, 1)
	call := func(method, path string) error {
		_, err := c.Invoke(context.Background(), &request.Call{Op: &request.Op{Method: method, Path: path}, PathParams: map[string]string{}})
		return err
	}
	cases := []struct {
		method, path string
		exit         api.ErrorKind
		want         []string
	}{
		{"GET", "/jump-group/forbidden", api.KindAuth, []string{"403", "Configuration API"}},
		{"GET", "/vault/account/1", api.KindAuth, []string{"403", "Vault"}},
		{"GET", "/jump-group/missing", api.KindNotFound, []string{"404"}},
		{"POST", "/jump-group/invalid", api.KindUsage, []string{"422", "\n  jump_group_id: The selected jump group id is invalid.", "\n  name: The name field is required."}},
		{"PUT", "/jump-group", api.KindOther, []string{"405", "allowed methods: GET,HEAD,POST"}},
	}
	for _, tc := range cases {
		err := call(tc.method, tc.path)
		if err == nil {
			t.Fatalf("%s %s: no error", tc.method, tc.path)
		}
		if got := api.KindOf(err); got != tc.exit {
			t.Errorf("%s %s: kind %d, want %d", tc.method, tc.path, got, tc.exit)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %s: error %q lacks %q", tc.method, tc.path, err, w)
			}
		}
	}
	if allow, err := c.Allowed(context.Background(), "/user"); err != nil || allow != "GET,HEAD,POST" {
		t.Fatalf("Allowed: %q, %v", allow, err)
	}
}

func TestDownload(t *testing.T) {
	s := &pagedSite{extra: func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept"), "application/json") {
			http.Error(w, "Accept must name application/json", http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", "application/x-executable")
		w.Header().Set("Content-Disposition", `attachment; filename="../../etc/jumpoint-installer.bin"`)
		fmt.Fprint(w, "#!/bin/sh\necho hi\n")
	}}
	c, out := newTestClient(t, s, 1)
	dir := t.TempDir()
	call := &request.Call{Op: &request.Op{Method: "GET", Path: "/jumpoint/{id}/installer", Kind: request.KindDownload}, PathParams: map[string]string{"id": "7"}}
	res, err := c.Download(context.Background(), call, request.DownloadOptions{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.File != filepath.Join(dir, "jumpoint-installer.bin") || res.Bytes != 18 {
		t.Fatalf("saved %+v", res)
	}
	if _, err := c.Download(context.Background(), call, request.DownloadOptions{Path: dir}); err == nil || api.KindOf(err) != api.KindUsage {
		t.Fatalf("second download without --force: %v", err)
	}
	if _, err := c.Download(context.Background(), call, request.DownloadOptions{Path: dir, Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Download(context.Background(), call, request.DownloadOptions{Path: "-"}); err != nil || out.String() != "#!/bin/sh\necho hi\n" {
		t.Fatalf("to stdout: %q, %v", out, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want the one file", len(entries))
	}
	var ue *api.UsageError
	_, err = c.Download(context.Background(), call, request.DownloadOptions{Path: res.File})
	if !errors.As(err, &ue) {
		t.Fatalf("existing named file: %v", err)
	}
}
