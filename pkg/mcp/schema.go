package mcp

import (
	"fmt"
	"slices"
	"strings"

	"github.com/infractl/infra/pkg/api/request"
)

// Option is a command flag of an operation that is not one of its catalog fields: the context of a Jotelulu call
// (--organization, --subscription), a workflow switch (--wait). Executor.Options reports them.
type Option struct {
	Name string // flag name without dashes
	Type string // pflag value type: string, bool, int, duration, stringSlice, intSlice…
	Help string
}

// inputFields are the fields an agent may set: the body fields that are not read-only, then the query parameters
// not already in the body; secret fields are left out (they come from the server's side only).
func inputFields(op *request.Op, secret func(string) bool) []request.Field {
	var out []request.Field
	seen := map[string]bool{}
	if op.TakesBody() {
		for _, f := range op.Body {
			if f.ReadOnly || secret(f.Name) {
				continue
			}
			seen[f.Name] = true
			out = append(out, f)
		}
	}
	for _, f := range op.Query {
		if !seen[f.Name] && !secret(f.Name) {
			out = append(out, f)
		}
	}
	return out
}

// secretFields are the operation's fields that hold credentials: its secret body fields, and the one its command
// reads on stdin (stdin, "" for none).
func secretFields(op *request.Op, secret func(string) bool, stdin string) []string {
	var out []string
	for _, f := range op.Body {
		if !f.ReadOnly && secret(f.Name) {
			out = append(out, f.Name)
		}
	}
	if stdin != "" && !slices.Contains(out, stdin) {
		out = append(out, stdin)
	}
	return out
}

func fieldSchema(f *request.Field) map[string]any {
	s := map[string]any{}
	typ := func(t request.FieldType) string {
		switch t {
		case request.Integer, request.Number, request.Boolean, request.Array, request.Object:
			return string(t)
		}
		return "string"
	}
	t := typ(f.Type)
	if f.Nullable {
		s["type"] = []string{t, "null"}
	} else {
		s["type"] = t
	}
	if f.Type == request.DateTime {
		s["format"] = "date-time"
	}
	if f.Type == request.Array {
		items := map[string]any{"type": typ(f.Items)}
		if f.Items == "" {
			items["type"] = "string"
		}
		if len(f.Enum) > 0 {
			items["enum"] = f.Enum
		}
		s["items"] = items
	} else if len(f.Enum) > 0 {
		s["enum"] = f.Enum
	}
	if f.MinLen > 0 {
		s["minLength"] = f.MinLen
	}
	if f.MaxLen > 0 {
		s["maxLength"] = f.MaxLen
	}
	if f.Pattern != "" {
		s["pattern"] = f.Pattern
	}
	if f.Min != nil {
		s["minimum"] = *f.Min
	}
	if f.Max != nil {
		s["maximum"] = *f.Max
	}
	desc := f.Help
	if f.Default != "" {
		desc = strings.TrimSpace(desc + " (server default: " + f.Default + ")")
	}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func optionSchema(o Option) map[string]any {
	s := map[string]any{"description": o.Help}
	switch o.Type {
	case "bool":
		s["type"] = "boolean"
	case "int", "int64", "uint":
		s["type"] = "integer"
	case "stringSlice", "stringArray", "strings":
		s["type"] = "array"
		s["items"] = map[string]any{"type": "string"}
	case "intSlice", "ints":
		s["type"] = "array"
		s["items"] = map[string]any{"type": "integer"}
	case "duration":
		s["type"] = "string"
		s["description"] = strings.TrimSpace(o.Help + " (a duration such as 90s or 10m)")
	default:
		s["type"] = "string"
	}
	return s
}

// InputSchema is the JSON Schema of call_operation's arguments for o: the operation name, its path arguments, its
// fields (types, enums, bounds and required ones from the catalog), its options and, for lists, the paging controls.
func InputSchema(o *Operation, opts []Option, secret func(string) bool, secrets []string) map[string]any {
	op := o.Op
	props := map[string]any{
		"operation": map[string]any{"type": "string", "const": o.Name},
	}
	required := []string{"operation"}
	if len(op.Args) > 0 {
		args := map[string]any{}
		var req []string
		for i, a := range op.Args {
			s := map[string]any{"type": "string", "description": strings.TrimSpace(a.Name + ": " + a.Help)}
			if a.Integer {
				s = map[string]any{"type": []string{"integer", "string"}, "description": s["description"].(string) + " (a positive integer)"}
			}
			if op.MultiID && i == len(op.Args)-1 {
				s = map[string]any{"description": s["description"].(string) + "; one id or a list of ids",
					"anyOf": []any{s, map[string]any{"type": "array", "items": s, "minItems": 1}}}
			}
			args[a.Param] = s
			req = append(req, a.Param)
		}
		props["args"] = map[string]any{"type": "object", "properties": args, "required": req, "additionalProperties": false,
			"description": "path arguments"}
		required = append(required, "args")
	}
	fields := inputFields(op, secret)
	if len(fields) > 0 {
		fp := map[string]any{}
		var req []string
		for i := range fields {
			f := &fields[i]
			fp[f.Name] = fieldSchema(f)
			inBody := op.TakesBody() && hasField(op.Body, f.Name)
			if f.Required && (!inBody || op.WholeBody()) {
				req = append(req, f.Name)
			}
		}
		s := map[string]any{"type": "object", "properties": fp, "additionalProperties": false,
			"description": "request fields by their API names"}
		if len(req) > 0 {
			s["required"] = req
			required = append(required, "fields")
		}
		props["fields"] = s
	}
	if len(opts) > 0 {
		op := map[string]any{}
		for _, o := range opts {
			op[o.Name] = optionSchema(o)
		}
		props["options"] = map[string]any{"type": "object", "properties": op, "additionalProperties": false,
			"description": "command options (context and workflow switches), by flag name"}
	}
	if sf := secrets; len(sf) > 0 {
		props["secrets"] = map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": sf},
			"description": "secret fields to fill from the server's configuration (they are never taken from the call)"}
	}
	if op.Kind == request.KindList {
		props["per_page"] = map[string]any{"type": "integer", "minimum": minPerPage, "maximum": maxPerPage,
			"description": fmt.Sprintf("items per result (default %d)", defaultPerPage)}
		props["cursor"] = map[string]any{"type": "string", "description": "next_cursor of the previous result, to continue the list"}
	}
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
}

func hasField(fields []request.Field, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}
