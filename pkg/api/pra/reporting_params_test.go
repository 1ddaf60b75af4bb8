package pra

import (
	"net/url"
	"strings"
	"testing"
)

func TestCheckReportParams(t *testing.T) {
	cases := []struct {
		report, query, wantErr string // wantErr "" = valid
	}{
		{"AccessSession", "start_date=2016-07-01&duration=0", ""},
		{"AccessSession", "start_time=1467360000&duration=36000", ""},
		{"AccessSession", "end_date=2016-07-01&duration=31", ""},
		{"AccessSession", "end_time=1467360000&duration=36000", ""},
		{"AccessSession", "lsid=c69a8e10bea9428f816cfababe9815fe", ""},
		{"AccessSession", "lsids=a,b,c", ""},
		{"AccessSession", "", "needs a time range"},
		{"AccessSession", "start_date=2016-07-01", "duration: required"},
		{"AccessSession", "start_date=2016-07-01&start_time=1&duration=0", "only one of"},
		{"AccessSession", "lsid=a&start_date=2016-07-01&duration=0", "cannot be combined"},
		{"AccessSession", "lsid=a&lsids=b", "not both"},
		{"AccessSession", "start_date=2016-13-01&duration=0", "not a date"},
		{"AccessSession", "start_time=yesterday&duration=0", "not a UNIX timestamp"},
		{"AccessSession", "start_time=1&duration=-1", "duration"},
		{"AccessSessionListing", "start_date=2016-07-01&duration=0", ""},
		{"AccessSessionListing", "lsid=a", "does not select by session id"},
		{"AccessSessionSummary", "start_date=2016-07-01&duration=0&report_type=user", ""},
		{"AccessSessionSummary", "start_date=2016-07-01&duration=0", "report_type (--report-type): required"},
		{"AccessSessionSummary", "start_date=2016-07-01&duration=0&report_type=team", "not one of user"},
		{"AccessSessionRecording", "lsid=a", ""},
		{"AccessSessionRecording", "", "lsid (--lsid): required"},
		{"AccessSessionRecording", "lsid=a&start_date=2016-07-01", "takes no time range"},
		{"CommandShellRecording", "lsid=a&instance=0", ""},
		{"CommandShellRecording", "lsid=a&instance=2&format=txt", ""},
		{"CommandShellRecording", "lsid=a", "instance (--instance): required"},
		{"CommandShellRecording", "lsid=a&instance=-1", "outside"},
		{"CommandShellRecording", "lsid=a&instance=0&format=pdf", "not one of txt"},
		{"EndpointLicenseUsage", "", ""},
		{"EndpointLicenseUsage", "lsid=a", "not a parameter"},
		{"Syslog", "", ""},
		{"Team", "start_date=2016-07-01&duration=0&team_id=1", ""},
		{"Team", "start_date=2016-07-01&duration=0&team_id=x", "not an integer"},
		{"VaultAccountActivity", "start_date=2016-07-01&duration=0&limit=all", ""},
		{"VaultAccountActivity", "start_date=2016-07-01&duration=0&limit=rep:3", ""},
		{"VaultAccountActivity", "start_date=2016-07-01&duration=0&limit=account:9", ""},
		{"VaultAccountActivity", "start_date=2016-07-01&duration=0&limit=user:9", "use all, rep:ID or account:ID"},
		{"UserRecording", "lsid=a", ""},
	}
	for _, c := range cases {
		spec, ok := FindReport(c.report)
		if !ok {
			t.Fatalf("no report %s", c.report)
		}
		q, _ := url.ParseQuery(c.query)
		err := CheckReportParams(spec, q)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s?%s: unexpected error %v", c.report, c.query, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s?%s: got %v, want an error containing %q", c.report, c.query, err, c.wantErr)
		}
	}
	if s, _ := FindReport("syslog"); s.WireName() != "syslog" {
		t.Errorf("Syslog is sent as %q, the guide's example uses syslog", s.WireName())
	}
}

func TestJumpShortcutRequired(t *testing.T) {
	// Required parameters per type, as the guide lists them.
	want := map[string]string{
		"local":           "group,local_jump_hostname,name",
		"remote":          "group,jumpoint,name,remote_jump_hostname",
		"vnc":             "group,jumpoint,name,remote_vnc_hostname",
		"rdp":             "group,jumpoint,name,remote_rdp_hostname",
		"shell":           "group,jumpoint,name,protocol,shelljump_hostname",
		"protocol-tunnel": "group,jumpoint,name,protocol_tunnel_hostname,tcp_tunnels",
		"web":             "group,jumpoint,url,web_site_name",
	}
	for typ, req := range want {
		st, ok := FindShortcutType(typ)
		if !ok {
			t.Fatalf("no type %s", typ)
		}
		_, problems := JumpShortcutParams(st, map[string]string{})
		var got []string
		for _, p := range problems {
			got = append(got, strings.Fields(p)[0])
		}
		if s := strings.Join(sorted(got), ","); s != req {
			t.Errorf("%s: required %s, want %s", typ, s, req)
		}
	}
	st, _ := FindShortcutType("shell")
	q, problems := JumpShortcutParams(st, map[string]string{"name": "n", "hostname": "h", "jumpoint": "j", "protocol": "SSH", "group": "g", "terminal": "VT100", "keep-alive": "300"})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if q.Get("shelljump_hostname") != "h" || q.Get("protocol") != "ssh" || q.Get("terminal") != "vt100" || q.Get("keep_alive") != "300" {
		t.Fatalf("sent %v", q)
	}
	_, problems = JumpShortcutParams(st, map[string]string{"name": strings.Repeat("n", 129), "hostname": "h", "jumpoint": "j", "protocol": "ssh", "group": "g", "keep-alive": "301", "url": "x"})
	if len(problems) != 3 {
		t.Fatalf("want 3 problems (name length, keep-alive range, url not a shell parameter), got %q", problems)
	}
}

func TestScriptParams(t *testing.T) {
	a, _ := FindScriptAction("start-jump-item-session")
	if _, err := ScriptParams(a, map[string]string{}, nil); err == nil {
		t.Fatal("start_jump_item_session without criteria accepted")
	}
	q, err := ScriptParams(a, map[string]string{"client.hostname": "ABCDEF02"}, map[string]string{"custom_field1": "v"})
	if err != nil {
		t.Fatal(err)
	}
	if q.Encode() != "action=start_jump_item_session&client.hostname=ABCDEF02&operation=generate&session.custom.custom_field1=v&type=rep" {
		t.Fatalf("got %s", q.Encode())
	}
	login, _ := FindScriptAction("login")
	if _, err := ScriptParams(login, map[string]string{"username": "u"}, nil); err == nil || !strings.Contains(err.Error(), "go together") {
		t.Fatalf("login with a username only: %v", err)
	}
	if _, err := ScriptParams(login, nil, nil); err != nil {
		t.Fatalf("plain login: %v", err)
	}
}

func TestSessionAttributeParams(t *testing.T) {
	key := strings.Repeat("k", 1025)
	_, err := SessionAttributeParams("", &key, map[string]string{"bad code": "x"})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"LSID: required", "at most 1024", `"bad code"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	big := map[string]string{}
	for i := 0; i < 11; i++ {
		big["f"+string(rune('a'+i))] = strings.Repeat("x", 1000)
	}
	if _, err := SessionAttributeParams("l", nil, big); err == nil || !strings.Contains(err.Error(), "10KB") {
		t.Fatalf("11,000 bytes of custom fields: %v", err)
	}
	empty := ""
	q, err := SessionAttributeParams("l", &empty, nil)
	if err != nil || !q.Has("session.custom.external_key") {
		t.Fatalf("clearing the external key: %v %v", q, err)
	}
}
