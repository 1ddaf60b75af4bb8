package virtomizesim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// errorBody is the error document every failing call answers with.
type errorBody struct {
	Errors     []string `json:"errors"`
	Timestamp  int64    `json:"timestamp"`
	StatusCode int      `json:"statuscode"`
	Instance   string   `json:"instance"`
}

// apiError is a failure that is reported to the client with a status code and
// one or more messages.
type apiError struct {
	status int
	msgs   []string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s", e.status, strings.Join(e.msgs, "; "))
}

func newError(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msgs: []string{fmt.Sprintf(format, args...)}}
}

func badRequest(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, format, args...)
}

func notFound(format string, args ...any) *apiError {
	return newError(http.StatusNotFound, format, args...)
}

func conflict(format string, args ...any) *apiError {
	return newError(http.StatusConflict, format, args...)
}

func forbidden(format string, args ...any) *apiError {
	return newError(http.StatusForbidden, format, args...)
}

func unauthorized(format string, args ...any) *apiError {
	return newError(http.StatusUnauthorized, format, args...)
}

// invalid reports a parameter whose value cannot be accepted. The value itself
// is never repeated, so secrets cannot leak into the message.
func invalid(param, format string, args ...any) *apiError {
	return badRequest("invalid parameter: %s: %s", param, fmt.Sprintf(format, args...))
}

// writeJSON answers with status and v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeError answers with the documented error document.
func writeError(w http.ResponseWriter, now time.Time, instance string, err error) {
	e, ok := err.(*apiError)
	if !ok {
		e = &apiError{status: http.StatusInternalServerError, msgs: []string{err.Error()}}
	}
	writeJSON(w, e.status, errorBody{
		Errors:     e.msgs,
		Timestamp:  now.UnixNano(),
		StatusCode: e.status,
		Instance:   instance,
	})
}
