package jotelulu

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
)

func TestBaseURLHasNoDefault(t *testing.T) {
	_, err := BaseURL("  ")
	var ue *api.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "infra config set jotelulu.host") || !strings.Contains(err.Error(), "INFRA_JOTELULU_HOST") {
		t.Fatalf("empty host: %v", err)
	}
	if u, err := BaseURL("api.example.com/"); err != nil || u != "https://api.example.com" {
		t.Errorf("BaseURL = %q, %v", u, err)
	}
}

func TestEnvelopeOnWritesAndUnwrap(t *testing.T) {
	var got struct {
		method, path string
		body         map[string]any
		auth         string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.auth = r.Method, r.URL.Path, r.Header.Get("Authorization")
		b, _ := io.ReadAll(r.Body)
		got.body = nil
		_ = json.Unmarshal(b, &got.body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"id":"9","name":"dmz"},"meta":{"correlationId":"c-1","timestamp":"2026-01-01T00:00:00Z"}}`)
	}))
	defer srv.Close()
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.FixedZone("x", 3600))
	c, err := New(api.Options{}, Settings{Host: srv.URL, Token: "tok.en.x", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	op, _ := Lookup("createisolatednetwork")
	res, err := c.Invoke(context.Background(), &request.Call{Op: &request.Op{ID: "CreateIsolatedNetwork"},
		PathParams: map[string]string{"subscriptionId": "7201"}, Body: map[string]any{"name": "dmz"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.method != op.Method || got.path != "/api-gateway/servers/v1/subscriptions/7201/networks/isolated-networks" {
		t.Errorf("sent %s %s", got.method, got.path)
	}
	if got.auth != "Bearer tok.en.x" {
		t.Errorf("Authorization = %q", got.auth)
	}
	meta, _ := got.body["meta"].(map[string]any)
	if d, _ := got.body["data"].(map[string]any); d["name"] != "dmz" {
		t.Errorf("data = %v", got.body["data"])
	}
	if id, _ := meta["requestId"].(string); len(id) != 36 {
		t.Errorf("requestId = %v", meta["requestId"])
	}
	if meta["timestamp"] != "2026-05-01T09:00:00Z" {
		t.Errorf("timestamp = %v", meta["timestamp"])
	}
	if m, _ := res.(map[string]any); m["id"] != "9" || m["meta"] != nil {
		t.Errorf("result = %v", res)
	}
	// Two writes get two request ids.
	first := meta["requestId"]
	_, _ = c.Call(context.Background(), "createisolatednetwork", map[string]string{"subscriptionId": "1"}, nil, nil)
	if m, _ := got.body["meta"].(map[string]any); m["requestId"] == first {
		t.Error("request id reused")
	}
	// Reads send no body.
	_, _ = c.Call(context.Background(), "listisolatednetworks", map[string]string{"subscriptionId": "1"}, nil, nil)
	if got.method != "GET" || got.body != nil {
		t.Errorf("GET sent a body: %v", got.body)
	}
}

func TestErrorsCarryCorrelationID(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		_, _ = io.WriteString(w, `{"errors":[{"code":"conflict","message":"range overlaps"}],"meta":{"correlationId":"5b7c","timestamp":"2026-01-01T00:00:00Z"}}`)
	}))
	defer srv.Close()
	c, _ := New(api.Options{}, Settings{Host: srv.URL, Token: "t"})
	_, err := c.Call(context.Background(), "listcoreuserorganizations", nil, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "range overlaps") || !strings.Contains(err.Error(), "correlationId 5b7c") {
		t.Fatalf("err = %v", err)
	}
}

func TestListLimitAndPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"data":[{"id":"1"},{"id":"2"},{"id":"3"}],"meta":{}}`)
	}))
	defer srv.Close()
	c, _ := New(api.Options{}, Settings{Host: srv.URL, Token: "t"})
	call := &request.Call{Op: &request.Op{ID: "listcoreuserorganizations"}}
	var n int
	if err := c.List(context.Background(), call, request.ListOptions{Limit: 2}, func(any) error { n++; return nil }); err != nil || n != 2 {
		t.Errorf("limit 2: %d items, %v", n, err)
	}
	err := c.List(context.Background(), call, request.ListOptions{Page: 2}, func(any) error { return nil })
	var ue *api.UsageError
	if !errors.As(err, &ue) {
		t.Errorf("page 2: %v", err)
	}
}

func TestMissingToken(t *testing.T) {
	_, err := New(api.Options{}, Settings{Host: "h"})
	var ae *api.AuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "infra auth login jotelulu") {
		t.Errorf("err = %v", err)
	}
}

func jwt(payload string) string {
	e := base64.RawURLEncoding.EncodeToString
	return e([]byte(`{"alg":"none"}`)) + "." + e([]byte(payload)) + ".sig"
}

func TestTokenExpiry(t *testing.T) {
	exp, err := TokenExpiry(jwt(`{"sub":"a","exp":1796119200}`))
	if err != nil || !exp.Equal(time.Unix(1796119200, 0)) {
		t.Errorf("exp = %v, %v", exp, err)
	}
	for _, bad := range []string{"abc", jwt(`{"sub":"a"}`), jwt(`[1]`), "a.!!!.c", jwt(`{"exp":"soon"}`)} {
		if _, err := TokenExpiry(bad); err == nil {
			t.Errorf("TokenExpiry(%q) accepted", bad)
		} else if strings.Contains(err.Error(), bad) {
			t.Errorf("error quotes the token: %v", err)
		}
	}
}

func TestSpecApply(t *testing.T) {
	spec, err := ParseSpec([]byte(`{"swagger":"2.0","basePath":"/api-gateway",
	 "paths":{"/servers/v1/subscriptions/{sid}/networks/isolated-networks":{"get":{"operationId":"ListIsolatedNetworks"},
	   "post":{"operationId":"createisolatednetwork"}},
	  "/servers/v1/subs/{sid}/public-ips":{"put":{"operationId":"createsubscriptionpublicip"}},
	  "/x/{a}/{b}":{"get":{"operationId":"listorganizationsubscriptions"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	ops, res := ApplySpec(Ops(), spec)
	status := map[string]SpecResult{}
	for _, r := range res {
		status[r.ID] = r
	}
	if status["listisolatednetworks"].Status != SpecConfirmed || status["createisolatednetwork"].Status != SpecConfirmed {
		t.Errorf("confirmed: %+v %+v", status["listisolatednetworks"], status["createisolatednetwork"])
	}
	r := status["createsubscriptionpublicip"]
	if r.Status != SpecChanged || r.Was != "POST /api-gateway/servers/v1/subscriptions/{subscriptionId}/networks/public-ips" {
		t.Errorf("changed: %+v", r)
	}
	for _, op := range ops {
		if op.ID == "createsubscriptionpublicip" && (op.Method != "PUT" || op.Path != "/api-gateway/servers/v1/subs/{subscriptionId}/public-ips") {
			t.Errorf("moved op = %s %s", op.Method, op.Path)
		}
		if op.ID == "listorganizationsubscriptions" && op.Path != ServersRoot+"/organizations/{organizationId}/subscriptions" {
			t.Errorf("conflicting op moved to %s", op.Path)
		}
	}
	if status["listorganizationsubscriptions"].Status != SpecConflict || status["getinstanceprogress"].Status != SpecAbsent {
		t.Errorf("conflict/absent: %+v %+v", status["listorganizationsubscriptions"], status["getinstanceprogress"])
	}
	if _, err := ParseSpec([]byte("paths: {}")); err == nil {
		t.Error("a document without openapi/swagger was accepted")
	}
	if _, err := ParseSpec([]byte(`{"openapi":"3.0.0","paths":{"/a":{"get":{"operationId":"x"}},"/b":{"get":{"operationId":"X"}}}}`)); err == nil {
		t.Error("duplicate operationId accepted")
	}
}

// A spec given as a URL is fetched with no credentials, even from a client whose options carry the API token.
func TestFetchSpecSendsNoCredentials(t *testing.T) {
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"openapi":"3.0.0","paths":{"/x":{"get":{"operationId":"listapplicationtags"}}}}`)
	}))
	defer srv.Close()
	o := api.Options{Auth: api.StaticToken{Token: "jwt-secret"}}
	spec, err := LoadSpec(context.Background(), o, srv.URL+"/spec.json")
	if err != nil {
		t.Fatal(err)
	}
	if spec["listapplicationtags"].Path != "/x" {
		t.Errorf("spec %v", spec)
	}
	if len(auth) != 1 || auth[0] != "" {
		t.Errorf("Authorization headers at the spec host: %q", auth)
	}
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, MaxSpecSize+1))
	}))
	defer big.Close()
	if _, err := LoadSpec(context.Background(), api.Options{}, big.URL); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized spec: %v", err)
	}
}
