package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrorKind classifies an error by what went wrong, as the caller of a client needs to know it; the command line
// decides what each kind means to a user (its exit code, in package cmdutil).
type ErrorKind int

// The kinds of error.
const (
	KindOther       ErrorKind = iota // any other failure: a server error, a 400, a file that cannot be written
	KindUsage                        // how the command was invoked, or input the server rejected as invalid (422)
	KindAuth                         // authentication or permission (401, 403, token endpoint failures, no credentials)
	KindNotFound                     // the resource does not exist (404)
	KindRateLimited                  // still rate limited (429) after the automatic retries
	KindInterrupted                  // cancelled (Ctrl-C, SIGTERM, a cancelled context)
	KindConflict                     // the item already exists, or the request conflicts with the current state (409)
)

// KindOf classifies err; nil is KindOther too, callers test for nil first.
func KindOf(err error) ErrorKind {
	if errors.Is(err, context.Canceled) {
		return KindInterrupted
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return KindUsage
	}
	var ae *AuthError
	if errors.As(err, &ae) {
		return KindAuth
	}
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return KindNotFound
	}
	var he *HTTPError
	if errors.As(err, &he) {
		switch he.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return KindAuth
		case http.StatusNotFound:
			return KindNotFound
		case http.StatusTooManyRequests:
			return KindRateLimited
		case http.StatusConflict:
			return KindConflict
		case http.StatusUnprocessableEntity:
			if he.AlreadyExists() {
				return KindConflict
			}
			return KindUsage
		}
	}
	return KindOther
}

// AlreadyExists reports a validation answer (422) that refuses the request only because a unique value is taken
// already: PRA answers a duplicate name with {"errors": {"name": ["The name has already been taken."]}}. An answer
// that also reports other problems is a validation error.
func (e *HTTPError) AlreadyExists() bool {
	if e.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	if len(e.Fields) == 0 {
		return saysTaken(e.Message)
	}
	for _, msgs := range e.Fields {
		for _, m := range msgs {
			if !saysTaken(m) {
				return false
			}
		}
	}
	return true
}

func saysTaken(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "already been taken") || strings.Contains(m, "already exists") || strings.Contains(m, "already exist ")
}

// NotFoundError reports an item that does not exist, found out without asking the server (an id that names
// nothing, such as the "null" jq prints for a missing item): KindNotFound.
type NotFoundError struct{ Err error }

func (e *NotFoundError) Error() string { return e.Err.Error() }

func (e *NotFoundError) Unwrap() error { return e.Err }

// maxErrorBody caps how much of an error response is kept.
const maxErrorBody = 1 << 20

// HTTPError is returned by Client.Do for every response with a status of 400 or more.
type HTTPError struct {
	StatusCode int
	Status     string // e.g. "404 Not Found"
	Method     string
	URL        string // with secrets in the query string redacted
	Body       []byte // at most 1 MiB of the response body
	// Message is the most useful human-readable text found in the body.
	Message string
	// Fields holds per-field validation messages (PRA answers 422 with {"message", "errors": {field: [msgs]}}).
	Fields map[string][]string
	// Allow is the Allow header (sent with 405).
	Allow string
	// RetryAfter is the server's Retry-After (or rate-limit reset) delay, when it sent one.
	RetryAfter time.Duration
	// Hint is extra advice a vendor client may attach (for example which permission a 403 needs).
	Hint   string
	Header http.Header
}

// Error renders "<METHOD> <path>: <status>: <message>", followed by one indented line per invalid field and the hint.
func (e *HTTPError) Error() string {
	var b strings.Builder
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(errorPath(e.URL))
	b.WriteString(": ")
	status := e.Status
	if status == "" {
		status = strconv.Itoa(e.StatusCode) + " " + http.StatusText(e.StatusCode)
	}
	b.WriteString(strings.TrimSpace(status))
	if e.Message != "" && !strings.EqualFold(e.Message, http.StatusText(e.StatusCode)) {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, m := range e.Fields[k] {
			fmt.Fprintf(&b, "\n  %s: %s", k, m)
		}
	}
	if e.StatusCode == http.StatusTooManyRequests && e.RetryAfter > 0 {
		fmt.Fprintf(&b, "\n  the server asks to retry after %s", e.RetryAfter.Round(time.Second))
	}
	if e.Hint != "" {
		b.WriteString("\n  hint: ")
		b.WriteString(e.Hint)
	} else if e.Allow != "" {
		b.WriteString("\n  allowed methods: ")
		b.WriteString(e.Allow)
	}
	return Scrub(b.String())
}

// errorPath shortens a URL to its path and query for messages.
func errorPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" && u.RawQuery == "" {
		return raw
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		// The query was redacted already; keep it verbatim (url.Parse leaves RawQuery untouched).
		p += "?" + u.RawQuery
	}
	return p
}

// PinError reports that a server's certificate does not match the pinned fingerprint.
type PinError struct {
	Host     string
	Expected string // "sha256:<hex>" that was pinned
	Got      string // "sha256:<hex>" the server presented
}

func (e *PinError) Error() string {
	host := e.Host
	if host == "" {
		host = "server"
	}
	return fmt.Sprintf("TLS certificate of %s does not match the pinned fingerprint: expected %s, got %s "+
		"(if the certificate was replaced on purpose, update the pin)", host, e.Expected, e.Got)
}

// UsageError marks an error caused by how the command was invoked (KindUsage).
type UsageError struct{ Err error }

func (e *UsageError) Error() string {
	if e.Err == nil {
		return "invalid usage"
	}
	return e.Err.Error()
}

func (e *UsageError) Unwrap() error { return e.Err }

// AuthError marks an authentication failure outside a normal API response (token endpoint errors, missing
// credentials): KindAuth.
type AuthError struct{ Err error }

func (e *AuthError) Error() string {
	if e.Err == nil {
		return "authentication failed"
	}
	return Scrub(e.Err.Error())
}

func (e *AuthError) Unwrap() error { return e.Err }

// parseErrorBody extracts a human message and per-field validation messages from an error response body.
func parseErrorBody(body []byte, contentType string) (string, map[string][]string) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return "", nil
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil {
			return messageFromJSON(v)
		}
	}
	ct := strings.ToLower(contentType)
	if trimmed[0] == '<' || strings.Contains(ct, "html") || strings.Contains(ct, "xml") || !utf8.Valid(trimmed) {
		return "", nil
	}
	return firstLine(string(trimmed), 300), nil
}

func messageFromJSON(v any) (string, map[string][]string) {
	switch t := v.(type) {
	case []any:
		return strings.Join(messageList(t), "; "), nil
	case map[string]any:
		var msg string
		for _, k := range []string{"message", "error_description", "detail", "title", "error"} {
			if s, ok := t[k].(string); ok && strings.TrimSpace(s) != "" {
				msg = strings.TrimSpace(s)
				break
			}
		}
		if msg == "" {
			// {"error": {"message": "..."}}
			if inner, ok := t["error"].(map[string]any); ok {
				msg, _ = messageFromJSON(inner)
			}
		}
		var fields map[string][]string
		switch errs := t["errors"].(type) {
		case map[string]any:
			fields = map[string][]string{}
			for field, m := range errs {
				switch mv := m.(type) {
				case []any:
					fields[field] = append(fields[field], messageList(mv)...)
				case string:
					fields[field] = append(fields[field], mv)
				default:
					fields[field] = append(fields[field], compactJSON(mv))
				}
			}
		case []any:
			if list := messageList(errs); len(list) > 0 {
				if msg == "" {
					msg = strings.Join(list, "; ")
				} else {
					msg += ": " + strings.Join(list, "; ")
				}
			}
		case string:
			if msg == "" {
				msg = errs
			}
		}
		if len(fields) == 0 {
			fields = nil
		}
		return msg, fields
	case string:
		return t, nil
	}
	return "", nil
}

// messageList turns a JSON array of strings or of objects carrying a message into strings.
func messageList(items []any) []string {
	var out []string
	for _, it := range items {
		switch x := it.(type) {
		case string:
			out = append(out, x)
		case map[string]any:
			m, fields := messageFromJSON(x)
			if m == "" {
				m = compactJSON(x)
			}
			if f, ok := x["field"].(string); ok && f != "" && !strings.Contains(m, f) {
				m = f + ": " + m
			}
			for k, v := range fields {
				m += "; " + k + ": " + strings.Join(v, ", ")
			}
			out = append(out, m)
		default:
			out = append(out, compactJSON(x))
		}
	}
	return out
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// firstLine returns the first non-empty line of s, cut to at most max runes.
func firstLine(s string, max int) string {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if utf8.RuneCountInString(line) > max {
			r := []rune(line)
			line = string(r[:max]) + "…"
		}
		return line
	}
	return ""
}
