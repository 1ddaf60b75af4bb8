package events

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Kind is one kind of exported event and the report it comes from.
type Kind struct {
	Name   string // "session" or "vault-activity"
	Report string // the reporting API's generate_report
	// Param is the report's range parameter: end_time for sessions (closed sessions, by the time they ended),
	// start_time for Vault events (by the time they happened).
	Param string
	// event returns the event's time (UNIX seconds) and id; ok is false for an item that is not an event yet (a
	// session still in progress).
	event func(item map[string]any) (t int64, id string, ok bool)
}

// Kinds are the kinds of events, by name.
var Kinds = []Kind{
	{Name: "session", Report: "AccessSession", Param: "end_time", event: sessionEvent},
	{Name: "vault-activity", Report: "VaultAccountActivity", Param: "start_time", event: vaultEvent},
}

// KindNames lists the kinds' names.
func KindNames() []string {
	var out []string
	for _, k := range Kinds {
		out = append(out, k.Name)
	}
	return out
}

// FindKind returns the kind called name.
func FindKind(name string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

func attrTime(v any) (int64, bool) {
	var s string
	switch t := v.(type) {
	case map[string]any:
		s, _ = t["timestamp"].(string)
	case string:
		s = t
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil && n > 0
}

// sessionEvent: a closed session, at its end time, identified by its lsid.
func sessionEvent(item map[string]any) (int64, string, bool) {
	id, _ := item["lsid"].(string)
	t, ok := attrTime(item["end_time"])
	return t, id, ok && id != ""
}

// vaultEvent: a Vault event has no id of its own; its id is a digest of all its fields.
func vaultEvent(item map[string]any) (int64, string, bool) {
	t, ok := attrTime(item["timestamp"])
	b, err := json.Marshal(item)
	if !ok || err != nil {
		return 0, "", false
	}
	sum := sha256.Sum256(b)
	return t, hex.EncodeToString(sum[:12]), true
}

// Line builds the output line of an event: every field of the report item, plus kind, time (RFC 3339, UTC) and id.
// A field of the item called like one of those three is kept as report_NAME.
func encodeLine(kind string, t int64, id string, item map[string]any) ([]byte, error) {
	out := make(map[string]any, len(item)+3)
	for k, v := range item {
		switch k {
		case "kind", "time", "id":
			out["report_"+k] = v
		default:
			out[k] = v
		}
	}
	out["kind"], out["time"], out["id"] = kind, time.Unix(t, 0).UTC().Format(time.RFC3339), id
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Items is a streamed report (pra.ReportReader).
type Items interface {
	Next() (map[string]any, error)
	Close() error
}

// Source opens the report of a kind from a UNIX time to the present.
type Source func(ctx context.Context, k Kind, from int64) (Items, error)

// Exporter runs polls.
type Exporter struct {
	Kinds   []Kind
	Source  Source
	Sink    Sink
	State   *State
	Path    string // state file
	Since   int64  // start of a kind exported for the first time
	Overlap time.Duration
	// CommitEvery commits the output and the state after this many new events in one report (default 5,000), which
	// bounds what a crash can make the next run reconcile or, on a stream, repeat.
	CommitEvery int
	// OnNew is called for every new event after it is written (recordings).
	OnNew func(k Kind, item map[string]any)
}

// Reconcile registers the lines a directory sink holds beyond the state's position, then saves the state.
func (e *Exporter) Reconcile(d *DirSink) error {
	n := 0
	err := d.Reconcile(e.State.Out, func(l Line) error {
		t, err := time.Parse(time.RFC3339, l.Time)
		if err != nil {
			return fmt.Errorf("output line of %s %s: bad time %q", l.Kind, l.ID, l.Time)
		}
		if _, ok := FindKind(l.Kind); !ok {
			return fmt.Errorf("output line of unknown kind %q", l.Kind)
		}
		e.State.cursor(l.Kind, e.Since).record(l.ID, t.Unix())
		n++
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 && e.State.Out == nil {
		return nil
	}
	// The position is spent: the files it named are published and what lay beyond it is now in the state.
	e.State.Out = nil
	return e.State.Save(e.Path)
}

// Poll reads one report per kind and writes the events not exported yet. It returns how many were written; on error
// the events written so far are committed.
func (e *Exporter) Poll(ctx context.Context) (int, error) {
	total := 0
	for _, k := range e.Kinds {
		n, err := e.pollKind(ctx, k)
		total += n
		if err != nil {
			return total, fmt.Errorf("%s events: %w", k.Name, err)
		}
	}
	return total, nil
}

func (e *Exporter) pollKind(ctx context.Context, k Kind) (int, error) {
	c := e.State.cursor(k.Name, e.Since)
	overlap := int64(e.Overlap / time.Second)
	items, err := e.Source(ctx, k, c.lowerBound(overlap))
	if err != nil {
		return 0, err
	}
	defer items.Close()
	every := e.CommitEvery
	if every <= 0 {
		every = 5000
	}
	occ := map[string]int{}
	var latest int64
	ordered := true // every item so far came in time order
	n := 0
	for {
		item, err := items.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, errors.Join(err, e.commit())
		}
		t, id, ok := k.event(item)
		if !ok {
			continue
		}
		ordered = ordered && t >= latest
		latest = max(latest, t)
		line, err := encodeLine(k.Name, t, id, item)
		if err != nil {
			return n, errors.Join(err, e.commit())
		}
		// Before a line that starts a new file, the state is saved (naming the file about to be published), and
		// before the event is admitted: the saved state never counts an event that is not written.
		if r, ok := e.Sink.(rotator); ok && r.Rotates(line) {
			if err := e.commit(); err != nil {
				return n, err
			}
		}
		if !c.admit(id, t, occ) {
			continue
		}
		if err := e.Sink.Write(line); err != nil {
			return n, err
		}
		n++
		if e.OnNew != nil {
			e.OnNew(k, item)
		}
		if n%every == 0 {
			if ordered {
				// A report in time order holds nothing older after this point: the cursor can move, and the ids
				// before the window forgotten, so a long report is read in bounded memory.
				c.advance(latest, overlap)
				for id := range occ {
					if _, kept := c.Seen[id]; !kept {
						delete(occ, id)
					}
				}
			}
			if err := e.commit(); err != nil {
				return n, err
			}
		}
	}
	c.advance(latest, overlap)
	return n, e.commit()
}

// commit makes the output durable, then saves the state that records it.
func (e *Exporter) commit() error {
	pos, err := e.Sink.Commit()
	if err != nil {
		return err
	}
	if pos != nil {
		e.State.Out = pos
	}
	return e.State.Save(e.Path)
}
