package main

import (
	"encoding/json"
	"strings"
	"testing"
)

const fixture = `openapi: 3.0.0
info:
  title: Sample
  version: '1.0'
  description: long prose
paths:
  /thing:
    post:
      operationId: thing.store
      summary: Create a thing
      description: prose
      tags: [things]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                name:
                  type: string
                  required: true
                  description: The name
                  example: x
                description:
                  type: string
                id:
                  type: integer
                  readOnly: true
                payload:
                  type: object
                  required: true
                  properties:
                    cmd:
                      type: string
                      required: true
      responses:
        '201':
          description: Created
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Thing'
components:
  schemas:
    Thing:
      type: object
      description: A thing
      properties:
        zeta: {type: string}
        alpha: {type: string, enum: [a, b]}
`

func TestDerive(t *testing.T) {
	data, fixes, err := derive([]byte(fixture))
	if err != nil {
		t.Fatal(err)
	}
	if len(fixes) != 3 || !strings.Contains(strings.Join(fixes, "\n"), "properties/name: required: true") {
		t.Fatalf("fixes %v", fixes)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	info := doc["info"].(map[string]any)
	if _, ok := info["description"]; ok {
		t.Error("info description kept")
	}
	op := doc["paths"].(map[string]any)["/thing"].(map[string]any)["post"].(map[string]any)
	for _, k := range []string{"summary", "description", "tags"} {
		if _, ok := op[k]; ok {
			t.Errorf("operation keeps %s", k)
		}
	}
	schema := op["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	props := schema["properties"].(map[string]any)
	if _, ok := props["description"]; !ok {
		t.Error("a property named description was dropped")
	}
	name := props["name"].(map[string]any)
	if _, ok := name["description"]; ok {
		t.Error("property prose kept")
	}
	if _, ok := name["example"]; ok {
		t.Error("example kept")
	}
	if req, _ := schema["required"].([]any); len(req) != 2 || req[0] != "name" || req[1] != "payload" {
		t.Errorf("required %v, want [name payload]", schema["required"])
	}
	// An object property marked required keeps that mark next to its own required list.
	if req, _ := props["payload"].(map[string]any)["required"].([]any); len(req) != 1 || req[0] != "cmd" {
		t.Errorf("payload required %v, want [cmd]", props["payload"].(map[string]any)["required"])
	}
	if id := props["id"].(map[string]any); id["readOnly"] != true {
		t.Error("readOnly lost")
	}
	thing := doc["components"].(map[string]any)["schemas"].(map[string]any)["Thing"].(map[string]any)
	if order := thing["x-order"].([]any); len(order) != 2 || order[0] != "zeta" || order[1] != "alpha" {
		t.Errorf("property order %v", thing["x-order"])
	}
	resp := op["responses"].(map[string]any)["201"].(map[string]any)
	if resp["description"] != "" {
		t.Errorf("response description %v, want empty", resp["description"])
	}
}

func TestDeriveRejectsBrokenDocuments(t *testing.T) {
	if _, _, err := derive([]byte("openapi: 3.0.0\npaths: [1, 2]\n")); err == nil {
		t.Fatal("accepted a document whose paths are a list")
	}
}
