// Package events exports an appliance's events (PRA sessions and Vault account activity) as JSON Lines with a durable
// cursor, so that repeated or interrupted runs export every event exactly once to files (--out) and at least once to
// a stream.
//
// The state file holds, per kind of event, the cursor (the latest event time exported) and the ids of the events
// exported within the overlap window before it. Each poll asks the report from cursor − overlap, so an event that
// the appliance makes visible late (with a time before the cursor) is still found, and the ids drop the ones already
// exported. The state is written atomically, after the output it describes is flushed and synced.
package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/infractl/infra/internal/fsutil"
)

// StateVersion is the version of the state file's format.
const StateVersion = 1

// State is what the state file holds.
type State struct {
	Version int                `json:"version"`
	Kinds   map[string]*Cursor `json:"kinds"`
	// Out is where the last acknowledged line of a --out directory ends (nil for stdout).
	Out *Position `json:"out,omitempty"`
	// Recordings are the sessions whose recording is still to be downloaded.
	Recordings []string `json:"recordings,omitempty"`
}

// Cursor is the progress of one kind of event.
type Cursor struct {
	// From is the start of the export (--since), as a UNIX time; nothing before it is exported.
	From int64 `json:"from"`
	// Cursor is the latest event time exported (UNIX seconds); 0 before the first event.
	Cursor int64 `json:"cursor"`
	// Seen are the events exported with a time within the overlap window before the cursor: id → time and count.
	Seen map[string]Seen `json:"seen"`
}

// Seen records one exported id: its event time and how many identical events were exported (Vault events have no
// id of their own: identical ones are counted).
type Seen struct {
	T int64 `json:"t"`
	N int   `json:"n"`
}

// Position is a place in the output directory: a file (its name while being written) and a byte offset.
type Position struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
}

// LoadState reads the state file; a missing file is an empty state. A file that is not a state is an error, never
// silently replaced: it would export everything again.
func LoadState(path string) (*State, error) {
	st := &State{Version: StateVersion, Kinds: map[string]*Cursor{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("state file %s is not an event export state (%v): move it away to start over", path, err)
	}
	if st.Version != StateVersion {
		return nil, fmt.Errorf("state file %s has version %d; this version of infra reads version %d", path, st.Version, StateVersion)
	}
	if st.Kinds == nil {
		st.Kinds = map[string]*Cursor{}
	}
	for _, c := range st.Kinds {
		if c.Seen == nil {
			c.Seen = map[string]Seen{}
		}
	}
	return st, nil
}

// Save writes the state atomically: a temporary file in the same directory, synced, renamed over the old one, and
// the directory synced, so a crash leaves either the old state or the new one.
func (s *State) Save(path string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return fsutil.Replace(path, b, 0o600)
}

// cursor returns the progress of kind, starting it at from when the kind is new.
func (s *State) cursor(kind string, from int64) *Cursor {
	c, ok := s.Kinds[kind]
	if !ok {
		c = &Cursor{From: from, Seen: map[string]Seen{}}
		s.Kinds[kind] = c
	}
	return c
}

// lowerBound is the start of the next report: cursor − overlap, never before From.
func (c *Cursor) lowerBound(overlap int64) int64 {
	lo := c.Cursor - overlap
	if lo < c.From {
		lo = c.From
	}
	return lo
}

// admit decides whether the occ-th event with this id in the current report is new, and records it when it is.
func (c *Cursor) admit(id string, t int64, occ map[string]int) bool {
	occ[id]++
	s, ok := c.Seen[id]
	if ok && occ[id] <= s.N {
		return false
	}
	c.Seen[id] = Seen{T: t, N: occ[id]}
	return true
}

// record counts one more exported event with this id (an output line found beyond the acknowledged position). The
// cursor stays: the report that produced the line may not have been read to its end.
func (c *Cursor) record(id string, t int64) {
	s := c.Seen[id]
	c.Seen[id] = Seen{T: max(s.T, t), N: s.N + 1}
}

// advance moves the cursor after a complete report and forgets ids the next report cannot return.
func (c *Cursor) advance(latest, overlap int64) {
	if latest > c.Cursor {
		c.Cursor = latest
	}
	lo := c.lowerBound(overlap)
	for id, s := range c.Seen {
		if s.T < lo {
			delete(c.Seen, id)
		}
	}
}
