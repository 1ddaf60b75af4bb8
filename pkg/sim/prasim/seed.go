package prasim

import "fmt"

// insertLocked stores a trusted row (seed data): defaults fill the fields not
// given, and read-only fields may be set. It returns the row's key.
func (s *Server) insertLocked(name, scope string, vals Row) int64 {
	res := s.reg.byName[name]
	row := s.newRowLocked(res, scope, vals)
	return s.db.insert(res, scope, row)
}

// seedBase creates what every appliance has: the built-in Jump Item Roles and
// the administrator account.
func (s *Server) seedBase() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.insertLocked("jump-item-role", "", Row{
		"name":        "Administrator",
		"description": "Full control of Jump Items in the Jump Group.",
		"perm_add":    true, "perm_assign_jump_group": true, "perm_remove": true, "perm_start": true,
		"perm_edit_tag": true, "perm_edit_comments": true, "perm_edit_jump_policy": true,
		"perm_edit_session_policy": true, "perm_edit_identity": true, "perm_edit_behavior": true,
		"perm_view_jump_item_report": true,
	})
	s.insertLocked("jump-item-role", "", Row{
		"name": "Start Sessions Only", "description": "May start sessions but not change Jump Items.",
		"perm_start": true,
	})
	s.insertLocked("jump-item-role", "", Row{
		"name": "No Access", "description": "No access to Jump Items.",
	})
	created := s.now().UTC().Truncate(1e9)
	s.insertLocked("user", "", Row{
		"username": "admin", "public_display_name": "Administrator",
		"email_address": "admin@example.com", "perm_admin": true,
		"perm_set_passwords": true, "perm_edit_jump_groups": true,
		"perm_view_support_reports": "all_sessions", "perm_view_vault_reports": "view_all_events",
		"perm_jump_client": true, "perm_remote_jump": true, "perm_remote_rdp": true,
		"perm_shell_jump": true, "perm_web_jump": true, "perm_protocol_tunnel": true,
		"perm_vault": true, "perm_endpoint_automation": "administrator",
		"last_authentication": created, "created_at": created,
	})
}

// seedSamples loads a small, realistic data set: users, Jump Policies, Jump
// Groups and group memberships.
func (s *Server) seedSamples() {
	s.mu.Lock()
	defer s.mu.Unlock()
	users := []Row{
		{"username": "alice", "public_display_name": "Alice Martin", "email_address": "alice@example.com", "perm_remote_jump": true, "perm_remote_rdp": true, "perm_shell_jump": true},
		{"username": "bob", "public_display_name": "Bob Okafor", "email_address": "bob@example.com", "perm_shell_jump": true},
		{"username": "carol", "public_display_name": "Carol Nguyen", "email_address": "carol@example.com", "enabled": false},
	}
	var userIDs []int64
	for _, u := range users {
		userIDs = append(userIDs, s.insertLocked("user", "", u))
	}
	hours := s.insertLocked("jump-policy", "", Row{
		"display_name": "Business Hours", "description": "Access only during office hours.",
	})
	approval := s.insertLocked("jump-policy", "", Row{
		"display_name": "Approval Required", "schedule_enabled": false, "approval_required": true,
		"approval_display_name": "Operations", "approval_email_addresses": []any{"ops@example.com"},
	})
	prod := s.insertLocked("jump-group", "", Row{"name": "Production Servers", "comments": "Customer-facing systems."})
	lab := s.insertLocked("jump-group", "", Row{"name": "Lab"})
	s.insertLocked("jump-group", "", Row{"name": "Network Devices", "code_name": "netdev"})
	member := func(group, user int64, role, policy any) {
		s.insertLocked("jump-group-user", childScope("", group), Row{
			"user_id": user, "jump_item_role_id": role, "jump_policy_id": policy,
		})
	}
	member(prod, userIDs[0], int64(1), approval)
	member(prod, userIDs[1], int64(2), hours)
	member(lab, userIDs[0], nil, nil)
	member(lab, userIDs[2], int64(3), nil)
}

// SeedJumpGroups adds n Jump Groups named "group-0001", "group-0002", ...
// (numbering continues across calls and skips names already taken). It is
// meant for tests that need many items, e.g. to exercise pagination.
func (s *Server) SeedJumpGroups(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := s.reg.byName["jump-group"]
	for range n {
		var name string
		for {
			s.groupSeq++
			name = fmt.Sprintf("group-%04d", s.groupSeq)
			if !s.takenLocked(res, "", "name", name, nil, 0) {
				break
			}
		}
		s.insertLocked("jump-group", "", Row{"name": name})
	}
}
