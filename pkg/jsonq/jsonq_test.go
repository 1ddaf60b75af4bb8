package jsonq

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// reference is encoding/json's quoting of s without HTML escaping.
func reference(t testing.TB, s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

var samples = []string{
	"", "a", "plain ASCII text longer than eight bytes", `"`, `\`, "tab\there", "new\nline", "\x00\x01\x1f\x7f",
	"<html> & 'quotes'", "café", "日本語のテキスト", "\u2028 and \u2029", "bad \xff\xfe utf-8", "\xe2\x80", "12345678\"",
	"1234567\\", "abcdefgh\x1fijklmnop", "https://access.example.com/session_download?lsid=17cd08fe&view=1",
	"abcdefghé", "abcdefg\x80", strings.Repeat("x", 63) + "\n", "~~~~~~~~", "!!!!!!!!\"",
}

// TestAppendStringMatchesEncodingJSON compares the quoting with encoding/json's on strings with every kind of byte
// at every offset of the eight-byte blocks.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	var all []string
	for _, s := range samples {
		all = append(all, s)
		for pad := 1; pad < 9; pad++ {
			all = append(all, strings.Repeat("p", pad)+s, s+strings.Repeat("q", pad))
		}
	}
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 17; pos++ {
			b := []byte(strings.Repeat("a", 17))
			b[pos] = byte(c)
			all = append(all, string(b))
		}
	}
	for _, s := range all {
		if got, want := string(AppendString(nil, s)), reference(t, s); got != want {
			t.Fatalf("AppendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	}
	if got := string(AppendString([]byte("x:"), "y")); got != `x:"y"` {
		t.Fatalf("appending to a prefix: %s", got)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range samples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(AppendString(nil, s)), reference(t, s); got != want {
			t.Fatalf("AppendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}

func BenchmarkAppendString(b *testing.B) {
	s := "https://access.example.com/session_download?lsid=17cd08fe0d1faaf25d22df65d263e115&view=1"
	b.SetBytes(int64(len(s)))
	var buf []byte
	for b.Loop() {
		buf = AppendString(buf[:0], s)
	}
}
