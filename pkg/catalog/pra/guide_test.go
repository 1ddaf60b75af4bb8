package pra_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestGuideScripts replays the btapi calls of the guide's three API use cases (AWS registration, on-demand cleanup,
// scripting a new setup) with `btapi` replaced by `infra pra`, and checks what reaches the site.
func TestGuideScripts(t *testing.T) {
	s := newSite(t)
	type step struct {
		stdin        string
		args         []string
		method, path string
		body         []string // fragments of the JSON body
		query        string
	}
	priv := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"
	steps := []step{
		// AWS registration: create the instance's Shell Jump.
		{"\nname=\"web-1\"\nhostname=203.0.113.7\njump_group_id=1\njump_group_type=shared\nusername=ec2-user\nprotocol=ssh\nport=22\nterminal=xterm\njumpoint_id=1\ntag=i-0abc\n",
			[]string{"-k", "add", "jump-item/shell-jump"}, "POST", "/jump-item/shell-jump",
			[]string{`"name":"web-1"`, `"jump_group_id":1`, `"port":22`, `"jumpoint_id":1`, `"tag":"i-0abc"`, `"terminal":"xterm"`}, ""},
		// On-demand cleanup: find by tag, delete by id.
		{"tag=i-0abc", []string{"-kK", "list", "jump-item/shell-jump"}, "GET", "/jump-item/shell-jump", nil, "tag=i-0abc"},
		{"", []string{"delete", "jump-item/shell-jump", "12"}, "DELETE", "/jump-item/shell-jump/12", nil, ""},
		// Scripting a new setup.
		{"\nname=vpc-0123\nplatform=linux-x86\nshell_jump_enabled=True\n", []string{"-k", "add", "jumpoint"}, "POST", "/jumpoint",
			[]string{`"platform":"linux-x86"`, `"shell_jump_enabled":true`}, ""},
		{"", []string{"download", "jumpoint/5/installer"}, "GET", "/jumpoint/5/installer", nil, ""},
		{"\nname=\"vpc-0123 Jump Group\"\n", []string{"-k", "add", "jump-group"}, "POST", "/jump-group", []string{`"name":"vpc-0123 Jump Group"`}, ""},
		{"\ntype=ssh\nname=\"vpc-0123 SSH\"\nusername=ubuntu\nprivate_key=\"" + priv + "\"\n", []string{"-k", "add", "vault/account"}, "POST", "/vault/account",
			[]string{`"type":"ssh"`, `"username":"ubuntu"`, `"private_key":` + jsonString(priv)}, ""},
		{"jump_group_id=9", []string{"-k", "add", "group-policy/3/jump-group"}, "POST", "/group-policy/3/jump-group", []string{`"jump_group_id":9`}, ""},
		{"jumpoint_id=5", []string{"-k", "add", "group-policy/3/jumpoint"}, "POST", "/group-policy/3/jumpoint", []string{`"jumpoint_id":5`}, ""},
		{"\naccount_id=4\nrole=inject\n", []string{"-k", "add", "group-policy/3/vault-account"}, "POST", "/group-policy/3/vault-account",
			[]string{`"account_id":4`, `"role":"inject"`}, ""},
	}
	t.Chdir(s.dir)
	for _, st := range steps {
		code, stdout, stderr := s.run(t, st.stdin, st.args...)
		if code != 0 {
			t.Fatalf("infra pra %s: exit %d\n%s", strings.Join(st.args, " "), code, stderr)
		}
		reqs := s.rec.take()
		if len(reqs) != 1 || reqs[0].Method != st.method || reqs[0].Path != st.path {
			t.Fatalf("infra pra %s sent %+v, want %s %s", strings.Join(st.args, " "), reqs, st.method, st.path)
		}
		for _, b := range st.body {
			if !strings.Contains(string(reqs[0].Body), b) {
				t.Errorf("infra pra %s: body %s lacks %s", strings.Join(st.args, " "), reqs[0].Body, b)
			}
		}
		if !strings.Contains(reqs[0].Query, st.query) {
			t.Errorf("infra pra %s: query %q lacks %q", strings.Join(st.args, " "), reqs[0].Query, st.query)
		}
		if st.args[0] == "download" {
			// installer=$(btapi download "jumpoint/$jpid/installer" | jq -r '.file')
			var res struct{ File string }
			if err := json.Unmarshal([]byte(stdout), &res); err != nil || !strings.HasSuffix(res.File, "/file.bin") {
				t.Fatalf("download printed %q, want JSON with the saved file", stdout)
			}
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
