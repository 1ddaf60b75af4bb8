// Package pra declares the BeyondTrust PRA Configuration API resources as data for the command engine.
package pra

import "github.com/infractl/infra/pkg/engine"

func i64(v int64) *int64 { return &v }

var (
	idMin = i64(1)
	idMax = i64(2147483647)
)

func id(name, help string) engine.Field {
	return engine.Field{Name: name, Type: engine.Integer, Min: idMin, Max: idMax, Help: help}
}

var codeName = engine.Field{Name: "code_name", Type: engine.String, MaxLen: 64, Pattern: `^[a-zA-Z0-9_\-]+$`,
	Help: "unique code name (letters, digits, _ and -)"}

// Pagination query parameters are handled by the engine (--per-page, --page, --limit); they are not fields.

var jumpGroupFields = []engine.Field{
	{Name: "id", Type: engine.Integer, ReadOnly: true, Help: "unique id assigned by the site"},
	{Name: "name", Type: engine.String, Required: true, MinLen: 1, MaxLen: 255, Help: "display name; must be unique"},
	codeName,
	{Name: "comments", Type: engine.String, MaxLen: 4096, Nullable: true, Help: "free-text comments"},
	id("ecm_group_id", "id of the ECM group associated with this Jump Group"),
}

var jumpGroupUserFields = []engine.Field{
	withRequired(id("user_id", "id of the user to grant access"), true),
	id("jump_item_role_id", "Jump Item Role for the user in this group (empty: the user's default role)"),
	id("jump_policy_id", "Jump Policy for the user in this group (empty: set on Jump Items)"),
}

func withRequired(f engine.Field, req bool) engine.Field { f.Required = req; return f }

// JumpGroup is the Jump Group resource and its users.
func JumpGroup() *engine.Group {
	jg := engine.Arg{Param: "id", Name: "JUMP_GROUP_ID", Integer: true}
	user := engine.Arg{Param: "user_id", Name: "USER_ID", Integer: true}
	cols := []string{"id", "name", "code_name", "comments", "ecm_group_id"}
	ucols := []string{"user_id", "jump_item_role_id", "jump_policy_id"}
	return &engine.Group{
		Name:    "jump-group",
		Aliases: []string{"jump-groups", "jg"},
		Short:   "Manage Jump Groups and the users granted access to them",
		Ops: []*engine.Op{
			{Name: "list", Aliases: []string{"ls"}, ID: "api.config.jump-group.index", Method: "GET", Path: "/jump-group",
				Kind: engine.KindList, Columns: cols, Short: "List Jump Groups",
				Query: []engine.Field{
					{Name: "name", Type: engine.String, MinLen: 1, MaxLen: 255, Help: "only the group with this name (exact, case-insensitive)"},
					{Name: "code_name", Type: engine.String, MaxLen: 64, Help: "only the group with this code name"},
				},
				Example: "  infra pra jump-group list\n  infra pra jump-group list --name Servers -o json"},
			{Name: "get", Aliases: []string{"show"}, ID: "api.config.jump-group.show", Method: "GET", Path: "/jump-group/{id}",
				Args: []engine.Arg{jg}, Kind: engine.KindObject, Columns: cols, Short: "Show one Jump Group"},
			{Name: "create", Aliases: []string{"add"}, ID: "api.config.jump-group.store", Method: "POST", Path: "/jump-group",
				Body: jumpGroupFields, Kind: engine.KindObject, Columns: cols, Short: "Create a Jump Group",
				Example: "  infra pra jump-group create --name \"VPC 12\" --code-name vpc12\n  echo 'name=\"VPC 12\"' | infra pra jump-group create -k"},
			{Name: "update", Aliases: []string{"set"}, ID: "api.config.jump-group.update", Method: "PATCH", Path: "/jump-group/{id}",
				Args: []engine.Arg{jg}, Body: jumpGroupFields, BodyRequired: true, Kind: engine.KindObject, Columns: cols,
				Short: "Change a Jump Group"},
			{Name: "delete", Aliases: []string{"rm"}, ID: "api.config.jump-group.destroy", Method: "DELETE", Path: "/jump-group/{id}",
				Args: []engine.Arg{jg}, MultiID: true, Kind: engine.KindNone, Confirm: engine.ConfirmIrreversible,
				Short: "Delete Jump Groups and every Jump Item they hold"},
		},
		Groups: []*engine.Group{{
			Name:    "user",
			Aliases: []string{"users"},
			Short:   "Users granted access to a Jump Group",
			Ops: []*engine.Op{
				{Name: "list", Aliases: []string{"ls"}, ID: "api.config.jump-group.user.index", Method: "GET", Path: "/jump-group/{id}/user",
					Args: []engine.Arg{jg}, Kind: engine.KindList, Columns: ucols, Short: "List the users explicitly granted access to a Jump Group"},
				{Name: "get", Aliases: []string{"show"}, ID: "api.config.jump-group.user.show", Method: "GET", Path: "/jump-group/{id}/user/{user_id}",
					Args: []engine.Arg{jg, user}, Kind: engine.KindObject, Columns: ucols, Short: "Show a user's role and policy in a Jump Group"},
				{Name: "add", Aliases: []string{"create"}, ID: "api.config.jump-group.user.store", Method: "POST", Path: "/jump-group/{id}/user",
					Args: []engine.Arg{jg}, Body: jumpGroupUserFields, Kind: engine.KindObject, Columns: ucols, Short: "Grant a user access to a Jump Group",
					Example: "  infra pra jump-group user add 3 --user-id 7 --jump-item-role-id 2"},
				{Name: "update", Aliases: []string{"set"}, ID: "api.config.jump-group.user.update", Method: "PATCH", Path: "/jump-group/{id}/user/{user_id}",
					Args: []engine.Arg{jg, user}, Body: jumpGroupUserFields[1:], BodyRequired: true, Kind: engine.KindObject, Columns: ucols,
					Short: "Change a user's Jump Item Role or Jump Policy in a Jump Group"},
				{Name: "remove", Aliases: []string{"delete", "rm"}, ID: "api.config.jump-group.user.destroy", Method: "DELETE", Path: "/jump-group/{id}/user/{user_id}",
					Args: []engine.Arg{jg, user}, MultiID: true, Kind: engine.KindNone, Short: "Remove users from a Jump Group"},
			},
		}},
	}
}

// Groups returns every PRA resource group.
func Groups() []*engine.Group {
	return []*engine.Group{JumpGroup()}
}
