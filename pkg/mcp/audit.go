package mcp

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/infractl/infra/pkg/api"
)

// AuditRecord is one line of the audit log: one tool call.
type AuditRecord struct {
	Time       time.Time      `json:"time"`
	Tool       string         `json:"tool"`
	Operation  string         `json:"operation,omitempty"`
	Arguments  map[string]any `json:"arguments"`
	Outcome    string         `json:"outcome"` // ok, error, refused, declined, asked
	Error      string         `json:"error,omitempty"`
	DurationMS int64          `json:"duration_ms"`
	Session    string         `json:"session,omitempty"`
}

// Audit outcomes.
const (
	OutcomeOK       = "ok"
	OutcomeError    = "error"    // the operation ran and failed (or its input was invalid)
	OutcomeRefused  = "refused"  // the server's policy refused it; nothing was sent
	OutcomeDeclined = "declined" // the client did not confirm an irreversible operation; nothing was sent
	OutcomeAsked    = "asked"    // the user's confirmation was requested; the call comes again with the answer
)

// Auditor writes one JSON line per tool call to a file opened for appending only, readable by its owner alone, and
// synced after every line. A nil *Auditor writes nothing.
type Auditor struct {
	mu sync.Mutex
	f  *os.File
}

// OpenAudit opens (or creates, mode 0600) the audit file for appending. An existing file readable by others is
// refused rather than silently widened.
func OpenAudit(path string) (*Auditor, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit file: %w", err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("audit file %s is not a regular file", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		f.Close()
		return nil, fmt.Errorf("audit file %s is readable or writable by others (mode %v): make it 0600", path, st.Mode().Perm())
	}
	return &Auditor{f: f}, nil
}

// Write appends r as one line and syncs it. Arguments are redacted and the error scrubbed here, whatever the caller
// did.
func (a *Auditor) Write(r AuditRecord) error {
	if a == nil {
		return nil
	}
	if r.Arguments == nil {
		r.Arguments = map[string]any{}
	}
	args, _ := Redact(cloneJSON(r.Arguments))
	r.Arguments, _ = args.(map[string]any)
	r.Error = api.Scrub(r.Error)
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(append(b, '\n')); err != nil {
		return err
	}
	return a.f.Sync()
}

// Close closes the audit file.
func (a *Auditor) Close() error {
	if a == nil {
		return nil
	}
	return a.f.Close()
}

// cloneJSON deep-copies a decoded JSON value (so redaction never touches what the call uses).
func cloneJSON(v map[string]any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return map[string]any{}
	}
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
