package engine

import (
	"strings"
	"testing"

	"github.com/infractl/infra/pkg/output/kv"
)

var testFields = []Field{
	{Name: "id", Type: Integer, ReadOnly: true},
	{Name: "name", Type: String, Required: true, MaxLen: 5},
	{Name: "port", Type: Integer, Min: i64(1), Max: i64(65535)},
	{Name: "enabled", Type: Boolean},
	{Name: "protocol", Type: String, Enum: []string{"ssh", "telnet"}},
	{Name: "when", Type: DateTime},
	{Name: "tags", Type: Array, Items: String},
	{Name: "comments", Type: String, Nullable: true},
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
	c := &Call{Op: &Op{Path: "/a/{id}/b/{x}"}, PathParams: map[string]string{"id": "1", "x": "a/b c"}}
	if got := c.Path(); got != "/a/1/b/a%2Fb%20c" {
		t.Fatalf("got %s", got)
	}
}
