package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/infractl/infra/pkg/kv"
)

func render(t *testing.T, v any, o Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, v, o); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return b.String()
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"table": Table, "JSON": JSON, " yaml ": YAML, "csv": CSV, "kv": KV} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "xml", "jsonl"} {
		_, err := ParseFormat(in)
		if err == nil {
			t.Errorf("ParseFormat(%q) succeeded", in)
			continue
		}
		if !strings.Contains(err.Error(), "table, json, yaml, csv, kv") {
			t.Errorf("error %q does not list the valid formats", err)
		}
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	err := Render(&bytes.Buffer{}, map[string]any{"a": "b"}, Options{Format: "xml"})
	if err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("got %v, want an unknown format error", err)
	}
}

func TestNormalize(t *testing.T) {
	type inner struct {
		On bool `json:"on"`
	}
	type host struct {
		ID    int             `json:"id"`
		Name  string          `json:"name"`
		Ratio float64         `json:"ratio"`
		Tags  []string        `json:"tags"`
		In    *inner          `json:"in"`
		Raw   json.RawMessage `json:"raw"`
		Skip  string          `json:"-"`
	}
	got, err := Normalize([]host{{ID: 3, Name: "a", Ratio: 0.25, Tags: []string{"x"}, Raw: json.RawMessage(`{"z":1}`), Skip: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{map[string]any{
		"id": json.Number("3"), "name": "a", "ratio": json.Number("0.25"), "tags": []any{"x"},
		"in": nil, "raw": map[string]any{"z": json.Number("1")},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}

	for _, v := range []any{42, int64(-7), 1.5, uint8(3)} {
		n, err := Normalize(v)
		if _, ok := n.(json.Number); !ok || err != nil {
			t.Errorf("Normalize(%v) = %#v, %v; want a json.Number", v, n, err)
		}
	}

	// Values already in JSON form are returned untouched, not copied.
	plain := map[string]any{"a": []any{json.Number("1"), "x", nil, true}}
	n, err := Normalize(plain)
	if err != nil {
		t.Fatal(err)
	}
	n.(map[string]any)["b"] = "added"
	if plain["b"] != "added" {
		t.Error("plain value was copied")
	}

	if _, err := Normalize(map[string]any{"c": make(chan int)}); err == nil {
		t.Error("a channel was accepted")
	}
	if _, err := Normalize(math.NaN()); err == nil {
		t.Error("NaN was accepted")
	}
}

func TestRenderAcceptsGoValues(t *testing.T) {
	type row struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	got := render(t, []row{{1, "a"}, {2, "b"}}, Options{Format: Table})
	want := "ID   NAME\n1    a\n2    b\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := render(t, 2.5, Options{Format: JSON}); got != "2.5\n" {
		t.Errorf("float: got %q", got)
	}
}

func TestJSONMatchesEncodingJSON(t *testing.T) {
	for _, c := range goldenCases {
		v := decodeJSON(t, c.data)
		for _, tty := range []bool{false, true} {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if tty {
				enc.SetIndent("", "  ")
			}
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			if got := render(t, v, Options{Format: JSON, TTY: tty}); got != want.String() {
				t.Errorf("%s (tty=%v): got\n%s\nwant\n%s", c.name, tty, got, want.String())
			}
		}
	}
}

func TestJSONStringEscaping(t *testing.T) {
	s := "a\"b\\c\n\r\t\b\f\x00\x1f<>&\u2028\u2029é\xff日"
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	if got := render(t, s, Options{Format: JSON}); got != want.String() {
		t.Errorf("got %q, want %q", got, want.String())
	}
}

func TestJSONMalformedNumberStaysValid(t *testing.T) {
	got := render(t, map[string]any{"n": json.Number("12 monkeys"), "ok": json.Number("-0.5e+3")}, Options{Format: JSON})
	if got != `{"n":"12 monkeys","ok":-0.5e+3}`+"\n" {
		t.Errorf("got %q", got)
	}
	if !json.Valid([]byte(got)) {
		t.Error("output is not valid JSON")
	}
}

func TestColorOnlyOnTTY(t *testing.T) {
	v := decodeJSON(t, `[{"id":1,"name":"a"}]`)
	for _, f := range []Format{JSON, Table, YAML, CSV, KV} {
		if got := render(t, v, Options{Format: f, Color: true}); strings.Contains(got, "\x1b") {
			t.Errorf("%s: colour without a terminal: %q", f, got)
		}
		if got := render(t, v, Options{Format: f, TTY: true}); strings.Contains(got, "\x1b") {
			t.Errorf("%s: colour though Color is off: %q", f, got)
		}
	}
}

func TestYAMLReadsBackWithTypes(t *testing.T) {
	src := `{"int":42,"big":12345678901234567890123,"neg":-0.5,"exp":1e5,"s_num":"123","s_bool":"true","s_null":"null","s_empty":"","hash":"#x","colon":"a: b","nil":null,"t":true,"bad":"\u00ff"}`
	out := render(t, decodeJSON(t, src), Options{Format: YAML})
	var got map[string]any
	if err := yaml.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := map[string]any{
		"int": 42, "big": 1.2345678901234568e22, "neg": -0.5, "exp": 100000.0,
		"s_num": "123", "s_bool": "true", "s_null": "null", "s_empty": "", "hash": "#x", "colon": "a: b",
		"nil": nil, "t": true, "bad": "ÿ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v\nfrom\n%s", got, want, out)
	}
	if !strings.Contains(out, "big: 12345678901234567890123\n") {
		t.Errorf("big integer lost its digits or gained a tag:\n%s", out)
	}
}

func TestYAMLInvalidUTF8(t *testing.T) {
	out := render(t, map[string]any{"k\xff": "v\xfe"}, Options{Format: YAML})
	if out != "k\ufffd: v\ufffd\n" {
		t.Errorf("got %q", out)
	}
}

func TestTablePlainIsFullLengthAndUnpadded(t *testing.T) {
	long := strings.Repeat("x", 300)
	v := []any{
		map[string]any{"id": json.Number("1"), "name": long, "note": nil},
		map[string]any{"id": json.Number("10"), "name": "b", "note": "  lead"},
	}
	got := render(t, v, Options{Format: Table})
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines:\n%s", len(lines), got)
	}
	if !strings.Contains(lines[1], long) {
		t.Error("a long cell was shortened in piped output")
	}
	for _, l := range lines {
		if strings.HasSuffix(l, " ") {
			t.Errorf("trailing blanks in %q", l)
		}
	}
	// Every column starts at the same offset on every line.
	col := strings.Index(lines[0], "NAME")
	if col < 0 || lines[1][col:col+3] != "xxx" || lines[2][col:col+1] != "b" {
		t.Errorf("columns are not aligned:\n%s", got)
	}
}

func TestTableTTYShortensListCells(t *testing.T) {
	long := strings.Repeat("y", 200)
	got := render(t, []any{map[string]any{"id": json.Number("1"), "name": long}}, Options{Format: Table, TTY: true})
	if strings.Contains(got, long) || !strings.Contains(got, "…") {
		t.Errorf("long cell not shortened on a terminal:\n%s", got)
	}
	// A single object wraps its values rather than dropping text.
	got = render(t, map[string]any{"description": strings.Repeat("word ", 40)}, Options{Format: Table, TTY: true})
	if strings.Contains(got, "…") || strings.Count(got, "word") != 40 {
		t.Errorf("object value lost text on a terminal:\n%s", got)
	}
}

func TestTableColumnsAndHeaders(t *testing.T) {
	v := decodeJSON(t, `[{"id":1,"name":"a","port":22},{"id":2,"name":"b","extra":"e"}]`)
	got := render(t, v, Options{Format: Table, Columns: []string{"name", "extra", "missing"}})
	want := "NAME   EXTRA   MISSING\na\nb      e\n"
	if got != want {
		t.Errorf("columns: got %q, want %q", got, want)
	}
	got = render(t, v, Options{Format: Table, Columns: []string{"id"}, NoHeaders: true})
	if got != "1\n2\n" {
		t.Errorf("no headers: got %q", got)
	}
	got = render(t, v, Options{Format: Table, TTY: true, NoHeaders: true})
	if strings.Contains(got, "NAME") || !strings.Contains(got, "│ 1 ") {
		t.Errorf("terminal table without headers:\n%s", got)
	}
}

func TestTableSingleObject(t *testing.T) {
	v := decodeJSON(t, `{"zeta":1,"id":7,"name":"n","alpha":{"x":[1,2]}}`)
	got := render(t, v, Options{Format: Table, Columns: []string{"name", "nope"}})
	want := "FIELD   VALUE\nname    n\nid      7\nalpha   {\"x\":[1,2]}\nzeta    1\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := render(t, map[string]any{}, Options{Format: Table}); got != "" {
		t.Errorf("empty object: got %q", got)
	}
}

func TestTableListOfScalars(t *testing.T) {
	got := render(t, []any{"a", json.Number("2"), nil, map[string]any{"value": "d", "k": "v"}}, Options{Format: Table})
	want := "K   VALUE\n    a\n    2\n\nv   d\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTableEscapesControlCharacters(t *testing.T) {
	v := []any{map[string]any{"name": "a\x1b]0;pwned\x07\tb\r\nc\u0085d\u202eexe.txt\u2066"}}
	for _, tty := range []bool{false, true} {
		got := render(t, v, Options{Format: Table, TTY: tty})
		if strings.ContainsAny(got, "\x1b\x07\t\r\u0085\u202e\u2066") {
			t.Errorf("tty=%v: control characters reached the table: %q", tty, got)
		}
		if !strings.Contains(got, `a\x1b]0;pwned\x07\tb\r\nc\x85d\u202eexe.txt\u2066`) {
			t.Errorf("tty=%v: escapes missing: %q", tty, got)
		}
	}
}

func TestCSV(t *testing.T) {
	v := decodeJSON(t, `[{"id":1,"name":"a,b","note":"line\nbreak","tags":["x"]},{"id":2,"name":null}]`)
	got := render(t, v, Options{Format: CSV})
	want := "id,name,note,tags\n1,\"a,b\",\"line\nbreak\",\"[\"\"x\"\"]\"\n2,,,\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	got = render(t, v, Options{Format: CSV, Columns: []string{"name", "id"}, NoHeaders: true})
	if got != "\"a,b\",1\n,2\n" {
		t.Errorf("columns without headers: got %q", got)
	}
	if got := render(t, []any{}, Options{Format: CSV, Columns: []string{"id", "name"}}); got != "id,name\n" {
		t.Errorf("empty list with columns: got %q", got)
	}
	if got := render(t, []any{}, Options{Format: CSV}); got != "" {
		t.Errorf("empty list without columns: got %q", got)
	}
	if got := render(t, []any{}, Options{Columns: []string{"id", "name"}}); !strings.HasPrefix(got, "ID") || !strings.Contains(got, "NAME") || strings.Count(got, "\n") != 1 {
		t.Errorf("empty table with columns: got %q, want the header", got)
	}
	if got := render(t, []any{}, Options{Columns: []string{"id"}, NoHeaders: true}); got != "" {
		t.Errorf("empty table without headers: got %q", got)
	}
	if got := render(t, decodeJSON(t, `{"b":2,"id":1}`), Options{Format: CSV}); got != "id,b\n1,2\n" {
		t.Errorf("single object: got %q", got)
	}
	if got := render(t, map[string]any{}, Options{Format: CSV}); got != "" {
		t.Errorf("empty object: got %q", got)
	}
}

func TestKVOutputParsesBack(t *testing.T) {
	v := decodeJSON(t, `[{"id":5,"name":"My host","key":"-----BEGIN-----\nabc\n-----END-----","tags":["x"]}]`)
	out := render(t, v, Options{Format: KV})
	if !strings.Contains(out, "0__id=5\n") || !strings.Contains(out, "0__name=\"My host\"\n") {
		t.Errorf("unexpected kv output:\n%s", out)
	}
	pairs, err := kv.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if !kv.EqualPairs(pairs, kv.Flatten(v)) {
		t.Errorf("parsed %+v, want %+v", pairs, kv.Flatten(v))
	}
	err = Render(&bytes.Buffer{}, map[string]any{"bad key": 1}, Options{Format: KV})
	if err == nil {
		t.Error("a key that kv cannot hold was accepted")
	}
}

func TestJQ(t *testing.T) {
	v := decodeJSON(t, `[{"id":1,"name":"a","n":12345678901234567890},{"id":2,"name":"b","tags":["x","y"]}]`)
	tests := []struct{ expr, want string }{
		{".[].name", "a\nb\n"},
		{".[0].id + 1", "2\n"},
		{"length", "2\n"},
		{".[1].tags", `["x","y"]` + "\n"},
		{".[1]", `{"id":2,"name":"b","tags":["x","y"]}` + "\n"},
		{".[0].n", "12345678901234567890\n"},
		{`.[] | select(.id > 1) | "\(.id): \(.name)"`, "2: b\n"},
		{"empty", ""},
		{"1, halt, 2", "1\n"},
		{`"<&>"`, "<&>\n"},
	}
	for _, tt := range tests {
		got := render(t, v, Options{Format: Table, JQ: tt.expr})
		if got != tt.want {
			t.Errorf("--jq %q: got %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestJQErrors(t *testing.T) {
	v := decodeJSON(t, `{"a":1}`)
	var b bytes.Buffer
	err := Render(&b, v, Options{JQ: ".a | keys"})
	if err == nil || !strings.Contains(err.Error(), `".a | keys"`) {
		t.Errorf("runtime error %v does not name the expression", err)
	}
	err = Render(&b, v, Options{JQ: `error("boom")`})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("error() gave %v", err)
	}
	for _, bad := range []string{".[", "nosuchfunc", "$undefined", "."} {
		err := ValidateJQ(bad)
		if (err == nil) != (bad == ".") {
			t.Errorf("ValidateJQ(%q) = %v", bad, err)
		}
	}
}

func TestJQWinsOverTemplate(t *testing.T) {
	got := render(t, map[string]any{"a": "x"}, Options{Format: JSON, JQ: ".a", Template: "T{{.a}}"})
	if got != "x\n" {
		t.Errorf("got %q", got)
	}
}

func TestTemplate(t *testing.T) {
	v := decodeJSON(t, `[{"id":1,"name":"web","tags":["a","b"],"meta":{"k":"<v>"}},{"id":12,"name":"Db","tags":[],"meta":null}]`)
	tests := []struct{ tpl, want string }{
		{`{{range .}}{{.id}} {{.name}}{{"\n"}}{{end}}`, "1 web\n12 Db\n"},
		{`{{range .}}{{if gt .id 5}}{{upper .name}}{{else}}{{lower .name}}{{end}};{{end}}`, "web;DB;"},
		{`{{range .}}[{{join "," .tags}}]{{end}}`, "[a,b][]"},
		{`{{(index . 0).meta | json}}`, `{"k":"<v>"}`},
		{`{{json .}}`, `[{"id":1,"meta":{"k":"<v>"},"name":"web","tags":["a","b"]},{"id":12,"meta":null,"name":"Db","tags":[]}]`},
		{`{{len .}}`, "2"},
		{`{{(index . 0).tags | join "-"}}`, "a-b"},
	}
	for _, tt := range tests {
		if got := render(t, v, Options{Template: tt.tpl}); got != tt.want {
			t.Errorf("--template %q: got %q, want %q", tt.tpl, got, tt.want)
		}
	}
	if got := render(t, map[string]any{"f": json.Number("1.5"), "big": json.Number("1e400")}, Options{Template: "{{.f}} {{.big}}"}); got != "1.5 1e400" {
		t.Errorf("numbers: got %q", got)
	}
}

func TestTemplateErrors(t *testing.T) {
	if err := ValidateTemplate("{{.a"); err == nil {
		t.Error("unclosed action accepted")
	}
	if err := ValidateTemplate("{{nosuch .a}}"); err == nil {
		t.Error("unknown function accepted")
	}
	if err := ValidateTemplate(`{{json .}} {{join "," .x}} {{upper .a}} {{lower .b}}`); err != nil {
		t.Errorf("helpers not available: %v", err)
	}
	err := Render(&bytes.Buffer{}, map[string]any{"a": "x"}, Options{Template: `{{join "," .a}}`})
	if err == nil || !strings.Contains(err.Error(), "expected a list") {
		t.Errorf("join of a string: got %v", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteErrorsAreReturned(t *testing.T) {
	boom := errors.New("disk full")
	v := decodeJSON(t, `[{"id":1}]`)
	for _, o := range []Options{{Format: JSON}, {Format: YAML}, {Format: CSV}, {Format: KV}, {Format: Table}, {Format: Table, TTY: true}, {JQ: "."}, {Template: "{{.}}"}} {
		if err := Render(failWriter{boom}, v, o); !errors.Is(err, boom) {
			t.Errorf("%+v: got %v, want the write error", o, err)
		}
	}
}

func TestEveryFormatIsDescribed(t *testing.T) {
	for _, f := range Formats {
		if Describe(f) == "" {
			t.Errorf("format %q has no description for `infra help formats`", f)
		}
	}
}
