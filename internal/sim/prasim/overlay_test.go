package prasim

import "testing"

func TestParentFieldName(t *testing.T) {
	for parent, want := range map[string]string{
		"":                    "",
		"team":                "team_id",
		"jump-group":          "jump_group_id",
		"vault-account":       "account_id",
		"vault-account-group": "account_group_id",
	} {
		if got := parentFieldName(parent); got != want {
			t.Errorf("parentFieldName(%q) = %q, want %q", parent, got, want)
		}
	}
}

func TestSetRefOnDelete(t *testing.T) {
	cases := []struct {
		parent, key, field string
		nullable           bool
		want               RefAction
	}{
		{"vault-account-group", "account_id", "account_id", false, Cascade},
		{"team", "id", "user_id", false, SetNull},
		{"", "id", "jumpoint_id", true, SetNull},
		{"", "id", "jumpoint_id", false, Restrict},
	}
	for _, c := range cases {
		d := &Resource{Name: "x", Parent: c.parent, Key: c.key, Fields: []Field{{Name: c.field, Type: Integer, Nullable: c.nullable}}}
		setRef(d, &d.Fields[0], "target")
		if f := d.Fields[0]; f.Ref != "target" || f.OnDelete != c.want {
			t.Errorf("%+v: ref %q on delete %v, want target %v", c, f.Ref, f.OnDelete, c.want)
		}
	}
}
