package engine

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
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

// TestArgsFromInput: a missing argument comes from the input; one given on both sides must agree, and the input's
// copy is dropped.
func TestArgsFromInput(t *testing.T) {
	in := func(args []string, kv string) (*opRun, []string, error) {
		r, stdin, _ := testRun(t, thingUpdate, nil, &fakeBackend{}, args)
		r.env.F.G.KVIn = true
		stdin.WriteString(kv)
		raw, order, err := r.gatherInput(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		order, err = r.argsFromInput(raw, order)
		return r, order, err
	}
	r, order, err := in(nil, "id=7\nname=x\n")
	if err != nil || !reflect.DeepEqual(r.args, []string{"7"}) || !reflect.DeepEqual(order, []string{"name"}) {
		t.Errorf("id from the input: args %v order %v err %v", r.args, order, err)
	}
	if r, order, err = in([]string{"7"}, "id=7\nname=x\n"); err != nil || !reflect.DeepEqual(order, []string{"name"}) {
		t.Errorf("same id on both sides: args %v order %v err %v", r.args, order, err)
	}
	if _, _, err = in([]string{"7"}, "id=8\nname=x\n"); err == nil || !strings.Contains(err.Error(), "id=8 in the input does not match the argument ID 7") {
		t.Errorf("different ids: %v", err)
	}
	if _, _, err = in(nil, "name=x\n"); err == nil || !strings.Contains(err.Error(), "expected ID") {
		t.Errorf("no id: %v", err)
	}
}

// TestInputToFlags: the hooks' flags named in InputFlags take their values from the input unless given as flags.
func TestInputToFlags(t *testing.T) {
	var sub string
	h := &Hooks{
		AdditionalFlags: func(fs *pflag.FlagSet) { fs.StringVar(&sub, "subscription", "", "") },
		InputFlags:      map[string]string{"subscriptionId": "subscription", "name": "subscription"},
	}
	for _, c := range []struct {
		flags     []string
		want      string
		wantOrder []string
	}{
		{nil, "S1", []string{"name"}},
		{[]string{"--subscription", "S2"}, "S2", []string{"name"}},
	} {
		sub = ""
		r, stdin, _ := testRun(t, thingCreate, h, &fakeBackend{}, nil, c.flags...)
		r.env.F.G.KVIn = true
		stdin.WriteString("subscriptionId=S1\nname=x\n")
		raw, order, err := r.gatherInput(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if order, err = r.inputToFlags(raw, order); err != nil || sub != c.want || !reflect.DeepEqual(order, c.wantOrder) {
			t.Errorf("flags %v: subscription %q order %v err %v, want %q (name stays the body field's)", c.flags, sub, order, err, c.want)
		}
	}
}
