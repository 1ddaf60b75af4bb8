// Package simutil holds building blocks shared by the vendor API simulators:
// JSON response writing, page arithmetic and Link headers, per-account rate
// limiting with an injectable clock, and an OAuth access-token store.
package simutil

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// WriteJSON writes v as a JSON response with the given status code. The body
// ends with a newline. Encoding errors are reported as a 500 with a generic
// message, since the simulator itself is at fault in that case.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"message":"internal error while encoding the response"}` + "\n")
	}
	WriteRawJSON(w, status, buf.Bytes())
}

// WriteRawJSON writes an already encoded JSON document with the given status.
func WriteRawJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// MessageBody is the simplest error body: {"message": "..."}.
type MessageBody struct {
	Message string `json:"message"`
}

// WriteMessage writes {"message": msg} with the given status code.
func WriteMessage(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, MessageBody{Message: msg})
}

// HeadWriter wraps a ResponseWriter so that headers and status pass through
// but no body bytes are written, which is what a HEAD response needs.
type HeadWriter struct {
	http.ResponseWriter
}

// Write discards p and reports it as written.
func (h HeadWriter) Write(p []byte) (int, error) { return len(p), nil }

// Unwrap gives http.ResponseController access to the underlying writer.
func (h HeadWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }
