package prasim

import (
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// The OpenAPI document describes shapes, not relations. What the appliance
// does beyond the shapes (which field names another resource, which names
// must be unique, where a code name comes from) is stated here, once, by
// field name, and applies to every resource that has such a field.

// refTargets maps a field name to the collection whose key it holds. A value
// that names no existing item is a 422 ("The selected … is invalid.").
var refTargets = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"jump_group_id":                "jump-group",
		"shared_jump_group_id":         "jump-group",
		"jumpoint_id":                  "jumpoint",
		"jump_item_role_id":            "jump-item-role",
		"jump_policy_id":               "jump-policy",
		"session_policy_id":            "session-policy",
		"user_id":                      "user",
		"team_id":                      "team",
		"account_id":                   "vault-account",
		"account_group_id":             "vault-account-group",
		"rdp_service_account_id":       "vault-account",
		"security_provider_id":         "security-provider",
		"group_policy_id":              "group-policy",
		"endpoint_id":                  "vault-endpoint",
		"vendor_id":                    "vendor",
		"default_jump_item_role_id":    "jump-item-role",
		"private_jump_item_role_id":    "jump-item-role",
		"inferior_jump_item_role_id":   "jump-item-role",
		"unassigned_jump_item_role_id": "jump-item-role",
	}
})

// uniqueFields are names that may not repeat within one collection
// (case-insensitively), by resource.
var uniqueFields = sync.OnceValue(func() map[string][]string {
	return map[string][]string{
		"jump-group":          {"name"},
		"user":                {"username"},
		"team":                {"name"},
		"group-policy":        {"name"},
		"jumpoint":            {"name"},
		"jump-item-role":      {"name"},
		"vault-account-group": {"name"},
		"vendor":              {"name"},
	}
})

// applyOverlay adjusts the parsed document where the guide is more precise
// than the schema: a Jump Group member's role and policy default to null
// ("the user's Default Jump Item Role" and "Set on Jump Items").
//
// The document's oneOf lists are not mutually exclusive: a filter rule's
// {"cidr": …} also matches the list form, which requires nothing, so every
// valid body would fail oneOf, and any object at all would pass anyOf. The
// branches (plain object schemas listing their properties) are therefore
// closed to properties they do not declare, and the lists checked as anyOf.
func applyOverlay(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var visit func(s *openapi3.Schema)
	visit = func(s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if len(s.OneOf) > 0 {
			closed := false
			for _, b := range s.OneOf {
				if v := b.Value; v != nil && len(v.Properties) > 0 && len(v.AllOf) == 0 && v.AdditionalProperties.Has == nil && v.AdditionalProperties.Schema == nil {
					v.AdditionalProperties.Has = &closed
				}
			}
			s.AnyOf = append(s.OneOf, s.AnyOf...)
			s.OneOf = nil
		}
		for _, refs := range []openapi3.SchemaRefs{s.AnyOf, s.AllOf} {
			for _, r := range refs {
				visit(r.Value)
			}
		}
		for _, p := range s.Properties {
			visit(p.Value)
		}
		if s.Items != nil {
			visit(s.Items.Value)
		}
	}
	for _, s := range doc.Components.Schemas {
		visit(s.Value)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					if mt.Schema != nil {
						visit(mt.Schema.Value)
					}
				}
			}
			for _, resp := range op.Responses.Map() {
				if resp.Value != nil {
					for _, mt := range resp.Value.Content {
						if mt.Schema != nil {
							visit(mt.Schema.Value)
						}
					}
				}
			}
		}
	}

	if s := doc.Components.Schemas["JumpGroupUser"]; s != nil && s.Value != nil {
		for _, n := range []string{"jump_item_role_id", "jump_policy_id"} {
			if p := s.Value.Properties[n]; p != nil && p.Value != nil {
				p.Value.Nullable = true
			}
		}
	}
}

// applyResourceOverlay adds relations and behaviour to a derived resource.
func applyResourceOverlay(d *Resource, all []Resource) {
	parentField := parentFieldName(d.Parent)
	for i := range d.Fields {
		f := &d.Fields[i]
		if f.Name == parentField && f.Name != d.key() {
			f.FromParent = true
			continue
		}
		if target, ok := refTargets()[f.Name]; ok && f.Type == Integer && !f.ReadOnly && topLevel(all, target) && target != d.Name {
			setRef(d, f, target)
		}
		if f.ReadOnly && f.Type == DateTime && strings.HasPrefix(f.Name, "created") {
			f.AutoNow = true
		}
	}
	for _, u := range uniqueFields()[d.Name] {
		if i := fieldIndex(d.Fields, u); i >= 0 {
			d.Fields[i].Unique = true
		}
	}
	if i := fieldIndex(d.Fields, "code_name"); i >= 0 && !d.Fields[i].ReadOnly {
		for _, src := range []string{"name", "display_name"} {
			if fieldIndex(d.Fields, src) >= 0 {
				d.Fields[i].DeriveFrom = src
				d.Fields[i].Unique = true
				break
			}
		}
	}
	applyResourceQuirks(d)
}

// topLevel reports whether name is a resource of all without a parent.
func topLevel(all []Resource, name string) bool {
	for i := range all {
		if all[i].Name == name && all[i].Parent == "" {
			return true
		}
	}
	return false
}

// parentFieldName is the field of a nested resource that holds its parent's id ("" without a parent):
// "vault-account-group" → "account_group_id"; "team" → "team_id".
func parentFieldName(parent string) string {
	if parent == "" {
		return ""
	}
	switch parent {
	case "vault-account-group":
		return "account_group_id"
	case "vault-account":
		return "account_id"
	default:
		return strings.Join(strings.Split(parent, "-"), "_") + "_id"
	}
}

// setRef makes field f of d a reference to resource target, with what deleting the target does to d's rows:
// cascade for a nested resource's key, set null for a nested or nullable field, otherwise restrict.
func setRef(d *Resource, f *Field, target string) {
	f.Ref = target
	switch {
	case d.Parent != "" && f.Name == d.key():
		f.OnDelete = Cascade
	case d.Parent != "":
		f.OnDelete = SetNull
		f.Nullable = true
	case f.Nullable:
		f.OnDelete = SetNull
	default:
		f.OnDelete = Restrict
	}
	if f.Name == "jump_group_id" && fieldIndex(d.Fields, "jump_group_type") >= 0 {
		// A personal Jump Item's jump_group_id is the owning user.
		f.AltRef, f.AltWhenField, f.AltWhenValue = "user", "jump_group_type", "personal"
	}
}

// applyResourceQuirks adds the rules of single resources the document does not state: a vault account's type is
// fixed at creation, users are local and administrators cannot be deleted.
func applyResourceQuirks(d *Resource) {
	switch d.Name {
	case "vault-account":
		// An account's type is chosen when it is created.
		if i := fieldIndex(d.Fields, "type"); i >= 0 {
			d.Fields[i].Immutable = true
		}
	case "user":
		if i := fieldIndex(d.Fields, "failed_logins"); i >= 0 {
			d.Fields[i].IgnoreOnCreate = true
		}
		// Users created through the API belong to the local provider.
		if i := fieldIndex(d.Fields, "security_provider_id"); i >= 0 {
			d.Fields[i].Default = int64(1)
		}
		d.BeforeDelete = func(row Row) string {
			if admin, _ := row["perm_admin"].(bool); admin {
				return "Administrators cannot be deleted."
			}
			return ""
		}
	}
}

// afterCreate completes new items where the document states a rule in prose.
var afterCreate = sync.OnceValue(func() map[string]func(row Row, now time.Time) {
	return map[string]func(row Row, now time.Time){
		// "SSH: 22, Telnet: 23"
		"jump-item-shell-jump": func(row Row, _ time.Time) {
			if row["port"] == nil {
				row["port"] = map[any]int64{"ssh": 22, "telnet": 23}[row["protocol"]]
			}
		},
		// An installer is valid for valid_duration minutes.
		"jump-client-installer": func(row Row, now time.Time) {
			if d, ok := row["valid_duration"].(int64); ok {
				row["expiration_timestamp"] = now.UTC().Truncate(time.Second).Add(time.Duration(d) * time.Minute)
			}
		},
	}
})
