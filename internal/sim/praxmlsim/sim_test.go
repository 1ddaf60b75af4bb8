package praxmlsim

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func call(t *testing.T, h http.Handler, method, path string, q url.Values) *http.Response {
	t.Helper()
	var req *http.Request
	if method == http.MethodPost {
		req = httptest.NewRequest(method, path, strings.NewReader(q.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path+"?"+q.Encode(), nil)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// root returns the root element's name, after checking the document is well-formed.
func root(t *testing.T, doc string) xml.Name {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	var name xml.Name
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return name
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, doc)
		}
		if s, ok := tok.(xml.StartElement); ok && name.Local == "" {
			name = s.Name
		}
	}
}

func TestErrorElementsForBadInput(t *testing.T) {
	h := New(Options{Seed: true})
	cases := []struct {
		path  string
		query string
		msg   string
	}{
		{"/api/command", "", "Missing required parameter: action"},
		{"/api/command", "action=nope", "Invalid action: nope"},
		{"/api/command", "action=get_session_attributes", "Missing required parameter: lsid"},
		{"/api/command", "action=get_connected_clients&type=robot", "Invalid client type: robot"},
		{"/api/command", "action=set_failover_role&role=tertiary", "Invalid role: tertiary"},
		{"/api/command", "action=import_jump_shortcut&name=x&local_jump_hostname=h&group=g&port=22", "Invalid parameter for this Jump Item type: port"},
		{"/api/reporting", "", "Missing required parameter: generate_report"},
		{"/api/reporting", "generate_report=AccessSession", "Missing required parameter: one of start_date"},
		{"/api/reporting", "generate_report=AccessSession&start_date=2024-07-01", "Missing required parameter: duration"},
		{"/api/reporting", "generate_report=AccessSession&start_date=x&duration=0", "Invalid start_date: x"},
		{"/api/reporting", "generate_report=Team&start_date=2024-07-01&duration=0&team_id=z", "Invalid team_id: z"},
		{"/api/client_script", "type=rep&operation=execute&action=login", "Invalid operation"},
		{"/api/client_script", "type=web_console&operation=execute&action=login", "supports only start_jump_item_session"},
	}
	for _, c := range cases {
		q, _ := url.ParseQuery(c.query)
		r := call(t, h, http.MethodGet, c.path, q)
		doc := body(t, r)
		if r.StatusCode != 200 {
			t.Errorf("%s?%s: status %d", c.path, c.query, r.StatusCode)
		}
		n := root(t, doc)
		if n.Local != "error" || !strings.Contains(doc, c.msg) {
			t.Errorf("%s?%s: got %s", c.path, c.query, doc)
		}
		want := NSCommand
		if c.path == "/api/reporting" {
			want = NSReporting
		}
		if n.Space != want {
			t.Errorf("%s: namespace %q", c.path, n.Space)
		}
	}
}

func TestNamespaceStyles(t *testing.T) {
	h := New(Options{Seed: true})
	for style, want := range map[string]string{NSDefault: NSCommand, NSPrefixed: NSCommand, NSNone: "", NSForeign: "https://example.com/namespaces/other"} {
		if err := h.SetNamespaceStyle(style); err != nil {
			t.Fatal(err)
		}
		doc := body(t, call(t, h, http.MethodGet, "/api/command", url.Values{"action": {"get_logged_in_reps"}}))
		if n := root(t, doc); n.Local != "logged_in_reps" || n.Space != want {
			t.Errorf("%s: root %v", style, n)
		}
		if style == NSPrefixed && !strings.Contains(doc, "<bt:rep ") {
			t.Errorf("prefixed: children not prefixed: %s", doc)
		}
	}
}

func TestGeneratedReportIsWellFormed(t *testing.T) {
	h := New(Options{Seed: true})
	q := url.Values{"generate_report": {"AccessSession"}, "start_date": {"2024-07-01"}, "duration": {"31"}, "sim_sessions": {"50"}}
	doc := body(t, call(t, h, http.MethodGet, "/api/reporting", q))
	if n := root(t, doc); n.Local != "session_list" || n.Space != NSReporting {
		t.Fatalf("root %v", n)
	}
	if got := strings.Count(doc, "<session "); got != 56 {
		t.Fatalf("%d sessions, want 6 seeded + 50 generated", got)
	}
}

func TestStateChanges(t *testing.T) {
	h := New(Options{Seed: true})
	post := func(q url.Values) string { return body(t, call(t, h, http.MethodPost, "/api/command", q)) }
	if d := post(url.Values{"action": {"set_session_attributes"}, "lsid": {SeedLSID2}, "session.custom.external_key": {"T-1"}}); !strings.Contains(d, "Session attributes were set") {
		t.Fatal(d)
	}
	if a, _ := h.ActiveSession(SeedLSID2); a["external_key"] != "T-1" {
		t.Fatalf("attrs %v", a)
	}
	if d := post(url.Values{"action": {"terminate_session"}, "lsid": {SeedLSID2}}); !strings.Contains(d, "Successfully terminated") {
		t.Fatal(d)
	}
	if _, ok := h.ActiveSession(SeedLSID2); ok {
		t.Fatal("session still active")
	}
	if d := post(url.Values{"action": {"set_failover_role"}, "role": {"backup"}}); !strings.Contains(d, "Successfully changed role") || h.FailoverRole() != "backup" {
		t.Fatal(d)
	}
	r := call(t, h, http.MethodGet, "/api/backup", nil)
	if r.ContentLength != DefaultBackupSize || len(body(t, r)) != DefaultBackupSize {
		t.Fatal("backup size")
	}
	if h.RequestsTo("command") != 3 || h.RequestsTo("backup") != 1 || h.Requests() != 4 {
		t.Fatalf("counters %d %d %d", h.RequestsTo("command"), h.RequestsTo("backup"), h.Requests())
	}
}
