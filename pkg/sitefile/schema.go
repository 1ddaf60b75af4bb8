package sitefile

import (
	"encoding/json"
	"io"

	"github.com/infractl/infra/pkg/api/request"
)

// Schema returns a JSON Schema (draft 2020-12) of the site file format for the kinds named, generated from the
// catalog: one property per kind, a list of objects whose properties are the writable fields (references by name,
// credentials as {from: …}).
func (c *Catalog) Schema(kinds []string) map[string]any {
	props := map[string]any{}
	for _, name := range kinds {
		k := c.Kind(name)
		fields := map[string]any{}
		for _, f := range k.Fields {
			fields[k.FileField(f.Name)] = c.fieldSchema(k, f)
		}
		if k.derived() {
			props[k.Name] = k.derivedSchema(fields)
			continue
		}
		props[k.Name] = map[string]any{
			"type": []string{"array", "null"},
			"items": map[string]any{
				"type":                 "object",
				"properties":           fields,
				"required":             []string{k.Key},
				"additionalProperties": false,
			},
		}
	}
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"title":                c.Vendor + " site file",
		"type":                 "object",
		"properties":           props,
		"additionalProperties": false,
	}
}

func (c *Catalog) fieldSchema(k *Kind, f request.Field) map[string]any {
	s := map[string]any{}
	if f.Help != "" {
		s["description"] = f.Help
	}
	switch {
	case k.Secret[f.Name]:
		s["type"] = "object"
		s["properties"] = map[string]any{"from": map[string]any{"type": "string", "pattern": "^(env:.+|file:.+)$"}}
		s["required"] = []string{"from"}
		s["additionalProperties"] = false
		return s
	case k.Duration[f.Name]: // 40m, or a count of nanoseconds
		s["type"] = []string{"string", "integer"}
		if f.Pattern != "" {
			s["pattern"] = f.Pattern
		}
		return s
	case k.Refs[f.Name] != "":
		s["type"] = "string"
		s["description"] = "name of a " + k.Refs[f.Name]
		return s
	}
	types := map[request.FieldType]string{request.Integer: "integer", request.Number: "number", request.Boolean: "boolean",
		request.Array: "array", request.Object: "object"}
	t, ok := types[f.Type]
	if !ok {
		t = "string"
	}
	s["type"] = t
	if f.Nullable {
		s["type"] = []string{t, "null"}
	}
	if len(f.Enum) > 0 {
		s["enum"] = f.Enum
	}
	if f.Min != nil {
		s["minimum"] = *f.Min
	}
	if f.Max != nil {
		s["maximum"] = *f.Max
	}
	if f.MaxLen > 0 {
		s["maxLength"] = f.MaxLen
	}
	if f.Type == request.Array && f.Items != "" {
		if it, ok := types[f.Items]; ok {
			s["items"] = map[string]any{"type": it}
		} else {
			s["items"] = map[string]any{"type": "string"}
		}
	}
	return s
}

// WriteSchema writes the JSON Schema, indented.
func (c *Catalog) WriteSchema(w io.Writer, kinds []string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c.Schema(kinds))
}
