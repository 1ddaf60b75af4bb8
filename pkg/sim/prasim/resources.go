package prasim

// The Configuration API resources served by the simulator, declared from the
// vendor's OpenAPI document (version 1.10). Adding a resource means adding a
// declaration here; the generic handler does the rest.

func jumpGroupResource() Resource {
	return Resource{
		Name:  "jump-group",
		Label: "Jump Group",
		Path:  "/jump-group",
		Ops:   OpAll,
		Fields: []Field{
			IDField("id").RO(),
			StrField("name", 1, 255).Req().Uniq(),
			CodeNameField("code_name", "name"),
			StrField("comments", 0, 4096).Null(),
			IDField("ecm_group_id").Null(),
		},
		Filters: []Field{
			StrField("name", 1, 255),
			{Name: "code_name", Type: String, MaxLength: 64, Pattern: codeNamePattern},
		},
	}
}

// jumpGroupUserResource is the list of users explicitly granted access to a
// Jump Group, keyed by user_id. A null role means the user's default Jump
// Item Role; a null policy means "Set on Jump Items".
func jumpGroupUserResource() Resource {
	return Resource{
		Name:      "jump-group-user",
		Label:     "Jump Group User",
		Path:      "/jump-group/{id}/user",
		Parent:    "jump-group",
		Key:       "user_id",
		ClientKey: true,
		Ops:       OpAll,
		Fields: []Field{
			func() Field {
				f := IDField("user_id").Req().Uniq().Refs("user", Cascade)
				f.Immutable = true
				return f
			}(),
			IDField("jump_item_role_id").Null().Refs("jump-item-role", SetNull),
			IDField("jump_policy_id").Null().Refs("jump-policy", SetNull),
		},
	}
}

func userResource() Resource {
	ro := func(f Field) Field { return f.RO() }
	roBool := func(name string, def any) Field { return ro(BoolField(name)).Def(def) }
	roRole := func(name string) Field { return ro(IDField(name)).Def(int64(1)).Refs("jump-item-role", Restrict) }
	failed := IntField("failed_logins").Def(int64(0))
	failed.IgnoreOnCreate = true
	created := ro(TimeField("created_at"))
	created.AutoNow = true
	return Resource{
		Name:  "user",
		Label: "User",
		Path:  "/user",
		Ops:   OpAll,
		Fields: []Field{
			ro(IDField("id")),
			ro(IDField("security_provider_id")).Def(int64(1)),
			StrField("username", 1, 64).Uniq(),
			StrField("password", 0, 256).WO(),
			StrField("public_display_name", 1, 64).Req(),
			TimeField("password_expiration").Null(),
			StrField("email_address", 3, 255),
			StrField("preferred_email_language", 2, 10).Def("en-us"),
			BoolField("two_factor_required").Def(false),
			BoolField("enabled").Def(true),
			ro(TimeField("last_authentication")),
			failed,
			BoolField("password_reset_next_login").Def(false),
			created,
			roBool("two_factor_enabled", false),
			ro(IntField("fido2_credential_count")).Def(int64(0)),
			ro(TimeField("fido2_last_used_date")),
			roBool("perm_admin", false),
			roBool("perm_set_passwords", false),
			roBool("perm_admin_pushagents", false),
			ro(EnumField("perm_view_support_reports", "not_allowed", "user_sessions", "all_sessions", "team_sessions", "jump_group_sessions")).Def("not_allowed"),
			ro(EnumField("perm_view_vault_reports", "not_allowed", "view_user_events", "view_all_events")).Def("not_allowed"),
			roBool("perm_view_syslog_reports", false),
			roBool("perm_view_sd_recordings", false),
			roBool("perm_edit_jump_groups", false),
			roBool("perm_edit_sd_teams", false),
			roBool("perm_edit_canned_scripts", false),
			roBool("perm_edit_custom_rep_links", false),
			ro(EnumField("perm_access_allowed", "not_allowed", "full_support")).Def("full_support"),
			roBool("perm_share_other_team", false),
			roBool("perm_invite_external_user", false),
			roBool("perm_extended_availability_mode_allowed", false),
			roBool("perm_edit_external_key", false),
			ro(IntField("perm_session_idle_timeout").Between(-1, 86400)).Def(int64(-1)),
			roBool("perm_collaborate", false),
			roBool("perm_collaborate_control", false),
			roBool("perm_jump_client", false),
			roBool("perm_local_jump", false),
			roBool("perm_remote_jump", false),
			roBool("perm_remote_vnc", false),
			roBool("perm_remote_rdp", false),
			roBool("perm_shell_jump", false),
			roRole("default_jump_item_role_id"),
			roRole("private_jump_item_role_id"),
			roRole("inferior_jump_item_role_id"),
			roRole("unassigned_jump_item_role_id"),
			roBool("perm_web_jump", false),
			roBool("perm_protocol_tunnel", false),
			roBool("perm_sd_static_port_for_external_tools", false),
			roBool("perm_vault", false),
			ro(EnumField("perm_endpoint_automation", "not_allowed", "user", "administrator")).Def("not_allowed"),
		},
		Filters: []Field{
			IDField("security_provider_id"),
			StrField("username", 1, 255),
			StrField("email_address", 3, 255),
		},
		BeforeDelete: func(row Row) string {
			if admin, _ := row["perm_admin"].(bool); admin {
				return "Administrators cannot be deleted."
			}
			return ""
		},
	}
}

// jumpItemRoleResource is read-only in the API: roles are managed in /login.
func jumpItemRoleResource() Resource {
	perm := func(name string) Field { return BoolField(name).Def(false) }
	return Resource{
		Name:  "jump-item-role",
		Label: "Jump Item Role",
		Path:  "/jump-item-role",
		Ops:   OpRead,
		Fields: []Field{
			IDField("id").RO(),
			StrField("name", 1, 255).Req().Uniq(),
			StrField("description", 0, 4096).Def(""),
			perm("perm_add"),
			perm("perm_assign_jump_group"),
			perm("perm_remove"),
			perm("perm_start"),
			perm("perm_edit_tag"),
			perm("perm_edit_comments"),
			perm("perm_edit_jump_policy"),
			perm("perm_edit_session_policy"),
			perm("perm_edit_identity"),
			perm("perm_edit_behavior"),
			perm("perm_view_jump_item_report"),
		},
		Filters: []Field{StrField("name", 1, 255)},
	}
}

func jumpPolicyResource() Resource {
	return Resource{
		Name:  "jump-policy",
		Label: "Jump Policy",
		Path:  "/jump-policy",
		Ops:   OpAll,
		Fields: []Field{
			IDField("id").RO(),
			StrField("display_name", 1, 255).Req(),
			CodeNameField("code_name", "display_name"),
			StrField("description", 0, 1000).Def(""),
			BoolField("schedule_enabled").Def(true),
			EnumField("simultaneous_jumps", "global", "join", "disallow").Def("global"),
			BoolField("simultaneous_jump_behavior_applies_to_copies").Def(false),
			EnumField("simultaneous_jumps_rdp", "global", "new_session", "disallow").Def("global"),
			BoolField("external_tools_rdp_allowed").Def(true),
			BoolField("external_tools_shell_allowed").Def(true),
			BoolField("schedule_strict").Def(false),
			BoolField("ticket_id_required").Def(false),
			BoolField("two_factor_challenge_required").Def(false),
			BoolField("session_start_notification").Def(false),
			BoolField("session_end_notification").Def(false),
			ArrayField("notification_email_addresses", String, 100).Def([]any{}),
			StrField("notification_display_name", 0, 255),
			StrField("notification_email_language", 0, 0).Def("en-us"),
			BoolField("approval_required").Def(false),
			IntField("approval_max_duration").Between(1, 524160).Def(int64(480)),
			EnumField("approval_scope", "requestor", "anyone").Def("requestor"),
			ArrayField("approval_email_addresses", String, 100).Def([]any{}),
			ArrayField("approval_user_ids", String, 100).Def([]any{}),
			ArrayField("approval_team_ids", String, 100).Def([]any{}),
			StrField("approval_display_name", 0, 255),
			StrField("approval_email_language", 0, 0).Def("en-us"),
			EnumField("approval_approver_scope", "not_requestor", "anyone").Def("not_requestor"),
			BoolField("recordings_disabled").Def(false),
		},
		Filters: []Field{
			{Name: "code_name", Type: String, MaxLength: 64},
		},
	}
}

// configResources lists every resource of the Configuration API that the
// simulator serves.
func configResources() []Resource {
	return []Resource{
		jumpGroupResource(),
		jumpGroupUserResource(),
		userResource(),
		jumpItemRoleResource(),
		jumpPolicyResource(),
	}
}
