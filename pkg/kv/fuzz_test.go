package kv

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addGuideSeeds adds every example under testdata/guide to the corpus.
func addGuideSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "guide", "*.kv"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no guide examples found: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
}

func FuzzParse(f *testing.F) {
	addGuideSeeds(f)
	for _, s := range []string{
		"", "a=1", "a=\"x\\\"y\\\\z\\q\"\n", "a=\"unterminated\n", "a=\"x\" junk", "# c\n\nb= spaced \n",
		"k=\"\r\n\"\r\n", "\xef\xbb\xbfa=1", "a=\n\n\nb=\"\"\n", "bad key=1", "=", "a=b=c\"d", "a=\"\\", "a=\"\"\"",
		"x__0=1\nx__1=\"two words\"\n\n0__id=5\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		pairs, err := Parse(strings.NewReader(in))
		recs, rerr := ParseRecords(strings.NewReader(in))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line < 1 || pe.Line > strings.Count(in, "\n")+1 {
				t.Fatalf("error line %d outside the input", pe.Line)
			}
			return
		}
		// Parse accepted the input, so ParseRecords must split the same pairs.
		if rerr != nil {
			t.Fatalf("Parse succeeded but ParseRecords failed: %v", rerr)
		}
		var joined []Pair
		for _, r := range recs {
			if len(r) == 0 {
				t.Fatal("ParseRecords returned an empty record")
			}
			joined = append(joined, r...)
		}
		if len(joined) != len(pairs) {
			t.Fatalf("records hold %d pairs, Parse found %d", len(joined), len(pairs))
		}
		for i := range pairs {
			if joined[i] != pairs[i] {
				t.Fatalf("record pair %+v differs from %+v", joined[i], pairs[i])
			}
			if !ValidKey(pairs[i].Key) || pairs[i].Line < 1 {
				t.Fatalf("Parse produced %+v", pairs[i])
			}
		}
		var b bytes.Buffer
		if err := Encode(&b, pairs); err != nil {
			t.Fatalf("Encode of parsed pairs failed: %v", err)
		}
		back, err := Parse(&b)
		if err != nil {
			t.Fatalf("Parse(Encode(p)) failed: %v\n%q", err, b.String())
		}
		checkSame(t, back, pairs)
		if _, err := Unflatten(pairs); err != nil && strings.Contains(err.Error(), "given twice") {
			t.Fatalf("Unflatten saw a duplicate that Parse let through: %v", err)
		}
	})
}

// checkSame requires equal keys, values and null-ness, and identical Quoted
// flags except where Encode had to add quotes to a non-empty value.
func checkSame(t *testing.T, got, want []Pair) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d pairs, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.Equal(w) {
			t.Fatalf("pair %d: got %+v, want %+v", i, g, w)
		}
		if g.Quoted != w.Quoted && !(g.Quoted && NeedsQuotes(w.Value) && w.Value != "") {
			t.Fatalf("pair %d: quoting changed without need: got %+v, want %+v", i, g, w)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{
		`[{"id":5,"name":"My host","tags":["x","y"]},{"id":6,"note":null}]`,
		`{"type":"ssh","name":"vpc SSH","private_key":"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----\n"}`,
		`{"a":{"b":[1,2.5,-3e10,true,false,null,"",{}]}}`,
		`"  padded  "`, `"#hash"`, `"\"quoted\""`, `"back\\slash"`, `"ünïcødé 日本語"`, `"tab\there\r\n"`,
		`{"bad key":1}`, `{"a__b":1,"a":{"b":2}}`, `{"":1}`, `{"a":{"":1}}`, `[]`, `{}`, `null`, `12345678901234567890123`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d := json.NewDecoder(strings.NewReader(in))
		d.UseNumber()
		var v any
		if d.Decode(&v) != nil {
			return
		}
		pairs := Flatten(v)
		var b bytes.Buffer
		if err := Encode(&b, pairs); err != nil {
			if allWritable(pairs) {
				t.Fatalf("Encode refused writable pairs: %v", err)
			}
			return
		}
		if !allWritable(pairs) {
			t.Fatal("Encode accepted invalid or repeated keys")
		}
		back, err := Parse(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatalf("Parse(Encode(Flatten(x))) failed: %v\n%q", err, b.String())
		}
		if len(back) != len(pairs) {
			t.Fatalf("got %d pairs back, want %d", len(back), len(pairs))
		}
		for i := range pairs {
			g := back[i]
			g.Line = 0
			if g != pairs[i] {
				t.Fatalf("pair %d: got %+v, want %+v", i, back[i], pairs[i])
			}
		}
		_, _ = Unflatten(back)
	})
}

func allWritable(pairs []Pair) bool {
	seen := map[string]bool{}
	for _, p := range pairs {
		if !ValidKey(p.Key) || seen[p.Key] {
			return false
		}
		seen[p.Key] = true
	}
	return true
}
