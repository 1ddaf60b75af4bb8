package prasim

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/infractl/infra/internal/sim/simutil"
)

// refFor returns the collection a reference field must name for this body:
// AltRef when the discriminating field (from the body, else the stored row)
// selects it.
func refFor(f *Field, body map[string]any, current Row) string {
	if f.AltRef != "" {
		v, ok := body[f.AltWhenField]
		if !ok && current != nil {
			v = current[f.AltWhenField]
		}
		if v == f.AltWhenValue {
			return f.AltRef
		}
	}
	return f.Ref
}

// fillFromParent sets fields holding the enclosing item's key (team_id of a
// team member, account_group_id of a group's account) from the path; a body
// naming another one is a 422.
func (s *Server) fillFromParent(res *resource, parents []int64, body map[string]any, vals Row, errs *errorBag) {
	if len(parents) == 0 {
		return
	}
	parent := parents[len(parents)-1]
	for i := range res.Fields {
		f := &res.Fields[i]
		if !f.FromParent {
			continue
		}
		if v, ok := vals[f.Name].(int64); ok && v != parent {
			errs.add(f.Name, "The "+attr(f.Name)+" must be the one in the request path ("+strconv.FormatInt(parent, 10)+").")
			continue
		}
		if _, given := body[f.Name]; given || vals != nil {
			vals[f.Name] = parent
		}
	}
}

// checkSchema validates a request body against the operation's schema with
// kin-openapi and files every problem under the field it concerns.
func checkSchema(schema *openapi3.Schema, raw []byte, errs *errorBag) {
	if schema == nil {
		return
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		errs.add("body", "The request body is not valid JSON.")
		return
	}
	err := schema.VisitJSON(v, openapi3.MultiErrors())
	if err == nil {
		return
	}
	// A body matching none of several alternatives (the account types of
	// a vault account): explain it against the alternative its
	// discriminating field selects, or ask for that field.
	if obj, ok := v.(map[string]any); ok && len(schema.AnyOf) > 0 {
		field, branch := discriminate(schema.AnyOf, obj)
		switch {
		case branch != nil:
			if e := branch.VisitJSON(v, openapi3.MultiErrors()); e != nil {
				err = e
			}
		case field != "":
			if _, given := obj[field]; !given {
				errs.add(field, "The "+attr(field)+" field is required.")
			} else {
				errs.add(field, "The selected "+attr(field)+" is invalid.")
			}
			return
		}
	}
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case openapi3.MultiError:
			for _, inner := range x {
				walk(inner)
			}
		case *openapi3.SchemaError:
			field := strings.Join(x.JSONPointer(), ".")
			if field == "" {
				field = "body"
				if x.SchemaField == "required" {
					if _, name, ok := strings.Cut(x.Reason, `"`); ok {
						field, _, _ = strings.Cut(name, `"`)
					}
				}
			}
			if x.SchemaField == "required" {
				errs.add(field, "The "+attr(field)+" field is required.")
				return
			}
			reason := x.Reason
			if reason == "" {
				reason = "invalid value"
			}
			errs.add(field, "The "+attr(field)+" is invalid: "+reason+".")
		default:
			errs.add("body", "The request body is invalid: "+e.Error()+".")
		}
	}
	walk(err)
}

// discriminate finds the property that tells alternatives apart (an enum
// in every branch, like a vault account's "type") and, among the branches
// whose enum holds the body's value, the one the body comes closest to
// (nil when none holds it).
func discriminate(branches openapi3.SchemaRefs, body map[string]any) (string, *openapi3.Schema) {
	first := branches[0].Value
	if first == nil {
		return "", nil
	}
	for _, name := range propertyOrder(first) {
		enumEverywhere := true
		for _, b := range branches {
			if b.Value == nil || b.Value.Properties[name] == nil || b.Value.Properties[name].Value == nil ||
				len(b.Value.Properties[name].Value.Enum) == 0 {
				enumEverywhere = false
				break
			}
		}
		if !enumEverywhere {
			continue
		}
		var best *openapi3.Schema
		bestErrs := 0
		for _, b := range branches {
			if !slices.Contains(b.Value.Properties[name].Value.Enum, body[name]) {
				continue
			}
			n := countErrors(b.Value.VisitJSON(any(body), openapi3.MultiErrors()))
			if best == nil || n < bestErrs {
				best, bestErrs = b.Value, n
			}
		}
		return name, best
	}
	return "", nil
}

func countErrors(err error) int {
	if me, ok := err.(openapi3.MultiError); ok {
		n := 0
		for _, e := range me {
			n += countErrors(e)
		}
		return n
	}
	if err != nil {
		return 1
	}
	return 0
}

// schemaFields lists the properties a body schema allows (through oneOf,
// anyOf and allOf); nil when the schema is free-form.
func schemaFields(s *openapi3.Schema) map[string]bool {
	objs := objectSchemas(s, nil)
	if len(objs) == 0 {
		return nil
	}
	out := map[string]bool{}
	for _, o := range objs {
		for n := range o.Properties {
			out[n] = true
		}
	}
	return out
}

func rejectUnknown(w http.ResponseWriter, allowed map[string]bool, body map[string]any) bool {
	var unknown []string
	for k := range body {
		if !allowed[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return true
	}
	sort.Strings(unknown)
	simutil.WriteMessage(w, http.StatusUnauthorized,
		"Unrecognized field(s) in the request body: "+strings.Join(unknown, ", ")+".")
	return false
}

// synthField is the value of a read-only field on a new row when the
// document gives no default.
func synthField(f *Field, now time.Time) any {
	switch f.Type {
	case Boolean:
		return false
	case DateTime:
		// Creation times are now, expiry times a day ahead; the times of
		// events that have not happened yet (last login, last use) are null.
		t := now.UTC().Truncate(time.Second)
		switch {
		case strings.HasPrefix(f.Name, "created"):
			return t
		case strings.Contains(f.Name, "expir"):
			return t.Add(24 * time.Hour)
		}
		return nil
	case Enum:
		if len(f.Enum) > 0 {
			return f.Enum[0]
		}
		return nil
	case String:
		if f.MinLength > 0 && f.MinLength == f.MaxLength {
			return simutil.RandomHex(f.MinLength)[:f.MinLength]
		}
		return ""
	case Array:
		return []any{}
	case Object:
		return map[string]any{}
	case Integer:
		if f.Nullable || strings.HasSuffix(f.Name, "_id") {
			return nil
		}
		if f.HasMin && f.Min > 0 {
			return f.Min
		}
		return int64(0)
	}
	return nil
}

// zeroValue is what an optional field not given on create holds: null when
// the document allows it, otherwise the empty value of its type where that
// is valid (the document's schemas say these fields are never null). Ids
// and date-times without a value stay null.
func zeroValue(f *Field) any {
	if f.Nullable || f.Unique || f.DeriveFrom != "" {
		return nil
	}
	switch f.Type {
	case String:
		if f.MinLength == 0 && f.Pattern == nil {
			return ""
		}
	case Boolean:
		return false
	case Array:
		return []any{}
	case Enum:
		if len(f.Enum) > 0 {
			return f.Enum[0]
		}
	}
	return nil
}

// synth builds a plausible value for a response schema.
func synth(s *openapi3.Schema, now time.Time, depth int) any {
	if s == nil || depth > 6 {
		return nil
	}
	for _, refs := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		if len(refs) > 0 {
			return synth(refs[0].Value, now, depth+1)
		}
	}
	if len(s.AllOf) > 0 {
		out := map[string]any{}
		for _, r := range s.AllOf {
			if m, ok := synth(r.Value, now, depth+1).(map[string]any); ok {
				for k, v := range m {
					out[k] = v
				}
			}
		}
		return out
	}
	if s.Default != nil && s.VisitJSON(s.Default) == nil {
		return s.Default
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	switch {
	case s.Type == nil:
		if len(s.Properties) == 0 {
			return nil
		}
		fallthrough
	case s.Type.Is("object"):
		out := map[string]any{}
		for n, p := range s.Properties {
			if p.Value == nil || p.Value.WriteOnly {
				continue
			}
			out[n] = synth(p.Value, now, depth+1)
		}
		return out
	case s.Type.Is("array"):
		return []any{}
	case s.Type.Is("integer"):
		if s.Min != nil && *s.Min > 0 {
			return int64(*s.Min)
		}
		return int64(1)
	case s.Type.Is("number"):
		return 0
	case s.Type.Is("boolean"):
		return false
	case s.Type.Is("string"):
		if s.Format == "date-time" {
			return now.UTC().Truncate(time.Second).Format(timeLayout)
		}
		if s.MinLength > 0 {
			return strings.Repeat("x", int(s.MinLength))
		}
		return ""
	}
	return nil
}

// acceptsType reports whether an Accept header allows a download of type ct.
// Downloads are also served to clients that send no Accept header.
func acceptsType(values []string, ct string) bool {
	if len(values) == 0 {
		return true
	}
	major, _, _ := strings.Cut(ct, "/")
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f <= 0 {
					continue
				}
			}
			switch mt {
			case ct, "*/*", major + "/*", "application/json", "application/octet-stream":
				return true
			}
		}
	}
	return false
}

// owner finds the item a non-CRUD operation acts on: the deepest item of a
// collection named by the path (e.g. the vault account of
// /vault/account/{id}/check-out), or, for a path whose parameter is named
// after a collection (/jump-approval/{user_id}), that collection's item.
func (m *apiModel) owner(rm *routeMatch) (res *resource, keys []int64) {
	segs := rm.rt.segs
	for k := len(segs); k > 1; k-- {
		if segs[k-1] != "" {
			continue
		}
		norm := "/" + strings.Join(normSegs(segs[:k-1]), "/")
		r := m.collByNorm[norm]
		if r == nil {
			continue
		}
		n := 0
		for _, s := range segs[:k] {
			if s == "" {
				n++
			}
		}
		if n <= len(rm.ids) {
			return r, rm.ids[:n]
		}
	}
	for _, name := range rm.pnames {
		if target, ok := refTargets()[name]; ok {
			if r := m.reg.byName[target]; r != nil && r.Parent == "" {
				id, _ := parseID(rm.params[name])
				return r, []int64{id}
			}
		}
	}
	return nil, nil
}

func normSegs(segs []string) []string {
	out := make([]string, len(segs))
	for i, s := range segs {
		if s == "" {
			out[i] = "{}"
		} else {
			out[i] = s
		}
	}
	return out
}

// lastLiteral is the operation's action name: "copy", "check-out", "node".
func lastLiteral(rt *route) string {
	for i := len(rt.segs) - 1; i >= 0; i-- {
		if rt.segs[i] != "" {
			return rt.segs[i]
		}
	}
	return ""
}

// jumpItemTypes maps the type names used by vault associations to the
// Jump Item collections.
var jumpItemTypes = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"jump_client":     "jump-client",
		"remote_rdp":      "jump-item-remote-rdp",
		"shell_jump":      "jump-item-shell-jump",
		"web_jump":        "jump-item-web-jump",
		"protocol_tunnel": "jump-item-protocol-tunnel-jump",
	}
})

// custom serves the operations that are not plain collection CRUD.
func (s *Server) custom(w http.ResponseWriter, r *http.Request, op *specOp, rm *routeMatch, query []simutil.QueryParam) {
	var qerrs errorBag
	for _, f := range filtersOf(op) {
		if raw, ok := firstValue(query, f.Name); ok {
			var v any = raw
			if f.Type == Integer {
				v = json.Number(strings.TrimSpace(raw))
			}
			convert(&f, f.Name, v, &qerrs)
		}
	}
	if !qerrs.empty() {
		writeValidation(w, &qerrs)
		return
	}
	a := &actionCall{op: op, rm: rm, action: lastLiteral(rm.rt), query: query}
	a.ownerRes, a.ownerKeys = s.model.owner(rm)
	if a.ownerRes != nil {
		s.mu.Lock()
		if missing, ok := s.db.parentsExist(a.ownerRes, a.ownerKeys[:len(a.ownerKeys)-1]); !ok {
			s.mu.Unlock()
			notFound(w, missing.Label)
			return
		}
		row, ok := s.db.get(a.ownerRes, scopeOf(a.ownerKeys[:len(a.ownerKeys)-1]), a.ownerKeys[len(a.ownerKeys)-1])
		s.mu.Unlock()
		if !ok {
			notFound(w, a.ownerRes.Label)
			return
		}
		a.ownerRow = row
	}
	a.body = map[string]any{}
	if op.body != nil || r.ContentLength > 0 {
		body, ok := s.actionBody(w, r, op)
		if !ok {
			return
		}
		a.body = body
	}
	if len(a.ownerKeys) > 0 {
		a.ownerKey = a.ownerKeys[len(a.ownerKeys)-1]
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.actionLocked(w, r, a) {
		return
	}
	// Everything else (provision, job executions, script
	// resources): answer the documented success with a body shaped by the
	// documented schema.
	if op.successSchema == nil {
		w.WriteHeader(op.success)
		return
	}
	simutil.WriteJSON(w, op.success, synth(op.successSchema, s.now(), 0))
}

// actionCall is one request to a custom operation: its route, the resource that owns it (when the path names
// one) and its body.
type actionCall struct {
	op        *specOp
	rm        *routeMatch
	action    string // the last literal segment of the path
	ownerRes  *resource
	ownerKeys []int64
	ownerKey  int64
	ownerRow  Row
	body      map[string]any // read by actions with numbers as float64
	query     []simutil.QueryParam
}

// actionBody reads and checks an action's JSON body: no unknown fields, the schema (relaxed for PATCH) and the
// references. Numbers come back as float64; a body that is not an object is empty.
func (s *Server) actionBody(w http.ResponseWriter, r *http.Request, op *specOp) (map[string]any, bool) {
	b, raw, ok := readBody(w, r)
	if !ok {
		return nil, false
	}
	if !rejectUnknown(w, schemaFields(op.body), b) {
		return nil, false
	}
	var errs errorBag
	schema := op.body
	if op.Method == http.MethodPatch {
		schema = op.bodyPatch
	}
	checkSchema(schema, raw, &errs)
	if errs.empty() {
		s.mu.Lock()
		s.checkRefsLocked(b, &errs)
		s.mu.Unlock()
	}
	if !errs.empty() {
		writeValidation(w, &errs)
		return nil, false
	}
	// Actions read numbers as float64.
	body := map[string]any{}
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		body = map[string]any{}
	}
	return body, true
}

// actionLocked answers the actions the simulator carries out; it reports false for the others.
func (s *Server) actionLocked(w http.ResponseWriter, r *http.Request, a *actionCall) bool {
	op, rm, action, ownerRes, ownerKey, ownerRow, body := a.op, a.rm, a.action, a.ownerRes, a.ownerKey, a.ownerRow, a.body
	switch {
	case action == "copy" && ownerRes != nil:
		s.copyLocked(w, r, op, ownerRes, a.ownerKeys, ownerRow, body)
	case ownerRes != nil && ownerRes.Name == "vault-account" && (action == "check-out" || action == "check-in" || action == "force-check-in" || action == "rotate"):
		s.vaultActionLocked(w, action, ownerKey, ownerRow)
	case strings.Contains(rm.rt.template, "/jump-item-association"):
		s.associationLocked(w, op, rm, ownerRes, ownerKey, action, body)
	case action == "group-policies" && ownerRes != nil:
		simutil.WriteJSON(w, http.StatusOK, s.userPoliciesLocked(ownerKey))
	case action == "group-policy-changes" && ownerRes != nil:
		s.policyChangesLocked(w, ownerKey, body)
	case action == "node" && ownerRes != nil:
		name, _ := ownerRow["name"].(string)
		simutil.WriteJSON(w, http.StatusOK, []map[string]any{{
			"id": 1, "hostname": deriveCodeName(name) + "-node1.example.com",
			"public_ip": "203.0.113.10", "private_ip": "10.0.0.10",
			"last_connect_timestamp":    s.now().UTC().Truncate(time.Second).Format(timeLayout),
			"last_disconnect_timestamp": nil,
		}})
	case action == "schedule":
		simutil.WriteJSON(w, http.StatusOK, map[string]any{"timezone": "UTC", "entries": []any{}})
	case action == "remote-rdp-jump-item-candidates":
		s.rdpCandidatesLocked(w, ownerKey)
	case action == "remote-rdp-jump-item-association":
		s.rdpAssociateLocked(w, op, ownerKey, body)
	case strings.HasPrefix(rm.rt.template, "/jump-approval"):
		s.approvalLocked(w, op, rm, action, ownerKey, body, a.query)
	case action == "provision" && ownerRes == nil:
		w.WriteHeader(op.success)
	case action == "execution" && ownerRow != nil:
		s.executionsLocked(w, ownerRow)
	case action == "resource" && ownerRow != nil:
		// The script's first resource, or 404 when it has none.
		res := s.reg.byName["endpoint-automation-resource"]
		ids, _ := ownerRow["resource_ids"].([]any)
		for _, id := range ids {
			n, _ := id.(int64)
			if row, ok := s.db.get(res, "", n); ok {
				writeRow(w, http.StatusOK, res, row, op.show)
				return true
			}
		}
		notFound(w, "Endpoint Automation Resource")
	case action == "reactivate" && ownerRow != nil:
		if _, ok := ownerRow["enabled"]; ok {
			ownerRow["enabled"] = true
		}
		w.WriteHeader(op.success)
	default:
		return false
	}
	return true
}

// rdpAssociateLocked attaches the remote RDP Jump Item named in the body to endpoint ownerKey.
func (s *Server) rdpAssociateLocked(w http.ResponseWriter, op *specOp, ownerKey int64, body map[string]any) {
	id, _ := body["id"].(float64)
	res := s.reg.byName["jump-item-remote-rdp"]
	row, ok := s.db.get(res, "", int64(id))
	if !ok {
		var errs errorBag
		if id == 0 {
			errs.add("id", "The id field is required.")
		} else {
			errs.add("id", "The selected id is invalid.")
		}
		writeValidation(w, &errs)
		return
	}
	row["endpoint_id"] = ownerKey
	simutil.WriteJSON(w, op.success, map[string]any{"id": int64(id)})
}

// executionsLocked lists one finished execution per target endpoint of the job in ownerRow.
func (s *Server) executionsLocked(w http.ResponseWriter, ownerRow Row) {
	ids, _ := ownerRow["endpoint_ids"].([]any)
	start := s.now().UTC().Truncate(time.Second)
	if t, ok := ownerRow["start_at"].(time.Time); ok && t.Before(start) {
		start = t
	}
	out := []map[string]any{}
	for _, id := range ids {
		out = append(out, map[string]any{
			"endpoint_id": id, "state": "finished", "exit_code": 0,
			"started_running_timestamp": start.Format(timeLayout),
			"finished_timestamp":        start.Format(timeLayout),
			"finished_type":             "success", "finished_error": nil,
			"log_file_path": nil, "output_tail": "",
		})
	}
	simutil.WriteJSON(w, http.StatusOK, out)
}

// checkRefsLocked checks the reference fields of an action body.
func (s *Server) checkRefsLocked(body map[string]any, errs *errorBag) {
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		target, ok := refTargets()[k]
		if !ok {
			continue
		}
		if k == "jump_group_id" && body["jump_group_type"] == "personal" {
			target = "user"
		}
		var n float64
		switch x := body[k].(type) {
		case float64:
			n = x
		case json.Number:
			n, _ = x.Float64()
		}
		if n == 0 {
			continue
		}
		res := s.reg.byName[target]
		if res == nil {
			continue
		}
		if _, ok := s.db.get(res, "", int64(n)); !ok {
			errs.add(k, "The selected "+attr(k)+" is invalid.")
		}
	}
}

// copyLocked copies a Jump Item (answering with CopyJumpItemResponse) or a
// Group Policy with its member, team, Jumpoint, Jump Group and vault lists
// (answering with the new policy).
func (s *Server) copyLocked(w http.ResponseWriter, r *http.Request, op *specOp, res *resource, keys []int64, row Row, body map[string]any) {
	scope := scopeOf(keys[:len(keys)-1])
	clone := Row{}
	for k, v := range row {
		clone[k] = cloneValue(v)
	}
	for k, v := range body {
		if f := res.field(k); f != nil {
			var errs errorBag
			if c, ok := convert(f, k, jsonNumber(v), &errs); ok {
				clone[k] = c
			}
		}
	}
	if f := res.field("code_name"); f != nil && f.DeriveFrom != "" {
		src, _ := clone[f.DeriveFrom].(string)
		clone["code_name"] = s.uniqueCodeLocked(res, scope, f, deriveCodeName(src), nil, 0)
	}
	if f := res.field("name"); f != nil && f.Unique && s.takenLocked(res, scope, "name", clone["name"], nil, 0) {
		var errs errorBag
		errs.add("name", "The name has already been taken.")
		writeValidation(w, &errs)
		return
	}
	newKey := s.db.insert(res, scope, clone)
	// Copy the nested collections too.
	from, to := childScope(scope, keys[len(keys)-1]), childScope(scope, newKey)
	for _, c := range res.children {
		if t := s.db.table(c, from, false); t != nil {
			for _, k := range t.order {
				cr := Row{}
				for f, v := range t.rows[k] {
					cr[f] = cloneValue(v)
				}
				s.db.insert(c, to, cr)
			}
		}
	}
	if op.success == http.StatusCreated {
		loc := requestURL(r)
		loc.Path = ConfigBase + res.itemPath(keys[:len(keys)-1], newKey)
		loc.RawQuery = ""
		w.Header().Set("Location", loc.String())
		writeRow(w, http.StatusCreated, res, clone, op.show)
		return
	}
	simutil.WriteJSON(w, op.success, map[string]any{"success": "true", "action": "copy", "destId": newKey})
}

// jsonNumber turns float64 values decoded without UseNumber into the
// json.Number form convert expects.
func jsonNumber(v any) any {
	if f, ok := v.(float64); ok {
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	return v
}

func (s *Server) vaultActionLocked(w http.ResponseWriter, action string, id int64, row Row) {
	if s.checkouts == nil {
		s.checkouts = map[int64]bool{}
	}
	var errs errorBag
	switch action {
	case "check-out":
		if s.checkouts[id] {
			errs.add("id", "The account is already checked out.")
			writeValidation(w, &errs)
			return
		}
		s.checkouts[id] = true
		if _, ok := row["last_checkout_timestamp"]; ok {
			row["last_checkout_timestamp"] = s.now().UTC().Truncate(time.Second)
		}
		cred := map[string]any{"type": row["type"], "username": row["username"]}
		for _, k := range []string{"password", "private_key", "signed_public_cert", "token"} {
			if v, ok := row[k].(string); ok && v != "" {
				cred[k] = v
			}
		}
		if _, ok := cred["password"]; !ok && row["type"] != "ssh" && row["type"] != "ssh_ca" {
			cred["password"] = simutil.RandomHex(12)
		}
		simutil.WriteJSON(w, http.StatusOK, cred)
	case "check-in":
		if !s.checkouts[id] {
			errs.add("id", "The account is not checked out.")
			writeValidation(w, &errs)
			return
		}
		delete(s.checkouts, id)
		w.WriteHeader(http.StatusOK)
	case "force-check-in":
		delete(s.checkouts, id)
		w.WriteHeader(http.StatusOK)
	case "rotate":
		if _, ok := row["password"]; ok || row["type"] == "username_password" || row["type"] == "windows_local" || row["type"] == "windows_domain" {
			row["password"] = simutil.RandomHex(16)
		}
		w.WriteHeader(http.StatusOK)
	}
}

func defaultAssociation() map[string]any {
	return map[string]any{
		"filter_type": "any_jump_items",
		"criteria": map[string]any{
			"shared_jump_groups": []any{}, "host": []any{}, "name": []any{}, "tag": []any{}, "comment": []any{},
		},
		"jump_items": []any{},
	}
}

// associationLocked serves the Jump Item association of a vault account or
// account group: a singleton with a criteria object and a list of items.
func (s *Server) associationLocked(w http.ResponseWriter, op *specOp, rm *routeMatch, res *resource, key int64, action string, body map[string]any) {
	if s.assoc == nil {
		s.assoc = map[string]map[string]any{}
	}
	id := res.Name + "/" + strconv.FormatInt(key, 10)
	a := s.assoc[id]
	if a == nil {
		a = defaultAssociation()
	}
	criteria, _ := a["criteria"].(map[string]any)
	switch action {
	case "jump-item-association":
		switch op.Method {
		case http.MethodGet:
		case http.MethodDelete:
			delete(s.assoc, id)
			w.WriteHeader(op.success)
			return
		default: // POST, PATCH
			for k, v := range body {
				if k == "criteria" {
					if m, ok := v.(map[string]any); ok {
						for ck, cv := range m {
							criteria[ck] = cv
						}
						continue
					}
				}
				a[k] = v
			}
			s.assoc[id] = a
		}
		simutil.WriteJSON(w, op.success, a)
	case "jump-item":
		s.associateItemLocked(w, op, id, a, body)
	case "shared-jump-group":
		s.associateGroupLocked(w, op, id, a, criteria, key, body)
	default:
		w.WriteHeader(op.success)
	}
}

// associateItemLocked adds (or, for DELETE, removes) the Jump Item named in the body to association a (stored as
// id); the item must exist.
func (s *Server) associateItemLocked(w http.ResponseWriter, op *specOp, id string, a, body map[string]any) {
	item := map[string]any{"id": body["id"], "type": body["type"]}
	n, _ := body["id"].(float64)
	target := s.reg.byName[jumpItemTypes()[fmt.Sprint(body["type"])]]
	if target != nil {
		if _, ok := s.db.get(target, "", int64(n)); !ok {
			notFound(w, target.Label)
			return
		}
	}
	items, _ := a["jump_items"].([]any)
	idx := slices.IndexFunc(items, func(e any) bool {
		m, _ := e.(map[string]any)
		return m["id"] == item["id"] && m["type"] == item["type"]
	})
	if op.Method == http.MethodDelete {
		if idx < 0 {
			notFound(w, "Jump Item association")
			return
		}
		a["jump_items"] = slices.Delete(items, idx, idx+1)
		s.assoc[id] = a
		w.WriteHeader(op.success)
		return
	}
	if idx < 0 {
		a["jump_items"] = append(items, item)
	}
	s.assoc[id] = a
	simutil.WriteJSON(w, op.success, item)
}

// associateGroupLocked adds (or, for DELETE, removes) the shared Jump Group named in the body to the criteria of
// association a (stored as id) of account group key.
func (s *Server) associateGroupLocked(w http.ResponseWriter, op *specOp, id string, a, criteria map[string]any, key int64, body map[string]any) {
	g, _ := body["shared_jump_group_id"].(float64)
	if g == 0 {
		var errs errorBag
		errs.add("shared_jump_group_id", "The shared jump group id field is required.")
		writeValidation(w, &errs)
		return
	}
	groups, _ := criteria["shared_jump_groups"].([]any)
	idx := slices.IndexFunc(groups, func(e any) bool { return e == g || e == int64(g) })
	if op.Method == http.MethodDelete {
		if idx < 0 {
			notFound(w, "Jump Group association")
			return
		}
		criteria["shared_jump_groups"] = slices.Delete(groups, idx, idx+1)
		s.assoc[id] = a
		w.WriteHeader(op.success)
		return
	}
	if idx < 0 {
		criteria["shared_jump_groups"] = append(groups, int64(g))
	}
	s.assoc[id] = a
	if op.successSchema == nil {
		w.WriteHeader(op.success)
		return
	}
	simutil.WriteJSON(w, op.success, map[string]any{"account_group_id": key, "shared_jump_group_id": int64(g)})
}

// userPoliciesLocked lists the Group Policies naming the user as a member.
func (s *Server) userPoliciesLocked(user int64) []json.RawMessage {
	gp := s.reg.byName["group-policy"]
	members := s.reg.byName["group-policy-member"]
	out := []json.RawMessage{}
	t := s.db.table(gp, "", false)
	if t == nil {
		return out
	}
	for _, k := range t.order {
		mt := s.db.table(members, childScope("", k), false)
		if mt == nil {
			continue
		}
		for _, m := range mt.list() {
			if v, _ := m["user_id"].(int64); v == user {
				var b bytes.Buffer
				encodeRow(&b, gp, t.rows[k])
				out = append(out, b.Bytes())
				break
			}
		}
	}
	return out
}

// policyChangesLocked adds the user to the Group Policies listed in
// "added" and removes them from those in "removed".
func (s *Server) policyChangesLocked(w http.ResponseWriter, user int64, body map[string]any) {
	gp := s.reg.byName["group-policy"]
	members := s.reg.byName["group-policy-member"]
	var errs errorBag
	ids := func(key string) []int64 {
		list, _ := body[key].([]any)
		var out []int64
		for i, v := range list {
			n, _ := v.(float64)
			if _, ok := s.db.get(gp, "", int64(n)); !ok {
				errs.add(key+"."+strconv.Itoa(i), "The selected "+attr(key)+" is invalid.")
				continue
			}
			out = append(out, int64(n))
		}
		return out
	}
	added, removed := ids("added"), ids("removed")
	if !errs.empty() {
		writeValidation(w, &errs)
		return
	}
	for _, p := range added {
		scope := childScope("", p)
		found := false
		if t := s.db.table(members, scope, false); t != nil {
			for _, m := range t.rows {
				if v, _ := m["user_id"].(int64); v == user {
					found = true
				}
			}
		}
		if !found {
			s.insertLocked("group-policy-member", scope, Row{"user_id": user})
		}
	}
	for _, p := range removed {
		scope := childScope("", p)
		if t := s.db.table(members, scope, false); t != nil {
			for _, k := range slices.Clone(t.order) {
				if v, _ := t.rows[k]["user_id"].(int64); v == user {
					s.db.delete(members, scope, k)
				}
			}
		}
	}
	simutil.WriteJSON(w, http.StatusOK, s.userPoliciesLocked(user))
}

// rdpCandidatesLocked lists the Remote RDP Jump Items that could be linked
// to a vault endpoint: those not linked to one yet.
func (s *Server) rdpCandidatesLocked(w http.ResponseWriter, endpoint int64) {
	res := s.reg.byName["jump-item-remote-rdp"]
	out := []map[string]any{}
	if t := s.db.table(res, "", false); t != nil {
		for _, k := range t.order {
			if e, ok := t.rows[k]["endpoint_id"].(int64); !ok || e == endpoint {
				out = append(out, map[string]any{"id": k})
			}
		}
	}
	simutil.WriteJSON(w, http.StatusOK, out)
}

// approvalLocked serves Jump approval requests: a user requests access to a
// Jump Item, an approver answers, and both can list them.
func (s *Server) approvalLocked(w http.ResponseWriter, op *specOp, rm *routeMatch, action string, user int64, body map[string]any, query []simutil.QueryParam) {
	num := func(k string) int64 { n, _ := body[k].(float64); return int64(n) }
	switch {
	case action == "request":
		now := s.now().UTC().Truncate(time.Second)
		start := now
		if n := num("start"); n > 0 {
			start = time.Unix(n, 0).UTC()
		}
		dur := num("duration")
		if dur == 0 {
			dur = 7200
		}
		reason, _ := body["reason"].(string)
		row := Row{
			"id": int64(len(s.approvals) + 1), "created_by_user_id": num("user_id"),
			"jump_item_id": num("jump_item_id"), "jump_item_type": body["jump_item_type"],
			"duration": dur, "request_reason": reason, "response_comments": "",
			"start_timestamp": start.Format(timeLayout), "state": "pending",
		}
		s.approvals = append(s.approvals, row)
		simutil.WriteJSON(w, http.StatusOK, map[string]any{"message": "The request was created (id " + strconv.FormatInt(row["id"].(int64), 10) + ")."})
	case action == "approve":
		id := num("id")
		if id < 1 || int(id) > len(s.approvals) {
			simutil.WriteMessage(w, http.StatusBadRequest, "The request does not exist.")
			return
		}
		row := s.approvals[id-1]
		if row["state"] != "pending" {
			simutil.WriteMessage(w, http.StatusBadRequest, "The request is not pending.")
			return
		}
		row["state"] = body["answer"]
		if c, ok := body["comments"].(string); ok {
			row["response_comments"] = c
		}
		simutil.WriteJSON(w, http.StatusOK, map[string]any{"message": "The request was " + fmt.Sprint(body["answer"]) + "."})
	case action == "view":
		id, _ := parseID(rm.params["id"])
		for _, row := range s.approvals {
			if row["id"] == id && row["created_by_user_id"] == user {
				simutil.WriteJSON(w, http.StatusOK, row)
				return
			}
		}
		notFound(w, "Jump approval request")
	default: // list a user's requests
		state, _ := firstValue(query, "state")
		out := []Row{}
		for _, row := range s.approvals {
			if row["created_by_user_id"] == user && (state == "" || row["state"] == state) {
				out = append(out, row)
			}
		}
		simutil.WriteJSON(w, http.StatusOK, out)
	}
}

// download serves the file operations: the OpenAPI document, the btapi
// command line tool, Jumpoint and Jump Client installers.
func (s *Server) download(w http.ResponseWriter, r *http.Request, op *specOp, rm *routeMatch) {
	var name string
	var data []byte
	switch {
	case rm.rt.template == "/openapi.yaml":
		name, data = "openapi.yaml", s.model.yaml
	case strings.HasPrefix(rm.rt.template, "/cli/"):
		platform := rm.params["platform"]
		name, data = "btapi-"+platform+".zip", cliZip(platform)
	case strings.HasPrefix(rm.rt.template, "/jumpoint/"):
		s.mu.Lock()
		row, ok := s.db.get(s.reg.byName["jumpoint"], "", rm.ids[0])
		platform, _ := row["platform"].(string)
		code, _ := row["code_name"].(string)
		s.mu.Unlock()
		if !ok {
			notFound(w, "Jumpoint")
			return
		}
		name = "jumpoint-" + code + "-" + platform
		if strings.HasPrefix(platform, "windows") {
			name += ".exe"
		} else {
			name += ".bin"
		}
		data = installer("Jumpoint", code, platform)
	case strings.HasPrefix(rm.rt.template, "/jump-client/installer/"):
		iid, platform := rm.params["installer_id"], rm.params["platform"]
		s.mu.Lock()
		found := false
		var exp time.Time
		if t := s.db.table(s.reg.byName["jump-client-installer"], "", false); t != nil {
			for _, row := range t.list() {
				if row["installer_id"] == iid {
					found = true
					exp, _ = row["expiration_timestamp"].(time.Time)
				}
			}
		}
		s.mu.Unlock()
		if !found {
			notFound(w, "Jump Client Installer")
			return
		}
		if !exp.IsZero() && !s.now().Before(exp) {
			simutil.WriteMessage(w, http.StatusNotFound, "The Jump Client Installer has expired.")
			return
		}
		ext := map[string]string{"linux-64": ".bin", "raspberry-pi-32-headless": ".bin", "mac-dmg": ".dmg",
			"mac-zip": ".zip", "windows-64-msi": ".msi", "windows-32-msi": ".msi"}[platform]
		name, data = "jump-client-"+iid[:8]+"-"+platform+ext, installer("Jump Client", iid, platform)
	default:
		name, data = "download.bin", []byte{}
	}
	h := w.Header()
	h.Set("Content-Type", op.successType)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// installer returns a small, deterministic stand-in for an installer: a
// shell script for Linux platforms (the guide's setup script runs it with
// sh), opaque bytes with a recognisable header otherwise.
func installer(kind, id, platform string) []byte {
	var b bytes.Buffer
	if strings.HasPrefix(platform, "linux") || strings.HasPrefix(platform, "raspberry") {
		fmt.Fprintf(&b, "#!/bin/sh\n# BeyondTrust PRA %s installer (sandbox) %s %s\n", kind, id, platform)
		b.WriteString("echo \"sandbox installer: nothing to install\"\nexit 0\n")
	} else {
		fmt.Fprintf(&b, "BTPRA-SANDBOX %s installer %s %s\n", kind, id, platform)
	}
	b.Write(bytes.Repeat([]byte{0x42}, 4096))
	return b.Bytes()
}

// cliZip returns a zip archive holding a stand-in btapi tool.
func cliZip(platform string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	name := "btapi"
	if platform == "win32" {
		name = "btapi.exe"
	}
	hdr := &zip.FileHeader{Name: name, Method: zip.Deflate}
	hdr.SetMode(0o755)
	hdr.Modified = time.Date(2023, 10, 1, 0, 0, 0, 0, time.UTC)
	f, err := zw.CreateHeader(hdr)
	if err == nil {
		fmt.Fprintf(f, "#!/bin/sh\necho 'btapi sandbox stand-in (%s): use infra pra instead' >&2\nexit 1\n", platform)
	}
	_ = zw.Close()
	return b.Bytes()
}
