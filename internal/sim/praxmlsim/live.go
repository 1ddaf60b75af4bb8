package praxmlsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Live activity: with Options.LiveRate > 0 the simulator keeps producing sessions and Vault account events as time
// passes, the way a busy appliance does, without any goroutine: what exists is a pure function of the clock.
//
// Session i starts at LiveStart + i/LiveRate and lasts i%3 seconds. Its record is written late, as an appliance writes
// a session's report record some time after the session ends: until (i%4)·500ms after its end the session is reported
// as still in progress (empty end_time), so a report of closed sessions run just after it ended misses it and a later
// one finds it, with an end time in the past. Each session also produces two Vault events, "Credentials Checked Out"
// at its start and "Credentials Checked In" at its end (data: the session's lsid), visible with the same delay.
// StopLive ends production: no session starts at or after that instant.
const (
	liveMaxDuration = 2 * time.Second
	liveMaxLag      = 1500 * time.Millisecond
	livePrefix      = "5e55"
)

// live is the live activity generator (zero rate: none).
type live struct {
	rate   float64
	origin time.Time
	stop   time.Time // zero: still producing
}

func (g live) period() time.Duration { return time.Duration(float64(time.Second) / g.rate) }

// liveLSID names live session i: a fixed prefix then the index, so the simulator can find it again by id.
func liveLSID(i int64) string { return fmt.Sprintf("%s%028x", livePrefix, i) }

func liveIndex(lsid string) (int64, bool) {
	if len(lsid) != 32 || !strings.HasPrefix(lsid, livePrefix) {
		return 0, false
	}
	n, err := strconv.ParseInt(lsid[len(livePrefix):], 16, 64)
	return n, err == nil && n >= 0
}

func (g live) start(i int64) time.Time { return g.origin.Add(time.Duration(i) * g.period()) }

func (g live) lag(i int64) time.Duration { return time.Duration(i%4) * 500 * time.Millisecond }

// count is the number of sessions started before t (and before the stop).
func (g live) count(t time.Time) int64 {
	if g.rate <= 0 {
		return 0
	}
	if !g.stop.IsZero() && g.stop.Before(t) {
		t = g.stop
	}
	if t.Before(g.origin) {
		return 0
	}
	n := int64(t.Sub(g.origin)/g.period()) + 1
	if !g.stop.IsZero() && !g.start(n-1).Before(g.stop) {
		n--
	}
	return n
}

// index is the first session starting at or after t.
func (g live) index(t time.Time) int64 {
	if !t.After(g.origin) {
		return 0
	}
	p := g.period()
	return int64((t.Sub(g.origin) + p - 1) / p)
}

// session is live session i as a report run at now shows it.
func (g live) session(i int64, now time.Time) histSession {
	st := g.start(i)
	end := st.Add(time.Duration(i%3) * time.Second)
	names := []string{"Admin", "John Smith", "Ann (Vendor)"}
	ids := []int{1, 7, 12}
	s := histSession{
		lsid: liveLSID(i), lseq: 500_000 + int(i), start: st, repID: ids[i%3], repName: names[i%3],
		customer: fmt.Sprintf("live-%06d", i), jumpoint: "London", group: "remote_access",
		recording: i%3 == 0, shells: int(i % 2), fileTransfer: int(i % 4),
	}
	if !now.Before(end.Add(g.lag(i))) {
		s.end = end
	}
	return s
}

// sessions calls each for the live sessions a report over wd run at now returns.
func (g live) sessions(wd window, now time.Time, each func(histSession) error) error {
	lo := wd.from
	if wd.byEnd {
		lo = lo.Add(-liveMaxDuration)
	}
	hi := now
	if !wd.to.IsZero() && wd.to.Before(hi) {
		hi = wd.to
	}
	for i, n := g.index(lo), g.count(hi); i < n; i++ {
		s := g.session(i, now)
		if s.start.After(now) || !wd.has(s) {
			continue
		}
		if err := each(s); err != nil {
			return err
		}
	}
	return nil
}

// vaultEvent is one Vault account activity event.
type vaultEvent struct {
	at        time.Time
	eventType string
	account   int
	repID     int
	repName   string
	data      string
}

// vault calls each for the live Vault events with a time in wd that are visible at now.
func (g live) vault(wd window, now time.Time, each func(vaultEvent) error) error {
	hi := now
	if !wd.to.IsZero() && wd.to.Before(hi) {
		hi = wd.to
	}
	for i, n := g.index(wd.from.Add(-liveMaxDuration)), g.count(hi); i < n; i++ {
		st := g.start(i)
		end := st.Add(time.Duration(i%3) * time.Second)
		s := g.session(i, now)
		for _, ev := range []vaultEvent{
			{at: st, eventType: "Credentials Checked Out"},
			{at: end, eventType: "Credentials Checked In"},
		} {
			if now.Before(ev.at.Add(g.lag(i))) || !wd.hasTime(ev.at) {
				continue
			}
			ev.account, ev.repID, ev.repName, ev.data = 40+int(i%5), s.repID, s.repName, s.lsid
			if err := each(ev); err != nil {
				return err
			}
		}
	}
	return nil
}

// LiveEvent identifies one event the live generator produced: Kind "session" (ID the lsid, once closed) or
// "vault-activity" (ID the lsid and event type).
type LiveEvent struct {
	Kind string
	ID   string
	Time time.Time
}

// StopLive ends live production: no session starts from now on. It returns the instant by which every session
// produced so far has ended and been written (see LiveEvents).
func (h *Handler) StopLive() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.live.stop.IsZero() {
		h.live.stop = h.now()
	}
	return h.live.stop.Add(liveMaxDuration + liveMaxLag + time.Second)
}

// LiveEvents lists every closed session and Vault event produced so far that a report run now returns.
func (h *Handler) LiveEvents() []LiveEvent {
	h.mu.Lock()
	g := h.live
	h.mu.Unlock()
	now := h.now()
	var out []LiveEvent
	all := window{from: g.origin.Add(-time.Hour)}
	_ = g.sessions(window{from: all.from, byEnd: true}, now, func(s histSession) error {
		out = append(out, LiveEvent{Kind: "session", ID: s.lsid, Time: s.end})
		return nil
	})
	_ = g.vault(all, now, func(e vaultEvent) error {
		out = append(out, LiveEvent{Kind: "vault-activity", ID: e.data + " " + e.eventType, Time: e.at})
		return nil
	})
	return out
}
