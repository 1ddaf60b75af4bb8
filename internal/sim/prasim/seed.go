package prasim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// insertLocked stores a trusted row (seed data): defaults fill the fields not
// given, and read-only fields may be set. It returns the row's key.
func (s *Server) insertLocked(name, scope string, vals Row) int64 {
	res := s.reg.byName[name]
	row := s.newRowLocked(res, scope, vals)
	return s.db.insert(res, scope, row)
}

// seedBase creates what every appliance has: the built-in Jump Item Roles,
// the local security provider and the administrator account.
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
	s.insertLocked("security-provider", "", Row{"name": "Local", "type": "local", "enabled": true, "user_authentication": true})
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
	s.seedInfrastructureLocked(prod, userIDs)
	s.seedGenericLocked()
	s.linkAutomationSamplesLocked()
}

// linkAutomationSamplesLocked makes the Endpoint Automation samples refer to
// each other: scripts use the first resource, jobs target the first
// endpoint, resources look like uploaded files.
func (s *Server) linkAutomationSamplesLocked() {
	first := func(name string) (int64, bool) {
		t := s.db.table(s.reg.byName[name], "", false)
		if t == nil || len(t.order) == 0 {
			return 0, false
		}
		return t.order[0], true
	}
	rows := func(name string) map[int64]Row {
		if t := s.db.table(s.reg.byName[name], "", false); t != nil {
			return t.rows
		}
		return nil
	}
	for k, row := range rows("endpoint-automation-resource") {
		row["file_name"] = fmt.Sprintf("setup-%d.ps1", k)
		row["file_size"] = int64(2048 * k)
		row["hash"] = fmt.Sprintf("%064x", k)
	}
	if res, ok := first("endpoint-automation-resource"); ok {
		for _, row := range rows("endpoint-automation-script") {
			row["resource_ids"] = []any{res}
		}
	}
	for k, row := range rows("endpoint-automation-endpoint") {
		row["hostname"] = fmt.Sprintf("ws-%02d.example.com", k)
		row["names"] = []any{fmt.Sprintf("WS-%02d", k)}
		row["public_ip"] = fmt.Sprintf("198.51.100.%d", k)
		row["private_ip"] = fmt.Sprintf("10.1.0.%d", k)
		row["is_active"] = true
	}
	if ep, ok := first("endpoint-automation-endpoint"); ok {
		for _, row := range rows("endpoint-automation-job") {
			row["endpoint_ids"] = []any{ep}
		}
	}
}

// seedInfrastructureLocked loads the objects the guide's API use cases work
// with: a Jumpoint (id 1) and Jump Group (id 1) for registered hosts, Shell
// Jump items tagged with instance ids, vault accounts with secrets, a team
// and a Group Policy granting access.
func (s *Server) seedInfrastructureLocked(prod int64, users []int64) {
	now := s.now().UTC().Truncate(time.Second)
	s.insertLocked("session-policy", "", Row{"display_name": "Record Everything", "code_name": "record_all", "description": "Sessions are recorded."})
	s.insertLocked("session-policy", "", Row{"display_name": "Read Only", "code_name": "read_only", "description": "View-only sessions."})
	dc := s.insertLocked("jumpoint", "", Row{"name": "Datacenter Jumpoint", "platform": "linux-x86", "shell_jump_enabled": true, "comments": "Primary data center."})
	s.insertLocked("jumpoint", "", Row{"name": "Branch Office", "platform": "windows-x86", "shell_jump_enabled": true})
	for _, h := range []struct{ name, host, tag string }{
		{"web-01", "10.0.1.11", "i-0a1b2c3d4e5f60001"},
		{"web-02", "10.0.1.12", "i-0a1b2c3d4e5f60002"},
		{"db-01", "10.0.2.21", "database"},
	} {
		s.insertLocked("jump-item-shell-jump", "", Row{
			"name": h.name, "hostname": h.host, "jump_group_id": prod, "jump_group_type": "shared",
			"jumpoint_id": dc, "protocol": "ssh", "port": int64(22), "terminal": "xterm",
			"username": "ec2-user", "tag": h.tag,
		})
	}
	s.insertLocked("jump-item-remote-rdp", "", Row{"name": "win-app-01", "hostname": "10.0.3.31", "jump_group_id": prod, "jump_group_type": "shared", "jumpoint_id": dc})
	s.insertLocked("jump-item-web-jump", "", Row{"name": "Router admin", "url": "https://10.0.0.1/", "jump_group_id": prod, "jump_group_type": "shared", "jumpoint_id": dc})
	ag := s.insertLocked("vault-account-group", "", Row{"name": "Linux Servers", "description": "Accounts for the Linux fleet."})
	s.insertLocked("vault-account-group", "", Row{"name": "Windows Servers", "description": "Local administrator accounts."})
	ssh := s.insertLocked("vault-account", "", Row{"type": "ssh", "name": "ec2-user key", "username": "ec2-user",
		"private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nsandbox\n-----END OPENSSH PRIVATE KEY-----", "account_group_id": ag})
	pw := s.insertLocked("vault-account", "", Row{"type": "username_password", "name": "db admin", "username": "dbadmin", "password": "s4ndbox-Passw0rd", "account_group_id": ag})
	team := s.insertLocked("team", "", Row{"name": "Operations", "comments": "On-call engineers."})
	s.insertLocked("team-user", childScope("", team), Row{"user_id": users[0], "team_id": team, "role": "lead"})
	s.insertLocked("team", "", Row{"name": "Security", "comments": "Auditors."})
	gp := s.insertLocked("group-policy", "", Row{"name": "Operators"})
	gps := childScope("", gp)
	s.insertLocked("group-policy-member", gps, Row{"user_id": users[0]})
	s.insertLocked("group-policy-team", gps, Row{"team_id": team})
	s.insertLocked("group-policy-jump-group", gps, Row{"jump_group_id": prod})
	s.insertLocked("group-policy-jumpoint", gps, Row{"jumpoint_id": dc})
	s.insertLocked("group-policy-vault-account", gps, Row{"account_id": ssh, "role": "inject"})
	s.insertLocked("group-policy-vault-account-group", gps, Row{"account_group_id": ag, "role": "inject"})
	s.insertLocked("vault-account-user", childScope("", pw), Row{"user_id": users[1], "role": "inject_and_checkout"})
	s.insertLocked("vault-account-group-user", childScope("", ag), Row{"user_id": users[0], "role": "inject"})
	s.insertLocked("vault-account-group-account", childScope("", ag), Row{"account_id": ssh})
	s.insertLocked("jumpoint-user", childScope("", dc), Row{"user_id": users[0]})
	s.insertLocked("jump-client-installer", "", Row{"name": "Laptops", "jump_group_id": prod, "jump_group_type": "shared",
		"valid_duration": int64(1440), "expiration_timestamp": now.Add(1440 * time.Minute)})
	s.insertLocked("jump-client", "", Row{"name": "alice-laptop", "hostname": "alice-laptop.example.com", "jump_group_id": prod, "jump_group_type": "shared", "tag": "laptop", "connection_type": "active"})
	s.seedJumpClientsLocked(prod, now)
	s.insertLocked("api-account", "", Row{"name": "Sandbox automation", "client_id": s.opts.ClientID, "enabled": true,
		"comments": "The account the sandbox's credentials belong to.", "ip_addresses": "0.0.0.0/0", "perm_backup": true})
	s.approvals = append(s.approvals, Row{
		"id": int64(1), "created_by_user_id": users[1], "jump_item_id": int64(1), "jump_item_type": "shell_jump",
		"duration": int64(7200), "request_reason": "Patch web-01", "response_comments": "",
		"start_timestamp": now.Format(timeLayout), "state": "pending",
	})
}

// seedGenericLocked gives every collection still empty two sample items
// (one for nested collections), built from the document's schemas, so every
// operation by id has something to act on.
func (s *Server) seedGenericLocked() {
	for progress := true; progress; {
		progress = false
		for _, res := range s.reg.list {
			if res.Parent != "" || s.db.table(res, "", false) != nil {
				continue
			}
			for n := 1; n <= 2; n++ {
				if row, ok := s.sampleRowLocked(res, "", n); ok {
					s.db.insert(res, "", s.newRowLocked(res, "", row))
					progress = true
				}
			}
		}
	}
	for _, res := range s.reg.list {
		if len(res.ancestors) != 1 {
			continue
		}
		parent := res.ancestors[0]
		pt := s.db.table(parent, "", false)
		if pt == nil || len(pt.order) == 0 {
			continue
		}
		key := pt.order[0]
		scope := childScope("", key)
		if t := s.db.table(res, scope, false); t != nil && len(t.order) > 0 {
			continue
		}
		if row, ok := s.sampleRowLocked(res, scope, 1); ok {
			for i := range res.Fields {
				if res.Fields[i].FromParent {
					row[res.Fields[i].Name] = key
				}
			}
			s.db.insert(res, scope, s.newRowLocked(res, scope, row))
		}
	}
}

// sampleNames are fields worth filling in sample items even when optional.
var sampleNames = []string{"name", "display_name", "public_display_name", "username", "hostname",
	"email_address", "url", "type", "platform", "password", "description", "tag", "role"}

// sampleRowLocked builds the n-th sample item of a collection: required and
// descriptive fields, references pointing at existing items. It fails when
// a required reference has nothing to point at yet.
func (s *Server) sampleRowLocked(res *resource, scope string, n int) (Row, bool) {
	row := Row{}
	label := strings.ToLower(strings.ReplaceAll(res.Label, " ", "-"))
	for i := range res.Fields {
		f := &res.Fields[i]
		if f.ReadOnly || f.FromParent || f.DeriveFrom != "" {
			continue
		}
		if f.Ref != "" {
			t := s.db.table(s.reg.byName[f.Ref], "", false)
			if t == nil || len(t.order) == 0 {
				if f.Required || f.Name == res.key() {
					return nil, false
				}
				continue
			}
			if !f.Required && f.Name != res.key() && !slices.Contains([]string{"jump_group_id", "jumpoint_id"}, f.Name) {
				continue
			}
			pick := t.order[0]
			if f.Name == res.key() {
				// A member list: take an item not yet in this list.
				pick = 0
				for _, k := range t.order {
					if _, used := s.db.get(res, scope, k); !used {
						pick = k
						break
					}
				}
				if pick == 0 {
					return nil, false
				}
			}
			row[f.Name] = pick
			continue
		}
		if !f.Required && !slices.Contains(sampleNames, f.Name) {
			continue
		}
		row[f.Name] = sampleValue(f, label, n, s.now())
	}
	return row, true
}

// sampleValue is a plausible value for a field of the n-th sample item.
func sampleValue(f *Field, label string, n int, now time.Time) any {
	switch f.Type {
	case Enum:
		if len(f.Enum) > 0 {
			return f.Enum[0]
		}
		return nil
	case Integer:
		if f.Name == "port" {
			return int64(22)
		}
		if f.HasMin {
			return f.Min
		}
		return int64(1)
	case Boolean:
		return false
	case DateTime:
		return now.UTC().Truncate(time.Second).Add(30 * 24 * time.Hour)
	case Array:
		return []any{}
	case Object:
		return map[string]any{}
	case Any:
		return nil
	}
	var v string
	switch f.Name {
	case "hostname":
		v = fmt.Sprintf("%s-%d.example.com", label, n)
	case "email_address":
		v = fmt.Sprintf("%s-%d@example.com", label, n)
	case "url":
		v = fmt.Sprintf("https://%s-%d.example.com/", label, n)
	case "password":
		v = fmt.Sprintf("Sandbox-Secret-%d", n)
	default:
		v = fmt.Sprintf("%s-%d", label, n)
	}
	if f.MaxLength > 0 && len(v) > f.MaxLength {
		v = v[:f.MaxLength]
	}
	return v
}

// SeedShellJumps adds n Shell Jump items tagged tag, in Jump Group 1 through
// Jumpoint 1 when those exist (otherwise the first of each is created). It
// is meant for tests and benchmarks that need many items.
func (s *Server) SeedShellJumps(n int, tag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := func(name string, make func() int64) int64 {
		if t := s.db.table(s.reg.byName[name], "", false); t != nil && len(t.order) > 0 {
			return t.order[0]
		}
		return make()
	}
	group := first("jump-group", func() int64 { return s.insertLocked("jump-group", "", Row{"name": "Shell Jump Hosts"}) })
	jp := first("jumpoint", func() int64 {
		return s.insertLocked("jumpoint", "", Row{"name": "Sandbox Jumpoint", "platform": "linux-x86", "shell_jump_enabled": true})
	})
	for range n {
		s.shellSeq++
		s.insertLocked("jump-item-shell-jump", "", Row{
			"name": fmt.Sprintf("host-%05d", s.shellSeq), "hostname": fmt.Sprintf("10.%d.%d.%d", s.shellSeq>>16&255, s.shellSeq>>8&255, s.shellSeq&255),
			"jump_group_id": group, "jump_group_type": "shared", "jumpoint_id": jp, "protocol": "ssh",
			"port": int64(22), "terminal": "xterm", "username": "ec2-user", "tag": tag,
		})
	}
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

// seedJumpClientsLocked adds the Jump Clients a mass deployment leaves behind: web-01 installed three times and
// db-01 twice (the same host name, connected at different times), a client lost for months and one disconnected
// for weeks. Each client's comments say what a clean-up should do with it (keep, duplicate, lost, stale).
func (s *Server) seedJumpClientsLocked(group int64, now time.Time) {
	day := 24 * time.Hour
	for _, c := range []struct {
		name, host, fqdn, comments string
		ago                        time.Duration
		lost                       bool
	}{
		{"web-01", "WEB-01", "web-01.example.com", "keep", time.Hour, false},
		{"web-01 (2)", "web-01", "web-01.example.com", "duplicate", 3 * day, false},
		{"web-01 (3)", "WEB-01", "", "duplicate", 9 * day, false},
		{"db-01", "db-01", "db-01.corp.example.com", "duplicate", 5 * day, false},
		{"db-01", "db-01", "db-01.corp.example.com", "keep", 2 * time.Hour, false},
		{"kiosk-07", "kiosk-07", "kiosk-07.example.com", "lost", 120 * day, true},
		{"build-agent", "build-agent", "build-agent.example.com", "stale", 45 * day, false},
	} {
		last := now.Add(-c.ago).UTC().Truncate(time.Second)
		s.insertLocked("jump-client", "", Row{"name": c.name, "hostname": c.host, "fqdn": c.fqdn, "jump_group_id": group,
			"jump_group_type": "shared", "tag": "servers", "comments": c.comments, "connection_type": "active",
			"is_lost": c.lost, "last_connect_timestamp": last, "last_disconnect_timestamp": last.Add(time.Minute)})
	}
}
