package config

import (
	"reflect"
	"strings"
	"testing"
)

// The config file reads as it did through viper: keys case-insensitive at every level, nulls and mappings without a
// value left out, the YAML error behind "While parsing config".
func TestFileSettings(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]any
	}{
		{"", map[string]any{}},
		{"Output: JSON\n", map[string]any{"output": "JSON"}},
		{"output:\ntimeout: ~\n", map[string]any{}},
		{"profiles: {}\n", map[string]any{}},
		{"profiles:\n  a: {}\n  b:\n    pra:\n      host:\n", map[string]any{}},
		{"profiles:\n  Site:\n    PRA:\n      Host: h\n      client_id: 5\n",
			map[string]any{"profiles": map[string]any{"site": map[string]any{"pra": map[string]any{"host": "h", "client_id": 5}}}}},
		{"debug: true\ntimeout: 1.5\n", map[string]any{"debug": true, "timeout": 1.5}},
		{"a: [{B: 1}]\n", map[string]any{"a": []any{map[string]any{"b": 1}}}},
	} {
		got, err := fileSettings([]byte(tc.in))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %#v\nwant %#v", tc.in, got, tc.want)
		}
	}
	for _, in := range []string{"a: 'x\n", "- a\n", "a: b: c\n"} {
		_, err := fileSettings([]byte(in))
		if err == nil || !strings.HasPrefix(err.Error(), "While parsing config: yaml: ") {
			t.Errorf("%q: error %v, want While parsing config: yaml: …", in, err)
		}
	}
}
