package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStatusTicks: between updates the elapsed time is redrawn every second; Done clears the line and stops it.
func TestStatusTicks(t *testing.T) {
	var out syncBuf
	s := NewStatus(&out, true)
	s.Update("installing vm 3")
	for guard := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "installing vm 3 (1s)"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(guard) {
			t.Fatalf("the elapsed time never ticked: %q", out.String())
		}
	}
	s.Done()
	s.Done() // twice is harmless
	n := len(out.String())
	time.Sleep(statusTick + 200*time.Millisecond)
	if got := out.String(); len(got) != n || !strings.HasSuffix(got, "\r") {
		t.Errorf("the line was drawn after Done: %q", got)
	}
	var off syncBuf
	q := NewStatus(&off, false)
	q.Update("x")
	q.Done()
	if off.String() != "" {
		t.Errorf("a disabled status drew %q", off.String())
	}
}
