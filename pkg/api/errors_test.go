package api

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestKindOf(t *testing.T) {
	cases := []struct {
		err  error
		want ErrorKind
	}{
		{nil, KindOther},
		{errors.New("boom"), KindOther},
		{&UsageError{Err: errors.New("bad flag")}, KindUsage},
		{fmt.Errorf("wrapped: %w", &UsageError{Err: errors.New("x")}), KindUsage},
		{&AuthError{Err: errors.New("no credential")}, KindAuth},
		{fmt.Errorf("op: %w", &HTTPError{StatusCode: 403}), KindAuth},
		{&HTTPError{StatusCode: 401}, KindAuth},
		{&HTTPError{StatusCode: 404}, KindNotFound},
		{&HTTPError{StatusCode: 429}, KindRateLimited},
		{&HTTPError{StatusCode: 422}, KindUsage},
		{&HTTPError{StatusCode: 500}, KindOther},
		{context.Canceled, KindInterrupted},
		{fmt.Errorf("get: %w", context.Canceled), KindInterrupted},
		{&AuthError{Err: fmt.Errorf("token: %w", context.Canceled)}, KindInterrupted},
		{context.DeadlineExceeded, KindOther},
		{&PinError{Host: "h", Expected: "sha256:aa", Got: "sha256:bb"}, KindOther},
	}
	for _, c := range cases {
		if got := KindOf(c.err); got != c.want {
			t.Errorf("KindOf(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	if KindOf(errors.Join(errors.New("a"), &HTTPError{StatusCode: 404})) != KindNotFound {
		t.Error("joined errors are not searched")
	}
}

func TestParseErrorBody(t *testing.T) {
	cases := []struct {
		name, body, ct string
		msg            string
		fields         map[string][]string
	}{
		{"message", `{"message":"Not found."}`, "application/json", "Not found.", nil},
		{"oauth", `{"error":"access_denied","message":"Denied."}`, "application/json", "Denied.", nil},
		{"oauth description", `{"error":"invalid_client","error_description":"Unknown client."}`, "", "Unknown client.", nil},
		{"error only", `{"error":"invalid_grant"}`, "", "invalid_grant", nil},
		{"nested error", `{"error":{"code":7,"message":"Quota exceeded"}}`, "", "Quota exceeded", nil},
		{"errors list", `{"errors":["a is required",{"message":"b is too long"}]}`, "", "a is required; b is too long", nil},
		{"message and list", `{"message":"Invalid","errors":[{"field":"name","message":"taken"}]}`, "", "Invalid: name: taken", nil},
		{"validation bag", `{"message":"Invalid","errors":{"name":["taken","too long"],"ttl":"must be positive"}}`, "",
			"Invalid", map[string][]string{"name": {"taken", "too long"}, "ttl": {"must be positive"}}},
		{"array", `[{"detail":"x failed"}]`, "", "x failed", nil},
		{"plain text", "\n  Service temporarily unavailable\nretry later", "text/plain", "Service temporarily unavailable", nil},
		{"html", "<html><body>502 Bad Gateway</body></html>", "text/html", "", nil},
		{"empty", "  ", "", "", nil},
		{"broken json", `{"message":`, "application/json", `{"message":`, nil},
	}
	for _, c := range cases {
		msg, fields := parseErrorBody([]byte(c.body), c.ct)
		if msg != c.msg || !reflect.DeepEqual(fields, c.fields) {
			t.Errorf("%s: got %q %v, want %q %v", c.name, msg, fields, c.msg, c.fields)
		}
	}
	long := strings.Repeat("x", 500)
	if msg, _ := parseErrorBody([]byte(long), "text/plain"); len([]rune(msg)) != 301 {
		t.Errorf("long text not shortened: %d runes", len([]rune(msg)))
	}
}

func TestHTTPErrorText(t *testing.T) {
	e := &HTTPError{StatusCode: 404, Method: "GET", URL: "https://h.example/api/config/v1/user/9", Message: "Not Found"}
	if got := e.Error(); got != "GET /api/config/v1/user/9: 404 Not Found" {
		t.Errorf("Error() = %q (status text must not repeat)", got)
	}
	e = &HTTPError{StatusCode: 403, Status: "403 Forbidden", Method: "DELETE", URL: "https://h.example/x", Message: "nope", Hint: "ask an admin"}
	if got := e.Error(); got != "DELETE /x: 403 Forbidden: nope\n  hint: ask an admin" {
		t.Errorf("Error() = %q", got)
	}
	if (&UsageError{}).Error() == "" || (&AuthError{}).Error() == "" {
		t.Error("nil-wrapping errors need a message")
	}
	inner := errors.New("inner")
	if !errors.Is(&UsageError{Err: inner}, inner) || !errors.Is(&AuthError{Err: inner}, inner) {
		t.Error("Unwrap")
	}
}

// TestConflictKind: a 409 and a 422 that only says a value is taken are conflicts; a 422 with other problems is a
// usage error; an id that names nothing is not found.
func TestConflictKind(t *testing.T) {
	taken := &HTTPError{StatusCode: 422, Message: "The name has already been taken.", Fields: map[string][]string{"name": {"The name has already been taken."}}}
	mixed := &HTTPError{StatusCode: 422, Fields: map[string][]string{"name": {"The name has already been taken."}, "port": {"The port must be at most 65535."}}}
	for _, c := range []struct {
		err  error
		want ErrorKind
	}{
		{&HTTPError{StatusCode: 409}, KindConflict},
		{taken, KindConflict},
		{fmt.Errorf("wrapped: %w", taken), KindConflict},
		{mixed, KindUsage},
		{&HTTPError{StatusCode: 422, Message: "invalid"}, KindUsage},
		{&NotFoundError{Err: errors.New("x")}, KindNotFound},
	} {
		if got := KindOf(c.err); got != c.want {
			t.Errorf("KindOf(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
