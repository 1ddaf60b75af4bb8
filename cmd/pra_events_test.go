package cmd_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/infractl/infra/pkg/sim/prasim"
	"github.com/infractl/infra/pkg/sim/praxmlsim"
)

// skewClock is the simulators' clock: real time plus an offset the test can move forward.
type skewClock struct{ skew atomic.Int64 }

func (c *skewClock) now() time.Time          { return time.Now().Add(time.Duration(c.skew.Load())) }
func (c *skewClock) forward(d time.Duration) { c.skew.Add(int64(d)) }

// eventsEnv starts a busy PRA appliance (rate sessions a second) and returns the environment for the binary.
func eventsEnv(t *testing.T, rate float64) (*praxmlsim.Handler, *skewClock, []string) {
	t.Helper()
	clock := &skewClock{}
	sim := prasim.New(prasim.Options{ClientID: "sandbox-client", ClientSecret: praSecret, RatePerSec: 50, Now: clock.now})
	h := praxmlsim.New(praxmlsim.Options{LiveRate: rate, Now: clock.now})
	h.MountOn(sim)
	srv := httptest.NewServer(sim)
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
	files, _ := filepath.Glob(filepath.Join(dir, "events-*.jsonl"))
	got := map[string]int{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
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
