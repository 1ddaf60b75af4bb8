package pra

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"sort"
	"strings"
	"testing"
)

func decodeString(t *testing.T, doc, ns string) (string, any, error) {
	t.Helper()
	return document(strings.NewReader(doc), "command", "test", ns)
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDecodeShapes(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"list with one element stays a list",
			`<logged_in_reps xmlns="` + NSCommand + `"><rep id="1"><type>Normal</type></rep></logged_in_reps>`,
			`{"rep":[{"id":"1","type":"Normal"}]}`},
		{"empty list container",
			`<logged_in_reps xmlns="` + NSCommand + `"/>`,
			`{"rep":[]}`},
		{"attributes and text",
			`<x xmlns="` + NSCommand + `"><jump_group type="shared" id="1">Servers</jump_group></x>`,
			`{"jump_group":{"id":"1","type":"shared","value":"Servers"}}`},
		{"prefixed namespace",
			`<bt:custom_attributes xmlns:bt="` + NSCommand + `"><bt:custom_attribute code_name="k" display_name="K">v</bt:custom_attribute></bt:custom_attributes>`,
			`{"custom_attribute":[{"code_name":"k","display_name":"K","value":"v"}]}`},
		{"no namespace",
			`<check_health><success>1</success></check_health>`,
			`{"success":"1"}`},
		{"unknown repeated child becomes a list",
			`<x><y>1</y><y>2</y><y>3</y></x>`,
			`{"y":["1","2","3"]}`},
		{"text beside a child called value",
			`<data kind="k">t<value name="a" value="1"/></data>`,
			`{"#text":"t","kind":"k","value":[{"name":"a","value":"1"}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, v, err := decodeString(t, c.doc, NSCommand)
			if err != nil {
				t.Fatal(err)
			}
			if got := asJSON(t, v); got != c.want {
				t.Fatalf("got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestDocumentErrors(t *testing.T) {
	var xe *XMLError
	_, _, err := decodeString(t, `<?xml version="1.0"?><error xmlns="`+NSCommand+`">Invalid action: x</error>`, NSCommand)
	if !errors.As(err, &xe) || xe.Message != "Invalid action: x" {
		t.Fatalf("root <error>: got %v", err)
	}
	_, _, err = decodeString(t, `<logged_in_reps xmlns="`+NSCommand+`"><error>boom</error></logged_in_reps>`, NSCommand)
	if !errors.As(err, &xe) || xe.Message != "boom" {
		t.Fatalf("child <error>: got %v", err)
	}
	var ne *NamespaceError
	_, _, err = decodeString(t, `<logged_in_reps xmlns="`+NSReporting+`"/>`, NSCommand)
	if !errors.As(err, &ne) || ne.Got != NSReporting {
		t.Fatalf("foreign namespace: got %v", err)
	}
	for _, bad := range []string{"", "not xml", "<a><b></a>", "<a>"} {
		if _, _, err := decodeString(t, bad, NSCommand); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestReportReaderErrorMidway(t *testing.T) {
	spec, _ := FindReport("AccessSessionListing")
	doc := `<session_summary_list xmlns="` + NSReporting + `"><session_summary lsid="a" has_recording="0"/><error>search failed</error></session_summary_list>`
	rr, err := NewReportReader(spec, io.NopCloser(strings.NewReader(doc)))
	if err != nil {
		t.Fatal(err)
	}
	first, err := rr.Next()
	if err != nil || first["lsid"] != "a" {
		t.Fatalf("first: %v %v", first, err)
	}
	var xe *XMLError
	if _, err := rr.Next(); !errors.As(err, &xe) || xe.Message != "search failed" {
		t.Fatalf("second: %v", err)
	}
	if _, err := rr.Next(); err != io.EOF {
		t.Fatalf("after the error: %v", err)
	}
	// A cut stream is an error, not a short report.
	rr, _ = NewReportReader(spec, io.NopCloser(strings.NewReader(`<session_summary_list><session_summary lsid="a"/>`)))
	if _, err := rr.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := rr.Next(); err == nil || err == io.EOF {
		t.Fatalf("truncated report: %v", err)
	}
	// The wrong root is refused.
	if _, err := NewReportReader(spec, io.NopCloser(strings.NewReader(`<session_list/>`))); err == nil {
		t.Fatal("wrong root accepted")
	}
}

func TestFlattenRow(t *testing.T) {
	got := FlattenRow(map[string]any{
		"lsid":        "x",
		"start_time":  map[string]any{"timestamp": "1", "value": "t"},
		"primary_rep": map[string]any{"id": "7", "gsnumber": "1", "value": "John"},
		"list":        []any{"a"},
	})
	want := `{"list":["a"],"lsid":"x","primary_rep":"John","primary_rep.gsnumber":"1","primary_rep.id":"7","start_time":"t","start_time.timestamp":"1"}`
	if s := asJSON(t, got); s != want {
		t.Fatalf("got %s", s)
	}
}

func readList(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

func sorted(l []string) []string {
	c := append([]string(nil), l...)
	sort.Strings(c)
	return c
}

// The implemented actions and reports are exactly the vendor's lists.
func TestCatalogsMatchVendorLists(t *testing.T) {
	for _, c := range []struct {
		file string
		got  []string
	}{
		{"pra-command-actions.txt", CommandActions},
		{"pra-reports.txt", ReportNames()},
		{"pra-client-script-actions.txt", ScriptActionNames()},
	} {
		want := readList(t, c.file)
		if g := sorted(c.got); strings.Join(g, ",") != strings.Join(want, ",") {
			t.Errorf("%s:\n got %v\nwant %v", c.file, g, want)
		}
	}
}
