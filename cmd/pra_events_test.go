package cmd_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/infractl/infra/internal/sim/prasim"
	"github.com/infractl/infra/internal/sim/praxmlsim"
)

// skewClock is the simulators' clock: real time plus an offset the test can move forward.
type skewClock struct{ skew atomic.Int64 }

func (c *skewClock) now() time.Time          { return time.Now().Add(time.Duration(c.skew.Load())) }
func (c *skewClock) forward(d time.Duration) { c.skew.Add(int64(d)) }

// eventsEnv starts a busy PRA appliance (rate sessions a second) and returns the environment for the binary.
func eventsEnv(t *testing.T, rate float64) (*praxmlsim.Handler, *skewClock, []string) {
	return eventsEnvWith(t, rate, func(h http.Handler) http.Handler { return h })
}

// eventsEnvWith is eventsEnv with the appliance behind wrap.
func eventsEnvWith(t *testing.T, rate float64, wrap func(http.Handler) http.Handler) (*praxmlsim.Handler, *skewClock, []string) {
	t.Helper()
	clock := &skewClock{}
	sim := prasim.New(prasim.Options{ClientID: "sandbox-client", ClientSecret: praSecret, RatePerSec: 50, Now: clock.now})
	h := praxmlsim.New(praxmlsim.Options{LiveRate: rate, Now: clock.now})
	h.MountOn(sim)
	srv := httptest.NewServer(wrap(sim))
	t.Cleanup(srv.Close)
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "GORACE=" + os.Getenv("GORACE"),
		"INFRA_CONFIG_DIR=" + home + "/config", "INFRA_CACHE_DIR=" + home + "/cache", "INFRA_SECRET_STORE=file",
		"INFRA_PRA_HOST=" + srv.URL, "INFRA_PRA_CLIENT_ID=sandbox-client", "INFRA_PRA_CLIENT_SECRET=" + praSecret,
	}
	return h, clock, env
}

// infraCmd runs this test binary as infra (testscript.Main dispatches on the program name).
func infraCmd(t *testing.T, env []string, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := exec.Command(exe, args...)
	c.Args[0] = "infra"
	c.Env = env
	return c
}

// TestEventsExactlyOnceAfterKill9: a --follow export killed with SIGKILL at random points, 20 times, while the
// appliance keeps producing sessions and Vault events, then resumed, has written every event exactly once.
func TestEventsExactlyOnceAfterKill9(t *testing.T) {
	t.Parallel()
	h, clock, env := eventsEnv(t, 40)
	dir := t.TempDir()
	out, state := filepath.Join(dir, "out"), filepath.Join(dir, "events.state")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{"pra", "events", "--state", state, "--out", out, "--overlap", "10s",
		"--since", "@" + strconv.FormatInt(clock.now().Unix()-1, 10)}
	follow := append(append([]string{}, args...), "--follow", "--interval", "150ms", "--rotate-size", "64K")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 18))
	for i := 0; i < 20; i++ {
		var stderr bytes.Buffer
		c := infraCmd(t, env, follow...)
		c.Stderr = &stderr
		before := modTime(state)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			// Kill while it works: once it has saved the state at least once, after a random part of a poll.
			waitFor(t, 10*time.Second, func() bool { return modTime(state).After(before) })
		}
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		_ = c.Process.Signal(syscall.SIGKILL)
		_ = c.Wait()
		if ws, ok := c.ProcessState.Sys().(syscall.WaitStatus); ok && !ws.Signaled() {
			t.Fatalf("run %d ended by itself before the kill: %v\n%s", i, c.ProcessState, stderr.String())
		}
	}
	// Production stops; once every session has ended and been written, a last run catches up.
	settled := h.StopLive()
	clock.forward(time.Until(settled) + time.Second)
	final := infraCmd(t, env, args...)
	if b, err := final.CombinedOutput(); err != nil {
		t.Fatalf("final run: %v\n%s", err, b)
	}
	got := readExport(t, out)
	want := h.LiveEvents()
	if len(want) < 100 {
		t.Fatalf("the appliance produced only %d events: the test proves little", len(want))
	}
	for _, e := range want {
		k := e.Kind + " " + e.ID
		if got[k] != 1 {
			t.Errorf("%s exported %d times, want once", k, got[k])
		}
		delete(got, k)
	}
	for k, n := range got {
		t.Errorf("%s exported %d times but the appliance never produced it", k, n)
	}
}

func modTime(path string) time.Time {
	st, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readExport counts the events in the published files of dir by kind and natural key (a Vault event: its session
// and event type); a file still being written is an error.
func readExport(t *testing.T, dir string) map[string]int {
	t.Helper()
	if parts, _ := filepath.Glob(filepath.Join(dir, "*.part")); len(parts) > 0 {
		t.Fatalf("files left unpublished: %v", parts)
	}
	return countExport(t, dir, "events-*.jsonl")
}

// countExport counts the events in the files of dir matching glob (only complete lines: a file may be being written).
func countExport(t *testing.T, dir, glob string) map[string]int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, glob))
	got := map[string]int{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if !json.Valid(sc.Bytes()) && strings.HasSuffix(f, ".part") {
				break // the line being written
			}
			var l struct {
				Kind, ID, Time, Data string
				EventType            string `json:"event_type"`
			}
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("%s: %v: %q", f, err, sc.Text())
			}
			if _, err := time.Parse(time.RFC3339, l.Time); err != nil || l.Time[len(l.Time)-1] != 'Z' {
				t.Errorf("%s: time %q is not RFC 3339 UTC", f, l.Time)
			}
			key := l.Kind + " " + l.ID
			if l.Kind == "vault-activity" {
				key = l.Kind + " " + l.Data + " " + l.EventType
			}
			got[key]++
		}
		fh.Close()
	}
	return got
}

// faultyReports answers a quarter of the report requests with 503 and cuts another quarter in the middle of the body.
func faultyReports(next http.Handler) http.Handler {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(18, 3))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/reporting" {
			next.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		n := rng.IntN(4)
		mu.Unlock()
		switch n {
		case 1:
			http.Error(w, "restarting", http.StatusServiceUnavailable)
		case 2:
			next.ServeHTTP(&cutWriter{ResponseWriter: w, left: 3000}, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// cutWriter drops the connection after left bytes of body.
type cutWriter struct {
	http.ResponseWriter
	left int
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if len(b) > c.left {
		_, _ = c.ResponseWriter.Write(b[:c.left])
		c.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	c.left -= len(b)
	return c.ResponseWriter.Write(b)
}

// TestEventsFollowSurvivesFaultsAndStopsCleanly: a --follow export through 503s and reports cut in the middle
// exports every event once, and SIGTERM stops it with exit 0 and its file published.
func TestEventsFollowSurvivesFaultsAndStopsCleanly(t *testing.T) {
	t.Parallel()
	h, clock, env := eventsEnvWith(t, 30, faultyReports)
	out, state := t.TempDir(), filepath.Join(t.TempDir(), "events.state")
	c := infraCmd(t, env, "pra", "events", "--state", state, "--out", out, "--overlap", "10s", "--follow", "--interval", "100ms",
		"--since", "@"+strconv.FormatInt(clock.now().Unix()-1, 10))
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Process.Kill() }()
	waitFor(t, 10*time.Second, func() bool { return len(countExport(t, out, "events-*")) > 50 })
	clock.forward(time.Until(h.StopLive()) + time.Second)
	want := h.LiveEvents()
	waitFor(t, 20*time.Second, func() bool { return len(countExport(t, out, "events-*")) >= len(want) })
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("stopped with SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "poll failed") {
		t.Errorf("no poll failed: the faults did not bite\n%s", stderr.String())
	}
	got := readExport(t, out)
	for _, e := range want {
		if k := e.Kind + " " + e.ID; got[k] != 1 {
			t.Errorf("%s exported %d times", k, got[k])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d events exported, %d produced", len(got), len(want))
	}
}
