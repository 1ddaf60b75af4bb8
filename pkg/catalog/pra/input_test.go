package pra_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInputRules: bad input is refused with exit code 2 before anything is sent.
func TestInputRules(t *testing.T) {
	s := newSite(t)
	cases := []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"required fields enforced", "", []string{"jump-item", "create", "shell-jump"},
			[]string{"hostname: required (--hostname)", "jump_group_id: required (--jump-group-id)", "name: required (--name)"}},
		{"read-only rejected", "id=5\nname=x\n", []string{"-k", "jump-group", "create"}, []string{"id: is read-only"}},
		{"integer typed", "", []string{"jump-item", "create", "shell-jump", "--name", "a", "--hostname", "h", "--jump-group-id", "seven"},
			[]string{"jump_group_id: must be an integer"}},
		{"enum checked", "", []string{"jump-item", "list", "shell-jump", "--jump-group-type", "public"}, []string{"is not one of shared, personal"}},
		{"date-time needs a zone", "", []string{"endpoint-automation", "job", "create", "--name", "n", "--operating-system", "Linux",
			"--endpoint-ids", "1", "--payload", "{}", "--start-at", "2026-10-16T14:46:23"}, []string{"start_at: must be an RFC 3339 date-time"}},
		{"date-time must be UTC", "", []string{"endpoint-automation", "job", "create", "--name", "n", "--operating-system", "Linux",
			"--endpoint-ids", "1", "--payload", "{}", "--start-at", "2026-10-16T14:46:23+04:00"}, []string{"start_at: must be in UTC"}},
		{"credentials never from flags", "", []string{"vault", "account", "create", "--type", "username_password", "--name", "n", "--password", "hunter2"},
			[]string{"--password is not accepted on the command line"}},
		{"non-numeric id", "", []string{"jump-group", "get", "abc"}, []string{"must be a positive integer"}},
		{"unknown btapi path", "", []string{"get", "no-such/7"}, []string{"not a known PRA Configuration API operation"}},
		{"count takes the list's filters", "colour=red\n", []string{"-k", "count", "jump-item/shell-jump"}, []string{"unknown filter(s) colour"}},
		{"download verb only for files", "", []string{"download", "jump-group/7"}, []string{"does not answer with a file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := s.run(t, c.stdin, c.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s", code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr, "hunter2") {
				t.Errorf("the secret was echoed: %s", stderr)
			}
			if reqs := s.rec.take(); len(reqs) != 0 {
				t.Fatalf("requests were sent: %+v", reqs)
			}
		})
	}
}

// TestValidInput: integers go out as JSON numbers, UTC date-times pass, credentials come from stdin.
func TestValidInput(t *testing.T) {
	s := newSite(t)
	code, _, stderr := s.run(t, "name=web\nhostname=10.0.0.1\njump_group_id=1\njump_group_type=shared\nport=22\nprotocol=ssh\njumpoint_id=1\ntag=i-123\n",
		"-k", "add", "jump-item/shell-jump")
	if code != 0 {
		t.Fatal(stderr)
	}
	r := s.rec.take()[0]
	for _, w := range []string{`"port":22`, `"jump_group_id":1`, `"jumpoint_id":1`, `"tag":"i-123"`} {
		if !strings.Contains(string(r.Body), w) {
			t.Errorf("body %s lacks %s", r.Body, w)
		}
	}
	code, _, stderr = s.run(t, "", "endpoint-automation", "job", "create", "--name", "n", "--operating-system", "Linux",
		"--endpoint-ids", "1,2", "--payload", `{"cmd":"uptime"}`, "--start-at", "2026-10-16T14:46:25.930+00:00")
	if code != 0 {
		t.Fatal(stderr)
	}
	r = s.rec.take()[0]
	for _, w := range []string{`"endpoint_ids":[1,2]`, `"start_at":"2026-10-16T14:46:25.930+00:00"`, `"payload":{"cmd":"uptime"}`} {
		if !strings.Contains(string(r.Body), w) {
			t.Errorf("body %s lacks %s", r.Body, w)
		}
	}
	code, _, stderr = s.run(t, "type=username_password\nname=n\nusername=u\npassword=\"s3cret\"\n", "-k", "vault", "account", "create")
	if code != 0 {
		t.Fatal(stderr)
	}
	if r = s.rec.take()[0]; !strings.Contains(string(r.Body), `"password":"s3cret"`) {
		t.Errorf("password from stdin not sent: %s", r.Body)
	}
	// list filters from stdin (btapi: echo "tag=$inst" | btapi -kK list jump-item/shell-jump)
	code, _, stderr = s.run(t, "tag=i-123\n", "-kK", "list", "jump-item/shell-jump")
	if code != 0 {
		t.Fatal(stderr)
	}
	if r = s.rec.take()[0]; !strings.Contains(r.Query, "tag=i-123") {
		t.Errorf("query %q lacks the tag filter", r.Query)
	}
}

// TestCount: one HEAD request with the filters, the total from X-BT-Pagination-Total.
func TestCount(t *testing.T) {
	s := newSite(t)
	code, stdout, stderr := s.run(t, "tag=web\n", "-k", "count", "jump-item/shell-jump")
	if code != 0 {
		t.Fatal(stderr)
	}
	if strings.TrimSpace(stdout) != `{"count":42}` {
		t.Fatalf("stdout %q", stdout)
	}
	reqs := s.rec.take()
	if len(reqs) != 1 || reqs[0].Method != "HEAD" || reqs[0].Path != "/jump-item/shell-jump" || !strings.Contains(reqs[0].Query, "tag=web") {
		t.Fatalf("requests %+v, want one HEAD /jump-item/shell-jump?tag=web", reqs)
	}
}

// TestDownloadSafety: the server's file name is reduced to a base name, existing files are kept without --force.
func TestDownloadSafety(t *testing.T) {
	s := newSite(t)
	dir := filepath.Join(s.dir, "dl")
	code, stdout, stderr := s.run(t, "", "download", "jumpoint/7/installer", "--file", dir)
	if code != 0 {
		t.Fatal(stderr)
	}
	want := filepath.Join(dir, "file.bin")
	if !strings.Contains(stdout, `"file":"`+want+`"`) || !strings.Contains(stdout, `"bytes":7`) {
		t.Fatalf("stdout %q, want the saved file %s", stdout, want)
	}
	if b, err := os.ReadFile(want); err != nil || string(b) != "payload" {
		t.Fatalf("saved %q, %v", b, err)
	}
	s.rec.take()
	code, _, stderr = s.run(t, "", "jumpoint", "installer", "7", "--file", want)
	if code != 2 || !strings.Contains(stderr, "--force") {
		t.Fatalf("overwrite without --force: exit %d\n%s", code, stderr)
	}
	if reqs := s.rec.take(); len(reqs) != 0 {
		t.Fatalf("sent %d requests for a download that cannot be saved", len(reqs))
	}
	code, _, stderr = s.run(t, "", "jumpoint", "installer", "7", "--file", want, "--force")
	if code != 0 {
		t.Fatal(stderr)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".part") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// TestIssueExamples: the command names promised for the common tasks reach the right operations.
func TestIssueExamples(t *testing.T) {
	s := newSite(t)
	dl := filepath.Join(s.dir, "dl")
	cases := []struct {
		args         []string
		method, path string
		query, body  string
	}{
		{[]string{"jump-item", "list", "shell-jump", "--tag", "web"}, "GET", "/jump-item/shell-jump", "tag=web", ""},
		{[]string{"jump-item", "add", "shell-jump", "--name", "web1", "--hostname", "10.0.0.5", "--jump-group-id", "1", "--jumpoint-id", "2", "--protocol", "ssh"},
			"POST", "/jump-item/shell-jump", "", `"jumpoint_id":2`},
		{[]string{"jump-item", "copy", "remote-rdp", "12", "--name", "c", "--jump-group-id", "1", "--jump-group-type", "shared"}, "POST", "/jump-item/remote-rdp/12/copy", "", `"jump_group_id":1`},
		{[]string{"jump-item", "rm", "--yes", "web-jump", "4", "5"}, "DELETE", "/jump-item/web-jump/4", "", ""},
		{[]string{"group-policy", "jump-group", "add", "3", "--jump-group-id", "7"}, "POST", "/group-policy/3/jump-group", "", `"jump_group_id":7`},
		{[]string{"vault", "account", "rotate", "42"}, "POST", "/vault/account/42/rotate", "", ""},
		{[]string{"vault", "account", "check-out", "42"}, "POST", "/vault/account/42/check-out", "", ""},
		{[]string{"jumpoint", "installer", "5", "--file", filepath.Join(dl, "jp")}, "GET", "/jumpoint/5/installer", "", ""},
		{[]string{"jump-client", "installer", "create", "--jump-group-id", "1", "--valid-duration", "60"}, "POST", "/jump-client/installer", "", `"valid_duration":60`},
		{[]string{"cli", "download", "linux", "--file", filepath.Join(dl, "btapi.zip")}, "GET", "/cli/linux", "", ""},
		{[]string{"openapi", "--file", filepath.Join(dl, "openapi.yaml")}, "GET", "/openapi.yaml", "", ""},
	}
	for _, c := range cases {
		code, _, stderr := s.run(t, "", c.args...)
		if code != 0 {
			t.Fatalf("infra pra %s: exit %d\n%s", strings.Join(c.args, " "), code, stderr)
		}
		reqs := s.rec.take()
		if len(reqs) == 0 || reqs[0].Method != c.method || reqs[0].Path != c.path {
			t.Fatalf("infra pra %s sent %+v, want %s %s", strings.Join(c.args, " "), reqs, c.method, c.path)
		}
		if !strings.Contains(reqs[0].Query, c.query) || !strings.Contains(string(reqs[0].Body), c.body) {
			t.Errorf("infra pra %s sent query %q body %s", strings.Join(c.args, " "), reqs[0].Query, reqs[0].Body)
		}
	}
}

// TestDeleteWithBody: the DELETE operations that remove one association criterion send their body, typed and checked.
func TestDeleteWithBody(t *testing.T) {
	s := newSite(t)
	code, _, stderr := s.run(t, "", "vault", "account", "jump-item-association", "jump-item", "delete", "42", "--type", "shell_jump")
	if code != 2 || !strings.Contains(stderr, "id: required") {
		t.Fatalf("missing id: exit %d\n%s", code, stderr)
	}
	if reqs := s.rec.take(); len(reqs) != 0 {
		t.Fatalf("sent %+v", reqs)
	}
	code, _, stderr = s.run(t, "", "vault", "account", "jump-item-association", "jump-item", "rm", "42", "--type", "shell_jump", "--id", "9")
	if code != 0 {
		t.Fatal(stderr)
	}
	r := s.rec.take()[0]
	if r.Method != "DELETE" || r.Path != "/vault/account/42/jump-item-association/jump-item" || !strings.Contains(string(r.Body), `"id":9`) {
		t.Fatalf("sent %s %s %s", r.Method, r.Path, r.Body)
	}
	code, _, stderr = s.run(t, "type=shell_jump\nid=9\n", "-k", "delete", "vault/account-group/3/jump-item-association/jump-item")
	if code != 0 {
		t.Fatal(stderr)
	}
	if r = s.rec.take()[0]; r.Method != "DELETE" || !strings.Contains(string(r.Body), `"type":"shell_jump"`) {
		t.Fatalf("btapi delete sent %s %s %s", r.Method, r.Path, r.Body)
	}
}
