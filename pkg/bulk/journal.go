package bulk

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// Journal states of a record.
const (
	StateStarted = "started" // a request may have reached the server; on resume the outcome is resolved first
	StateDone    = "done"
	StateFailed  = "failed"
)

// Entry is one journal line.
type Entry struct {
	Key   string    `json:"key"`
	Index int       `json:"index"`
	State string    `json:"state"`
	ID    string    `json:"id,omitempty"`
	Error string    `json:"error,omitempty"`
	Time  time.Time `json:"time"`
}

// Journal is an append-only JSON Lines file recording each record's progress. Every line is synced to disk before the
// next request, so a crash or Ctrl-C leaves it consistent; a torn last line is ignored on reading.
type Journal struct {
	mu    sync.Mutex
	f     *os.File
	path  string
	state map[string]Entry // latest entry per record key
}

// OpenJournal opens (creating if needed) the journal at path and loads what earlier runs recorded.
func OpenJournal(path string) (*Journal, error) {
	j := &Journal{path: path, state: map[string]Entry{}}
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Key == "" {
			// Only the last line may be torn by a crash; anything else means the file is not a journal.
			if !isLastLine(data, line) {
				return nil, fmt.Errorf("%s line %d: not a journal entry", path, line)
			}
			continue
		}
		j.state[e.Key] = e
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		// Cut a torn last line (a crash mid-write) so the next entry starts cleanly.
		if err := f.Truncate(int64(bytes.LastIndexByte(data, '\n') + 1)); err != nil {
			f.Close()
			return nil, err
		}
	}
	j.f = f
	return j, nil
}

func isLastLine(data []byte, line int) bool {
	n := bytes.Count(bytes.TrimRight(data, "\n"), []byte("\n")) + 1
	return line >= n
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

// Get returns the latest entry for a record key.
func (j *Journal) Get(key string) (Entry, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e, ok := j.state[key]
	return e, ok
}

// Write appends an entry and syncs it to disk.
func (j *Journal) Write(e Entry) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.state[e.Key] = e
	return nil
}

// Entries returns the latest entry of every record seen, in no particular order.
func (j *Journal) Entries() []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Entry, 0, len(j.state))
	for _, e := range j.state {
		out = append(out, e)
	}
	return out
}

// Close closes the file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}
