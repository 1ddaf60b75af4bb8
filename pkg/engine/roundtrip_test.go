package engine

import (
	"encoding/json"
	"testing"
)

// TestSameValue: an input value equals the item's in the forms key=value and JSON output write it.
func TestSameValue(t *testing.T) {
	for _, c := range []struct {
		rv   *rawValue
		v    any
		want bool
	}{
		{&rawValue{text: "5"}, json.Number("5"), true},
		{&rawValue{text: "6"}, json.Number("5"), false},
		{&rawValue{text: "web", quoted: true}, "web", true},
		{&rawValue{text: ""}, nil, true},
		{&rawValue{text: ""}, []any{}, true},
		{&rawValue{text: ""}, "x", false},
		{&rawValue{text: "true"}, true, true},
		{&rawValue{isList: true, list: []string{"a", "1"}}, []any{"a", json.Number("1")}, true},
		{&rawValue{isList: true, list: []string{"a"}}, []any{"a", "b"}, false},
		{&rawValue{fromJS: true, json: map[string]any{"a": json.Number("1")}}, map[string]any{"a": 1.0}, true},
		{&rawValue{fromJS: true, json: nil}, nil, true},
		{&rawValue{fromJS: true, json: "2001-01-01T00:00:00Z"}, "2025-01-01T00:00:00Z", false},
	} {
		if got := sameValue(c.rv, c.v); got != c.want {
			t.Errorf("sameValue(%+v, %#v) = %v, want %v", *c.rv, c.v, got, c.want)
		}
	}
}

// TestCheckColumns: a column no item has and no default lists is refused, naming the valid ones.
func TestCheckColumns(t *testing.T) {
	items := []any{map[string]any{"id": 1, "name": "a"}, map[string]any{"id": 2, "tag": "x"}}
	if err := checkColumns([]string{"name", "tag", "notes"}, []string{"notes"}, items); err != nil {
		t.Errorf("known columns: %v", err)
	}
	err := checkColumns([]string{"name", "bogus"}, nil, items)
	if err == nil || err.Error() != "--columns: no field bogus; the items have: id, name, tag" {
		t.Errorf("bogus column: %v", err)
	}
	if err := checkColumns([]string{"bogus"}, nil, nil); err != nil {
		t.Errorf("no items: %v", err)
	}
}
