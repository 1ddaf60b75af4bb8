package kv

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// p builds an expected pair; line 0 means "do not compare lines".
func p(key, value string, quoted bool, line int) Pair {
	return Pair{Key: key, Value: value, Quoted: quoted, Line: line}
}

func parseString(t *testing.T, s string) []Pair {
	t.Helper()
	pairs, err := Parse(strings.NewReader(s))
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return pairs
}

func samePairs(t *testing.T, got, want []Pair) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d pairs %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if w.Line == 0 {
			g.Line = 0
		}
		if g != w {
			t.Errorf("pair %d: got %+v, want %+v", i, got[i], w)
		}
	}
}

func readGuide(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "guide", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseGuideExamples(t *testing.T) {
	tests := []struct {
		file string
		want []Pair
	}{
		{"aws-shell-jump.kv", []Pair{
			p("name", "web-1", true, 2), p("hostname", "54.12.0.7", false, 3), p("jump_group_id", "1", false, 4),
			p("jump_group_type", "shared", false, 5), p("username", "ec2-user", false, 6), p("protocol", "ssh", false, 7),
			p("port", "22", false, 8), p("terminal", "xterm", false, 9), p("jumpoint_id", "1", false, 10),
			p("tag", "i-0a1b2c3d4e5f", false, 11),
		}},
		{"jumpoint.kv", []Pair{
			p("name", "vpc-0abc123", false, 2), p("platform", "linux-x86", false, 3), p("shell_jump_enabled", "True", false, 4),
		}},
		{"jump-group.kv", []Pair{p("name", "vpc-0abc123 Jump Group", true, 2)}},
		{"shell-jump-trailing-spaces.kv", []Pair{
			p("name", "vpc-0abc123 Jumpoint", true, 2), p("hostname", "54.12.0.8", false, 3), p("jump_group_id", "4", false, 4),
			p("jump_group_type", "shared", false, 5), p("username", "ubuntu", false, 6), p("protocol", "ssh", false, 7),
			p("port", "22", false, 8), p("terminal", "xterm", false, 9), p("jumpoint_id", "3", false, 10),
		}},
		{"group-policy-vault-account.kv", []Pair{p("account_id", "9", false, 2), p("role", "inject", false, 3)}},
		{"tag-filter.kv", []Pair{p("tag", "i-0a1b2c3d4e5f", false, 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			samePairs(t, parseString(t, readGuide(t, tt.file)), tt.want)
		})
	}
}

func TestParsePrivateKey(t *testing.T) {
	pairs := parseString(t, readGuide(t, "vault-ssh-key.kv"))
	if len(pairs) != 4 {
		t.Fatalf("got %d pairs, want 4: %+v", len(pairs), pairs)
	}
	key := pairs[3]
	if key.Key != "private_key" || !key.Quoted || key.Line != 5 {
		t.Fatalf("private key pair = %+v", key)
	}
	lines := strings.Split(key.Value, "\n")
	if len(lines) != 5 || lines[0] != "-----BEGIN OPENSSH PRIVATE KEY-----" || lines[4] != "-----END OPENSSH PRIVATE KEY-----" {
		t.Fatalf("private key value not kept line by line: %q", key.Value)
	}
	if !strings.HasSuffix(lines[3], "+/=") {
		t.Errorf("'=' and '/' inside the quoted value were altered: %q", lines[3])
	}
}

func TestParseGuideTypoIsUnterminated(t *testing.T) {
	// The guide's last shell-jump example lacks the closing quote of name.
	_, err := Parse(strings.NewReader(readGuide(t, "typo-unterminated.kv")))
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *ParseError", err)
	}
	if pe.Line != 2 || !strings.Contains(pe.Msg, "unterminated") || !strings.Contains(pe.Msg, `"name"`) {
		t.Errorf("got %q, want an unterminated quote error on line 2 naming the key", err)
	}
}

func TestParseSyntax(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Pair
	}{
		{"comments and blanks", "# heading\n\n  # indented comment\nname=a\n\n\nport=22\n", []Pair{p("name", "a", false, 4), p("port", "22", false, 7)}},
		{"hash inside value", "name=a#b\n", []Pair{p("name", "a#b", false, 1)}},
		{"hash starting value", "name=#b\n", []Pair{p("name", "#b", false, 1)}},
		{"equals and quotes inside unquoted", `expr=a=b "c" d` + "\n", []Pair{p("expr", `a=b "c" d`, false, 1)}},
		{"surrounding whitespace trimmed", " \tname =  spaced value \t \n", []Pair{p("name", "spaced value", false, 1)}},
		{"crlf line ends", "a=1\r\nb=\"two\"\r\n", []Pair{p("a", "1", false, 1), p("b", "two", true, 2)}},
		{"byte order mark", "\xef\xbb\xbfa=1\n", []Pair{p("a", "1", false, 1)}},
		{"no final newline", "a=1", []Pair{p("a", "1", false, 1)}},
		{"null and empty", "a=\nb=\"\"\nc=   \n", []Pair{p("a", "", false, 1), p("b", "", true, 2), p("c", "", false, 3)}},
		{"escapes", `a="say \"hi\" \\ \n \x"`, []Pair{p("a", `say "hi" \ \n \x`, true, 1)}},
		{"trailing backslash before quote", `a="C:\\"` + "\n", []Pair{p("a", `C:\`, true, 1)}},
		{"quoted keeps inner whitespace", "a=\"  x  \"  \n", []Pair{p("a", "  x  ", true, 1)}},
		{"quoted spans lines", "a=\"1\n\n  2 \"\nb=3\n", []Pair{p("a", "1\n\n  2 ", true, 1), p("b", "3", false, 4)}},
		{"key characters", "A-b.c_9=1\n", []Pair{p("A-b.c_9", "1", false, 1)}},
		{"flattened keys", "0__id=5\n0__tags__1=web\n", []Pair{p("0__id", "5", false, 1), p("0__tags__1", "web", false, 2)}},
		{"empty input", "", nil},
		{"only comments", "# nothing\n\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			samePairs(t, parseString(t, tt.in), tt.want)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"no equals", "a=1\njust text\n", 2, "expected key=value"},
		{"equals on a later line", "abc\n=1\n", 1, "expected key=value"},
		{"missing key", "=1\n", 1, "missing key"},
		{"space in key", "jump group=1\n", 1, `invalid character ' ' in key at column 5`},
		{"slash in key", "a=1\n\n  a/b=2\n", 3, `invalid character '/' in key at column 4`},
		{"non-ascii key", "clé=1\n", 1, `invalid character 'é'`},
		{"duplicate", "name=a\nport=1\nname=b\n", 3, `duplicate key "name" (first given on line 1)`},
		{"duplicate across blank line", "name=a\n\nname=b\n", 3, "duplicate key"},
		{"unterminated", "a=1\nkey=\"-----BEGIN\nabc\n", 2, `unterminated quoted value for key "key"`},
		{"escaped closing quote", `a="x\"` + "\n", 1, "unterminated"},
		{"text after quote", "a=\"x\" y\n", 1, `unexpected text after the closing quote of "a"`},
		{"text after multi-line quote", "a=\"x\ny\"z\n", 2, "unexpected text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if pe.Line != tt.line || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("got %q (line %d), want line %d containing %q", err, pe.Line, tt.line, tt.msg)
			}
		})
	}
}

func TestParseErrorsDoNotLeakValues(t *testing.T) {
	secret := "hunter2-SECRET"
	inputs := []string{
		"password=\"" + secret + "\" trailing\n",
		"private_key=-----BEGIN\n" + secret + "\n",
		"password=\"" + secret + "\n",
		secret + "+/x=1\n",
	}
	for _, in := range inputs {
		_, err := Parse(strings.NewReader(in))
		if err == nil {
			t.Fatalf("Parse(%q) succeeded, want an error", in)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error %q repeats the input", err)
		}
	}
}

func TestParseErrorFormat(t *testing.T) {
	err := error(&ParseError{Line: 7, Msg: "bad thing"})
	if err.Error() != "line 7: bad thing" {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestParseRecords(t *testing.T) {
	in := "\n\n# first\nid=1\nname=\"a\n\nb\"\n\n\n  \nid=2\n# only a comment follows\n\n# nothing here\n\n\nid=3\nname=c"
	recs, err := ParseRecords(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records %+v, want 3", len(recs), recs)
	}
	samePairs(t, recs[0], []Pair{p("id", "1", false, 4), p("name", "a\n\nb", true, 5)})
	samePairs(t, recs[1], []Pair{p("id", "2", false, 11)})
	samePairs(t, recs[2], []Pair{p("id", "3", false, 17), p("name", "c", false, 18)})

	// Keys repeat freely across records, not within one.
	if _, err := ParseRecords(strings.NewReader("id=1\nid=2\n")); err == nil {
		t.Error("duplicate key within a record was accepted")
	}
	recs, err = ParseRecords(strings.NewReader(""))
	if err != nil || len(recs) != 0 {
		t.Errorf("empty input: got %v, %v", recs, err)
	}
}

func encodeString(t *testing.T, pairs []Pair) string {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, pairs); err != nil {
		t.Fatalf("Encode(%+v): %v", pairs, err)
	}
	return b.String()
}

func TestEncodeQuoting(t *testing.T) {
	tests := []struct {
		pair Pair
		want string
	}{
		{Pair{Key: "a", Value: "plain"}, "a=plain\n"},
		{Pair{Key: "a", Value: "5"}, "a=5\n"},
		{Pair{Key: "a"}, "a=\n"},
		{Pair{Key: "a", Quoted: true}, "a=\"\"\n"},
		{Pair{Key: "a", Value: "My host"}, "a=\"My host\"\n"},
		{Pair{Key: "a", Value: " lead"}, "a=\" lead\"\n"},
		{Pair{Key: "a", Value: "trail\t"}, "a=\"trail\t\"\n"},
		{Pair{Key: "a", Value: "x\ny"}, "a=\"x\ny\"\n"},
		{Pair{Key: "a", Value: `say "hi"`}, `a="say \"hi\""` + "\n"},
		{Pair{Key: "a", Value: `C:\dir`}, `a="C:\\dir"` + "\n"},
		{Pair{Key: "a", Value: "#tag"}, "a=\"#tag\"\n"},
		{Pair{Key: "a", Value: "a#b=c"}, "a=a#b=c\n"},
		{Pair{Key: "a", Value: "x", Quoted: true}, "a=\"x\"\n"},
		{Pair{Key: "a", Value: "ünï"}, "a=ünï\n"},
	}
	for _, tt := range tests {
		got := encodeString(t, []Pair{tt.pair})
		if got != tt.want {
			t.Errorf("Encode(%+v) = %q, want %q", tt.pair, got, tt.want)
		}
		back := parseString(t, got)
		if len(back) != 1 || !back[0].Equal(tt.pair) {
			t.Errorf("%q parsed back as %+v, want the equivalent of %+v", got, back, tt.pair)
		}
	}
}

func TestEncodeRejectsWhatParseWouldNot(t *testing.T) {
	for _, pairs := range [][]Pair{
		{{Key: "a b", Value: "1"}},
		{{Key: "", Value: "1"}},
		{{Key: "a=b", Value: "1"}},
		{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}},
	} {
		var b bytes.Buffer
		err := Encode(&b, pairs)
		if err == nil {
			t.Errorf("Encode(%+v) succeeded with %q", pairs, b.String())
		} else if b.Len() != 0 {
			t.Errorf("Encode(%+v) wrote %q before failing", pairs, b.String())
		}
	}
}

func TestPairEqual(t *testing.T) {
	a := Pair{Key: "k", Value: "v", Line: 3}
	if !a.Equal(Pair{Key: "k", Value: "v", Quoted: true, Line: 9}) {
		t.Error("quoting of a non-empty value should not matter")
	}
	if (Pair{Key: "k"}).Equal(Pair{Key: "k", Quoted: true}) {
		t.Error("null and empty string must differ")
	}
	if a.Equal(Pair{Key: "k", Value: "w"}) || a.Equal(Pair{Key: "j", Value: "v"}) {
		t.Error("different keys or values compared equal")
	}
	if !EqualPairs([]Pair{a}, []Pair{{Key: "k", Value: "v"}}) || EqualPairs([]Pair{a}, nil) {
		t.Error("EqualPairs is wrong")
	}
}

func decode(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestFlatten(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
	}{
		{"list of objects", `[{"id":5,"name":"My host"},{"id":6,"tags":["x","y"]}]`,
			"0__id=5\n0__name=\"My host\"\n1__id=6\n1__tags__0=x\n1__tags__1=y\n"},
		{"single object sorted", `{"name":"n","id":5,"active":true}`, "active=true\nid=5\nname=n\n"},
		{"nested", `{"a":{"b":{"c":[1,{"d":null}]}}}`, "a__b__c__0=1\na__b__c__1__d=\n"},
		{"empty containers below top", `{"tags":[],"meta":{},"s":""}`, "meta=\ns=\"\"\ntags=\n"},
		{"scalar", `"hello world"`, "value=\"hello world\"\n"},
		{"number", `1.5e3`, "value=1.5e3\n"},
		{"null", `null`, "value=\n"},
		{"empty list", `[]`, ""},
		{"empty object", `{}`, ""},
		{"list of scalars", `["a", 2, false]`, "0=a\n1=2\n2=false\n"},
		{"index order is numeric", `[0,1,2,3,4,5,6,7,8,9,10]`,
			"0=0\n1=1\n2=2\n3=3\n4=4\n5=5\n6=6\n7=7\n8=8\n9=9\n10=10\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeString(t, Flatten(decode(t, tt.in)))
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestFlattenGoValues(t *testing.T) {
	type host struct {
		ID    int      `json:"id"`
		Ratio float64  `json:"ratio"`
		Tags  []string `json:"tags"`
	}
	got := encodeString(t, Flatten([]host{{ID: 1, Ratio: 0.5, Tags: []string{"a"}}}))
	want := "0__id=1\n0__ratio=0.5\n0__tags__0=a\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := encodeString(t, Flatten(map[string]any{"n": 3, "f": 2.5})); got != "f=2.5\nn=3\n" {
		t.Errorf("map with Go numbers: got %q", got)
	}
}

func TestFlattenItemMatchesFlatten(t *testing.T) {
	list := decode(t, `[{"id":1},{"id":2,"tags":["a"]},"x",null]`).([]any)
	var items []Pair
	for i, e := range list {
		items = append(items, FlattenItem(i, e)...)
	}
	if !reflect.DeepEqual(items, Flatten(list)) {
		t.Errorf("FlattenItem gives %+v, Flatten gives %+v", items, Flatten(list))
	}
}

func TestUnflatten(t *testing.T) {
	tests := []struct {
		name string
		in   []Pair
		want any
	}{
		{"spec example", []Pair{{Key: "0__a__1", Value: "v"}},
			[]any{map[string]any{"a": []any{nil, "v"}}}},
		{"object", []Pair{{Key: "name", Value: "x"}, {Key: "port", Value: "22"}, {Key: "note"}, {Key: "empty", Quoted: true}},
			map[string]any{"name": "x", "port": "22", "note": nil, "empty": ""}},
		{"nested list", []Pair{{Key: "tags__0", Value: "a"}, {Key: "tags__1", Value: "b"}, {Key: "m__k", Value: "1"}},
			map[string]any{"tags": []any{"a", "b"}, "m": map[string]any{"k": "1"}}},
		{"leading zero is a key, not an index", []Pair{{Key: "x__01", Value: "a"}},
			map[string]any{"x": map[string]any{"01": "a"}}},
		{"mixed keys make an object", []Pair{{Key: "x__0", Value: "a"}, {Key: "x__b", Value: "c"}},
			map[string]any{"x": map[string]any{"0": "a", "b": "c"}}},
		{"lone value pair is an object", []Pair{{Key: "value", Value: "5"}}, map[string]any{"value": "5"}},
		{"no pairs", nil, map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unflatten(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestUnflattenInvertsFlatten(t *testing.T) {
	// All scalars are strings or null so that the comparison is exact.
	in := decode(t, `[{"id":"5","name":"My host","tags":["a",null,"c"],"meta":{"os":{"name":"linux"}}},{"id":"6","note":null,"e":""}]`)
	var b bytes.Buffer
	if err := Encode(&b, Flatten(in)); err != nil {
		t.Fatal(err)
	}
	pairs, err := Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unflatten(pairs)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("got %#v, want %#v", got, in)
	}
}

func TestUnflattenErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []Pair
		msg  string
	}{
		{"value then parent", []Pair{{Key: "a", Value: "1", Line: 1}, {Key: "a__b", Value: "2", Line: 2}},
			`line 2: key "a__b" conflicts with "a" (line 1)`},
		{"parent then value", []Pair{{Key: "a__b", Value: "2", Line: 1}, {Key: "a", Value: "1", Line: 4}},
			`line 4: key "a" conflicts with "a"`},
		{"twice", []Pair{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}}, `key "a" given twice`},
		{"huge index", []Pair{{Key: "x__999999", Value: "1"}}, `list index 999999 under "x"`},
		{"huge top index", []Pair{{Key: "99999__id", Value: "1"}}, "under the top level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Unflatten(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want an error containing %q", err, tt.msg)
			}
		})
	}
}
