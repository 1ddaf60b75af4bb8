// Package progress shows transfer bars and status lines on a terminal's stderr. Every constructor takes an enabled
// flag (normally IOStreams.IsStderrTTY()): when it is false nothing is drawn, so piped and CI runs stay clean.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Bar counts bytes or items towards a total (-1 when unknown: a spinner with a count).
type Bar struct {
	bar *progressbar.ProgressBar
}

// NewBytes returns a byte-transfer bar writing to w. When enabled is false the bar draws nothing.
func NewBytes(w io.Writer, enabled bool, total int64, label string) *Bar {
	if !enabled {
		return &Bar{}
	}
	return &Bar{bar: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionUseIECUnits(true),
	)}
}

// NewCount returns an item-count bar ("done / total") writing to w.
func NewCount(w io.Writer, enabled bool, total int64, label string) *Bar {
	if !enabled {
		return &Bar{}
	}
	return &Bar{bar: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

// Add advances the bar by n.
func (b *Bar) Add(n int64) {
	if b.bar != nil {
		_ = b.bar.Add64(n)
	}
}

// Describe changes the label.
func (b *Bar) Describe(label string) {
	if b.bar != nil {
		b.bar.Describe(label)
	}
}

// Write implements io.Writer so a Bar can sit in an io.TeeReader or io.MultiWriter.
func (b *Bar) Write(p []byte) (int, error) {
	b.Add(int64(len(p)))
	return len(p), nil
}

// Finish clears the bar from the terminal.
func (b *Bar) Finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
		_ = b.bar.Clear()
	}
}

// Status is a one-line status display for waits and polls: "installing vm-1: deploying (1m05s)". Each Update redraws
// the line in place; Done clears it. With enabled false it draws nothing.
type Status struct {
	mu      sync.Mutex
	w       io.Writer
	enabled bool
	start   time.Time
	width   int
	msg     string
	stop    chan struct{} // closed by Done: ends the ticker
}

// statusTick is how often the status line redraws its elapsed time between updates.
const statusTick = time.Second

// NewStatus returns a status line on w.
func NewStatus(w io.Writer, enabled bool) *Status {
	return &Status{w: w, enabled: enabled, start: time.Now()}
}

// Update shows msg followed by the elapsed time, which then ticks every second until the next Update or Done.
func (s *Status) Update(msg string) {
	if !s.enabled {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msg = msg
	if s.stop == nil {
		s.stop = make(chan struct{})
		go s.tick(s.stop)
	}
	s.draw()
}

// tick redraws the line every second, so the elapsed time moves while nothing else does.
func (s *Status) tick(stop chan struct{}) {
	t := time.NewTicker(statusTick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.mu.Lock()
			select {
			case <-stop:
			default:
				s.draw()
			}
			s.mu.Unlock()
		}
	}
}

// draw writes the line over the previous one; s.mu is held.
func (s *Status) draw() {
	line := fmt.Sprintf("%s (%s)", s.msg, time.Since(s.start).Round(time.Second))
	pad := ""
	if n := s.width - len(line); n > 0 {
		pad = fmt.Sprintf("%*s", n, "")
	}
	s.width = len(line)
	fmt.Fprintf(s.w, "\r%s%s", line, pad)
}

// Done clears the status line.
func (s *Status) Done() {
	if !s.enabled {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		close(s.stop)
		s.stop = nil
	}
	if s.width > 0 {
		fmt.Fprintf(s.w, "\r%*s\r", s.width, "")
		s.width = 0
	}
}
