// Command specgen derives the minimised OpenAPI document that the PRA
// simulator embeds from BeyondTrust's Configuration API document.
//
//	go run ./internal/sim/prasim/internal/specgen -in pra-config-openapi-1.10.yaml -out internal/sim/prasim/spec/config-api.json.gz
//
// It keeps what the simulator needs (paths, methods, parameters, request and
// response schemas, enums, required, readOnly, formats, bounds) and drops
// prose (descriptions, summaries, examples, tags). It also repairs the
// vendor document where it is not valid OpenAPI 3.0, so a standard loader
// accepts it: a property marked `required: true` moves into its parent
// schema's `required` list. The result is loaded and validated with
// kin-openapi before it is written.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

func main() {
	in := flag.String("in", "", "vendor OpenAPI document (YAML)")
	out := flag.String("out", "", "where to write the minimised document (JSON; gzip-compressed when the name ends in .gz)")
	flag.Parse()
	if *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: specgen -in VENDOR.yaml -out DERIVED.json")
		os.Exit(2)
	}
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	data, fixes, err := derive(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	stored := data
	if strings.HasSuffix(out, ".gz") {
		var b bytes.Buffer
		zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
		if err != nil {
			return err
		}
		if _, err := zw.Write(data); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		stored = b.Bytes()
	}
	if err := os.WriteFile(out, stored, 0o644); err != nil {
		return err
	}
	for _, f := range fixes {
		fmt.Fprintln(os.Stderr, "repaired:", f)
	}
	parsed, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return err
	}
	ops := 0
	for _, p := range parsed.Paths.Map() {
		ops += len(p.Operations())
	}
	fmt.Fprintf(os.Stderr, "%s: %d paths, %d operations, %d schemas, %d bytes\n",
		out, len(parsed.Paths.Map()), ops, len(parsed.Components.Schemas), len(data))
	return nil
}

// derive turns the vendor document into the minimised one, checking that
// the result loads and validates; it also returns the repairs it made.
func derive(raw []byte) ([]byte, []string, error) {
	var node yaml.Node
	if err := yaml.Unmarshal(raw, &node); err != nil {
		return nil, nil, err
	}
	doc, ok := fromNode(&node).(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("not an OpenAPI document")
	}
	var fixes []string
	small := minimise(doc, &fixes)
	data, err := marshal(small)
	if err != nil {
		return nil, nil, err
	}
	parsed, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, nil, fmt.Errorf("derived document does not load: %w", err)
	}
	if err := parsed.Validate(context.Background(), openapi3.DisableExamplesValidation(), openapi3.DisableSchemaDefaultsValidation()); err != nil {
		return nil, nil, fmt.Errorf("derived document is not valid: %w", err)
	}
	sort.Strings(fixes)
	return data, fixes, nil
}

// marshal writes indented JSON with sorted keys, so regenerating gives
// reviewable diffs.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// prose are the keys dropped wherever they are OpenAPI keywords.
var prose = map[string]bool{
	"description": true, "summary": true, "example": true, "examples": true,
	"externalDocs": true, "tags": true, "x-codeSamples": true, "title": true,
}

// nameMaps are keywords whose value maps names (not keywords) to objects.
var nameMaps = map[string]bool{
	"properties": true, "paths": true, "schemas": true, "responses": true,
	"parameters": true, "headers": true, "content": true, "securitySchemes": true,
	"requestBodies": true, "callbacks": true, "links": true, "encoding": true,
}

// orderKey lists the property names of an object schema in the vendor's
// order (JSON objects have none), so responses list fields as documented.
const orderKey = "x-order"

// fromNode converts a YAML node to plain values, recording the order of
// every "properties" map under orderKey beside it.
func fromNode(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return fromNode(n.Content[0])
	case yaml.AliasNode:
		return fromNode(n.Alias)
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			out[i] = fromNode(c)
		}
		return out
	case yaml.MappingNode:
		out := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			v := n.Content[i+1]
			out[k] = fromNode(v)
			if k == "properties" && v.Kind == yaml.MappingNode {
				var order []any
				for j := 0; j+1 < len(v.Content); j += 2 {
					order = append(order, v.Content[j].Value)
				}
				out[orderKey] = order
			}
		}
		return out
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return n.Value
	}
	return v
}

// responseObject marks a map that is one response of a responses map.
const responseObject = "\x00response"

func minimise(doc map[string]any, fixes *[]string) map[string]any {
	out := map[string]any{}
	for k, v := range doc {
		switch k {
		case "openapi", "servers":
			out[k] = v
		case "info":
			info, _ := v.(map[string]any)
			out[k] = map[string]any{"title": info["title"], "version": info["version"]}
		case "paths", "components":
			out[k] = walk(v, k, "#/"+k, fixes)
		}
	}
	return out
}

// walk copies v, dropping prose keywords. parent is the key under which v
// sits, so property names such as "description" survive.
func walk(v any, parent, at string, fixes *[]string) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		names := nameMaps[parent]
		if !names {
			// Before the properties are walked: a property that is itself
			// an object with required properties gets its own list, which
			// would hide its `required: true`.
			liftRequired(x, at, fixes)
		}
		for k, e := range x {
			if !names && (prose[k] || (strings.HasPrefix(k, "x-") && k != orderKey)) {
				continue
			}
			child := k
			if names {
				child = "" // a named entry: its keys are keywords again
				if parent == "responses" {
					child = responseObject
				}
			}
			out[k] = walk(e, child, at+"/"+k, fixes)
		}
		if parent == responseObject {
			if _, isRef := out["$ref"]; !isRef {
				out["description"] = "" // required by OpenAPI; the prose is dropped
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			// items of allOf/oneOf/anyOf/parameters are objects with keywords
			out[i] = walk(e, "", fmt.Sprintf("%s/%d", at, i), fixes)
		}
		return out
	}
	return v
}

// liftRequired turns properties marked `required: true` (not valid OpenAPI
// 3.0) into entries of the schema's required list.
func liftRequired(schema map[string]any, at string, fixes *[]string) {
	props, ok := schema["properties"].(map[string]any)
	if !ok {
		return
	}
	var req []string
	if list, ok := schema["required"].([]any); ok {
		for _, r := range list {
			if s, ok := r.(string); ok {
				req = append(req, s)
			}
		}
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, name := range keys {
		p, ok := props[name].(map[string]any)
		if !ok {
			continue
		}
		b, isBool := p["required"].(bool)
		if !isBool {
			continue
		}
		delete(p, "required")
		*fixes = append(*fixes, at+"/properties/"+name+": required: "+fmt.Sprint(b))
		if b && !slices.Contains(req, name) {
			req = append(req, name)
		}
	}
	if len(req) > 0 {
		list := make([]any, len(req))
		for i, r := range req {
			list[i] = r
		}
		schema["required"] = list
	}
}
