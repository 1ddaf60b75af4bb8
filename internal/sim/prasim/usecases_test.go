package prasim

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The three scripts of the guide's "API Use Cases" chapter, replayed at the
// HTTP level: the requests btapi sends for each of their commands.

func (e *env) created(r result) map[string]any {
	e.t.Helper()
	e.mustStatus(r, http.StatusCreated)
	var v map[string]any
	r.decode(e.t, &v)
	return v
}

// TestUseCaseAWSRegistration replays "AWS Registration": download the CLI
// with curl (no token), then `btapi -k add jump-item/shell-jump` with the
// instance's data, into Jump Group 1 through Jumpoint 1.
func TestUseCaseAWSRegistration(t *testing.T) {
	e := newEnv(t, Options{Seed: true})

	cli := e.raw("GET", "/cli/linux", "", "", nil) // curl -o btapi.zip -L …/cli/linux
	e.mustStatus(cli, http.StatusOK)
	zr, err := zip.NewReader(bytes.NewReader(cli.body), int64(len(cli.body)))
	if err != nil {
		t.Fatalf("btapi.zip: %v", err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "btapi" {
		t.Fatalf("btapi.zip holds %v", zr.File)
	}

	item := e.created(e.call("POST", "/jump-item/shell-jump", `{"name":"web-frontend","hostname":"54.12.0.7","jump_group_id":1,"jump_group_type":"shared","username":"ec2-user","protocol":"ssh","port":22,"terminal":"xterm","jumpoint_id":1,"tag":"i-0123456789abcdef0"}`))
	for k, want := range map[string]any{"name": "web-frontend", "hostname": "54.12.0.7", "jump_group_id": float64(1),
		"jumpoint_id": float64(1), "tag": "i-0123456789abcdef0", "port": float64(22), "protocol": "ssh", "terminal": "xterm", "username": "ec2-user"} {
		if item[k] != want {
			t.Errorf("created item %s = %v, want %v", k, item[k], want)
		}
	}
	r := e.call("GET", fmt.Sprintf("/jump-item/shell-jump/%v", item["id"]), "")
	e.mustStatus(r, http.StatusOK)

	// Registration into a Jump Group or through a Jumpoint that does not
	// exist is refused with the validation bag.
	errs := e.call("POST", "/jump-item/shell-jump", `{"name":"x","hostname":"h","jump_group_id":99,"jump_group_type":"shared","protocol":"ssh","jumpoint_id":98}`).errorsBag(t)
	if errs["jump_group_id"][0] != "The selected jump group id is invalid." || errs["jumpoint_id"][0] != "The selected jumpoint id is invalid." {
		t.Fatalf("dangling references: %v", errs)
	}
	// A personal Jump Item's jump_group_id names a user.
	e.mustStatus(e.call("POST", "/jump-item/shell-jump", `{"name":"mine","hostname":"h","jump_group_id":2,"jump_group_type":"personal","protocol":"ssh","jumpoint_id":1}`), http.StatusCreated)
	errs = e.call("POST", "/jump-item/shell-jump", `{"name":"mine","hostname":"h","jump_group_id":77,"jump_group_type":"personal","protocol":"ssh","jumpoint_id":1}`).errorsBag(t)
	if len(errs["jump_group_id"]) == 0 {
		t.Fatalf("personal item for a missing user: %v", errs)
	}
	// Without a token, the rest of the API stays closed.
	e.mustStatus(e.raw("GET", "/jump-item/shell-jump", "", "", map[string]string{"Accept": "application/json"}), http.StatusUnauthorized)
}

// TestUseCaseAWSCleanup replays the on-demand cleanup script and the Lambda:
// `echo "tag=$inst" | btapi -kK list jump-item/shell-jump` (GET with the tag
// filter), then `btapi delete jump-item/shell-jump $ID` for the first hit.
func TestUseCaseAWSCleanup(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	e.sim.SeedShellJumps(3, "i-terminated0001")
	e.sim.SeedShellJumps(2, "i-running0002")
	before := e.call("GET", "/jump-item/shell-jump", "").header.Get("X-BT-Pagination-Total")

	for _, inst := range []string{"i-terminated0001", "i-terminated0001", "i-terminated0001"} {
		r := e.call("GET", "/jump-item/shell-jump?tag="+url.QueryEscape(inst), "")
		e.mustStatus(r, http.StatusOK)
		var items []map[string]any
		r.decode(t, &items)
		if len(items) == 0 {
			t.Fatalf("no item tagged %s", inst)
		}
		for _, it := range items {
			if it["tag"] != inst {
				t.Fatalf("filter tag=%s returned %v", inst, it)
			}
		}
		e.mustStatus(e.call("DELETE", fmt.Sprintf("/jump-item/shell-jump/%v", items[0]["id"]), ""), http.StatusNoContent)
	}
	r := e.call("GET", "/jump-item/shell-jump?tag=i-terminated0001", "")
	if strings.TrimSpace(string(r.body)) != "[]" {
		t.Fatalf("terminated instances left: %s", r.body)
	}
	r = e.call("GET", "/jump-item/shell-jump?tag=i-running0002", "")
	if r.header.Get("X-BT-Pagination-Total") != "2" {
		t.Fatalf("running instances touched: %s", r.body)
	}
	after := e.call("GET", "/jump-item/shell-jump", "").header.Get("X-BT-Pagination-Total")
	if before == after {
		t.Fatalf("total unchanged (%s)", after)
	}
	// The Lambda sends the tag the same way; an unknown instance yields [].
	r = e.call("GET", "/jump-item/shell-jump?tag=i-unknown", "")
	e.mustStatus(r, http.StatusOK)
	if strings.TrimSpace(string(r.body)) != "[]" {
		t.Fatalf("unknown tag: %s", r.body)
	}
}

// TestUseCaseNewSetup replays "Scripting a New Setup": a Jumpoint and its
// installer, a Jump Group, an SSH key in Vault, a Shell Jump item, and a
// Group Policy granting all three.
func TestUseCaseNewSetup(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	const gp = 1 // GROUP_POLICY_ID
	jp := e.created(e.call("POST", "/jumpoint", `{"name":"vpc-0a1b2c3d","platform":"linux-x86","shell_jump_enabled":true}`))
	jpid := jp["id"]
	if jp["code_name"] != "vpc-0a1b2c3d" || jp["platform"] != "linux-x86" || jp["shell_jump_enabled"] != true {
		t.Fatalf("jumpoint %v", jp)
	}

	// btapi download "jumpoint/$jpid/installer"
	inst := e.raw("GET", fmt.Sprintf("%s/jumpoint/%v/installer", e.ts.URL+ConfigBase, jpid), e.token, "", map[string]string{"Accept": "application/octet-stream"})
	e.mustStatus(inst, http.StatusOK)
	if cd := inst.header.Get("Content-Disposition"); cd != `attachment; filename="jumpoint-vpc-0a1b2c3d-linux-x86.bin"` {
		t.Fatalf("Content-Disposition %q", cd)
	}
	if !bytes.HasPrefix(inst.body, []byte("#!/bin/sh\n")) || inst.header.Get("Content-Length") != fmt.Sprint(len(inst.body)) {
		t.Fatalf("installer is not a shell script of the announced length")
	}
	e.mustStatus(e.call("GET", "/jumpoint/999/installer", ""), http.StatusNotFound)

	jg := e.created(e.call("POST", "/jump-group", `{"name":"vpc-0a1b2c3d Jump Group"}`))
	vk := e.created(e.call("POST", "/vault/account", `{"type":"ssh","name":"vpc-0a1b2c3d SSH","username":"ubuntu","private_key":"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----"}`))
	if vk["type"] != "ssh" || vk["username"] != "ubuntu" {
		t.Fatalf("vault account %v", vk)
	}
	if _, leaked := vk["private_key"]; leaked {
		t.Fatal("private key returned")
	}
	e.created(e.call("POST", "/jump-item/shell-jump", fmt.Sprintf(`{"name":"vpc-0a1b2c3d Jumpoint","hostname":"54.1.2.3","jump_group_id":%v,"jump_group_type":"shared","username":"ubuntu","protocol":"ssh","port":22,"terminal":"xterm","jumpoint_id":%v}`, jg["id"], jpid)))

	e.created(e.call("POST", fmt.Sprintf("/group-policy/%d/jumpoint", gp), fmt.Sprintf(`{"jumpoint_id":%v}`, jpid)))
	e.created(e.call("POST", fmt.Sprintf("/group-policy/%d/jump-group", gp), fmt.Sprintf(`{"jump_group_id":%v}`, jg["id"])))
	acc := e.created(e.call("POST", fmt.Sprintf("/group-policy/%d/vault-account", gp), fmt.Sprintf(`{"account_id":%v,"role":"inject"}`, vk["id"])))
	if acc["role"] != "inject" {
		t.Fatalf("vault account grant %v", acc)
	}
	// The grants are listed under the policy, and granting twice is refused.
	for sub, want := range map[string]string{
		"jumpoint":      fmt.Sprintf(`{"jumpoint_id":%v}`, jpid),
		"jump-group":    fmt.Sprintf(`{"jump_group_id":%v,`, jg["id"]),
		"vault-account": fmt.Sprintf(`{"account_id":%v,"role":"inject"}`, vk["id"]),
	} {
		r := e.call("GET", fmt.Sprintf("/group-policy/%d/%s", gp, sub), "")
		e.mustStatus(r, http.StatusOK)
		if !strings.Contains(string(r.body), want) {
			t.Errorf("%s grants lack %s: %s", sub, want, r.body)
		}
	}
	errs := e.call("POST", fmt.Sprintf("/group-policy/%d/jumpoint", gp), fmt.Sprintf(`{"jumpoint_id":%v}`, jpid)).errorsBag(t)
	if errs["jumpoint_id"][0] != "The jumpoint id has already been taken." {
		t.Fatalf("double grant: %v", errs)
	}
	errs = e.call("POST", fmt.Sprintf("/group-policy/%d/vault-account", gp), `{"account_id":4242}`).errorsBag(t)
	if len(errs["account_id"]) == 0 {
		t.Fatalf("grant of a missing account: %v", errs)
	}
	e.mustStatus(e.call("POST", "/group-policy/999/jumpoint", fmt.Sprintf(`{"jumpoint_id":%v}`, jpid)), http.StatusNotFound)
	// A Jumpoint that Jump Items still use cannot be deleted; once they are
	// gone, deleting it also removes its grant from the policy.
	r := e.call("DELETE", fmt.Sprintf("/jumpoint/%v", jpid), "")
	if len(r.errorsBag(t)["id"]) == 0 {
		t.Fatalf("deleting a Jumpoint still in use: %s", r.body)
	}
	r = e.call("GET", fmt.Sprintf("/jump-item/shell-jump?jumpoint_id=%v", jpid), "")
	var items []map[string]any
	r.decode(t, &items)
	if len(items) != 1 {
		t.Fatalf("items through the new Jumpoint: %s", r.body)
	}
	e.mustStatus(e.call("DELETE", fmt.Sprintf("/jump-item/shell-jump/%v", items[0]["id"]), ""), http.StatusNoContent)
	e.mustStatus(e.call("DELETE", fmt.Sprintf("/jumpoint/%v", jpid), ""), http.StatusNoContent)
	e.mustStatus(e.call("GET", fmt.Sprintf("/group-policy/%d/jumpoint/%v", gp, jpid), ""), http.StatusNotFound)
}
