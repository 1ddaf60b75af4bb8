package engine

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/kv"
)

var testFields = []request.Field{
	{Name: "id", Type: request.Integer, ReadOnly: true},
	{Name: "name", Type: request.String, Required: true, MaxLen: 5},
	{Name: "port", Type: request.Integer, Min: i64(1), Max: i64(65535)},
	{Name: "enabled", Type: request.Boolean},
	{Name: "protocol", Type: request.String, Enum: []string{"ssh", "telnet"}},
	{Name: "when", Type: request.DateTime},
	{Name: "tags", Type: request.Array, Items: request.String},
	{Name: "comments", Type: request.String, Nullable: true},
}

func i64(v int64) *int64 { return &v }

func raw(pairs string) (map[string]*rawValue, []string) {
	p, err := kv.Parse(strings.NewReader(pairs))
	if err != nil {
		panic(err)
	}
	return kvToRaw(p)
}

func TestBuildBodyTypesValues(t *testing.T) {
	r, order := raw("name=web\nport=22\nenabled=True\nprotocol=SSH\nwhen=2025-10-16T14:46:23+00:00\ntags__0=a\ntags__1=b\ncomments=\n")
	body, err := BuildBody(testFields, r, order, true, Rules{UTCDateTimes: true})
	if err != nil {
		t.Fatal(err)
	}
	if body["port"] != int64(22) || body["enabled"] != true || body["protocol"] != "ssh" {
		t.Fatalf("typed values wrong: %#v", body)
	}
	if tags, ok := body["tags"].([]any); !ok || len(tags) != 2 || tags[1] != "b" {
		t.Fatalf("tags: %#v", body["tags"])
	}
	if v, ok := body["comments"]; !ok || v != nil {
		t.Fatalf("empty unquoted value on a nullable field must be null, got %#v (present %v)", v, ok)
	}
}

func TestBuildBodyReportsEveryProblem(t *testing.T) {
	r, order := raw("id=3\nport=abc\nenabled=maybe\nprotocol=rdp\nwhen=2025-10-16T14:46:23-08:00\ncolour=red\nnmae=x\n")
	_, err := BuildBody(testFields, r, order, true, Rules{UTCDateTimes: true})
	if err == nil {
		t.Fatal("expected an error")
	}
	msg := err.Error()
	for _, want := range []string{
		"id: is read-only", "port: must be an integer", "enabled: must be true or false", `protocol: "rdp" is not one of ssh, telnet`,
		"when: must be in UTC", "colour: unknown field", "nmae: unknown field (from stdin line 7); did you mean name?", "name: required",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestBuildBodyLimits(t *testing.T) {
	r, order := raw("name=toolong\nport=70000\n")
	_, err := BuildBody(testFields, r, order, false, Rules{})
	if err == nil || !strings.Contains(err.Error(), "at most 5 characters") || !strings.Contains(err.Error(), "at most 65535") {
		t.Fatalf("got %v", err)
	}
	// Without the UTC rule any RFC 3339 offset is fine; a missing zone never is.
	r, order = raw("when=2025-10-16T14:46:23-08:00\n")
	if _, err := BuildBody(testFields, r, order, false, Rules{}); err != nil {
		t.Fatal(err)
	}
	r, order = raw("when=2025-10-16T14:46:23\n")
	if _, err := BuildBody(testFields, r, order, false, Rules{}); err == nil {
		t.Fatal("a date-time without a zone must be refused")
	}
}

func TestCallPathEscapes(t *testing.T) {
	c := &request.Call{Op: &request.Op{Path: "/a/{id}/b/{x}"}, PathParams: map[string]string{"id": "1", "x": "a/b c"}}
	if got := c.Path(); got != "/a/1/b/a%2Fb%20c" {
		t.Fatalf("got %s", got)
	}
}

func TestNestedKeyValueInput(t *testing.T) {
	pairs, err := ReadKV(strings.NewReader("name=tunnel\npayload__cmd=\"ls -l\"\npayload__timeout=30\n" +
		"filter_rules__0__cidr=10.0.0.0/8\nfilter_rules__0__port=\"22\"\nfilter_rules__1__cidr=192.168.0.0/16\n" +
		"filter_rules__1__enabled=true\ntags__0=a\ntags__1=b\n"))
	if err != nil {
		t.Fatal(err)
	}
	raw, order := kvToRaw(pairs)
	fields := []request.Field{
		{Name: "name", Type: request.String},
		{Name: "payload", Type: request.Object},
		{Name: "filter_rules", Type: request.Array, Items: request.Object},
		{Name: "tags", Type: request.Array},
	}
	body, err := BuildBody(fields, raw, order, true, Rules{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(body)
	want := `{"filter_rules":[{"cidr":"10.0.0.0/8","port":"22"},{"cidr":"192.168.0.0/16","enabled":true}],` +
		`"name":"tunnel","payload":{"cmd":"ls -l","timeout":30},"tags":["a","b"]}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// A key that is both a value and a parent is reported against its field.
	pairs, _ = ReadKV(strings.NewReader("payload=x\npayload__cmd=y\n"))
	raw, order = kvToRaw(pairs)
	if _, err := BuildBody(fields, raw, order, true, Rules{}); err == nil || !strings.Contains(err.Error(), "payload") {
		t.Fatalf("conflicting keys: %v", err)
	}
}

func TestEmptyUnquotedValue(t *testing.T) {
	fields := []request.Field{
		{Name: "groups", Type: request.Array, Items: request.Integer},
		{Name: "comments", Type: request.String, Nullable: true},
		{Name: "name", Type: request.String},
	}
	pairs, _ := ReadKV(strings.NewReader("groups=\ncomments=\nname=\n"))
	raw, order := kvToRaw(pairs)
	body, err := BuildBody(fields, raw, order, false, Rules{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(body)
	if want := `{"comments":null,"groups":[]}`; string(got) != want {
		t.Fatalf("got %s, want %s (a list clears, a nullable field is null, others stay unset)", got, want)
	}
}
