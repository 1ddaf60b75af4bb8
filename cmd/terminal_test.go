package cmd_test

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/infractl/infra/internal/sim/prasim"
)

// ptyRun starts `infra args…` on a new pseudo-terminal (stdin, stdout and stderr), as a session leader whose
// controlling terminal is that pty, so that Ctrl-C typed on it is a real SIGINT from the line discipline.
type ptyRun struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File // the child's side, kept open to read its terminal modes after it exits
	ptmx *os.File

	mu     sync.Mutex
	out    bytes.Buffer
	change chan struct{} // signalled on every read
	done   chan struct{}
}

func startOnPTY(t *testing.T, env []string, args ...string) *ptyRun {
	t.Helper()
	return startOnPTYSize(t, 100, env, args...)
}

// startOnPTYSize is startOnPTY on a terminal of the given number of columns.
func startOnPTYSize(t *testing.T, cols uint16, env []string, args ...string) *ptyRun {
	t.Helper()
	bin, err := exec.LookPath("infra")
	if err != nil {
		t.Skip("infra is not on PATH (testscript.Main puts it there)")
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: cols}); err != nil {
		t.Fatal(err)
	}
	c := exec.Command(bin, args...)
	c.Env = env
	c.Stdin, c.Stdout, c.Stderr = tty, tty, tty
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	r := &ptyRun{t: t, cmd: c, tty: tty, ptmx: ptmx, change: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			r.mu.Lock()
			r.out.Write(buf[:n])
			r.mu.Unlock()
			select {
			case r.change <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = c.Process.Kill()
		_ = ptmx.Close()
		_ = tty.Close()
	})
	return r
}

// waitFor waits until the terminal shows s (a hang guard fails the test after a minute, far beyond any real wait).
func (r *ptyRun) waitFor(s string) {
	r.t.Helper()
	guard := time.After(time.Minute)
	for {
		r.mu.Lock()
		seen := strings.Contains(r.out.String(), s)
		r.mu.Unlock()
		if seen {
			return
		}
		select {
		case <-r.change:
		case <-r.done:
			r.t.Fatalf("the terminal closed before showing %q; it showed %q", s, r.screen())
		case <-guard:
			r.t.Fatalf("the terminal never showed %q; it showed %q", s, r.screen())
		}
	}
}

func (r *ptyRun) screen() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// interrupt types Ctrl-C and returns the exit code; the process must end on its own, without Enter.
func (r *ptyRun) interrupt() int {
	r.t.Helper()
	if _, err := r.ptmx.Write([]byte{3}); err != nil {
		r.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- r.cmd.Wait() }()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			r.t.Fatal(err)
		}
		return 0
	case <-time.After(time.Minute):
		r.t.Fatalf("Ctrl-C did not end the command (it waits for Enter); terminal: %q", r.screen())
	}
	return -1
}

// echoOn reports whether the terminal echoes input (a secret prompt turns echo off and must turn it back on).
func (r *ptyRun) echoOn() bool {
	tio, err := unix.IoctlGetTermios(int(r.tty.Fd()), unix.TCGETS)
	if err != nil {
		r.t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

func terminalEnv(t *testing.T) []string {
	sim := prasim.New(prasim.Options{ClientID: "tty-client", ClientSecret: "tty-secret", Seed: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TERM=xterm", "GORACE=" + os.Getenv("GORACE"),
		"INFRA_CONFIG_DIR=" + dir + "/config", "INFRA_CACHE_DIR=" + dir + "/cache", "INFRA_SECRET_STORE=file",
		"INFRA_PRA_HOST=" + srv.URL, "INFRA_PRA_CLIENT_ID=tty-client", "INFRA_PRA_CLIENT_SECRET=tty-secret",
	}
}

func TestTerminalCtrlCAtConfirmation(t *testing.T) {
	r := startOnPTY(t, terminalEnv(t), "pra", "jump-group", "delete", "1")
	r.waitFor("[y/N]")
	if code := r.interrupt(); code != 130 {
		t.Fatalf("exit %d, want 130; terminal: %q", code, r.screen())
	}
}

func TestTerminalCtrlCAtSecretPromptRestoresEcho(t *testing.T) {
	env := terminalEnv(t)
	r := startOnPTY(t, env, "auth", "login", "pra", "--host", "https://lab.example.test", "--client-id", "lab-id")
	r.waitFor("secret: ")
	// The prompt is written just before echo is turned off; terminal modes change without any event to wait on,
	// so poll them (the guard is a hang guard, not a timing assertion).
	for guard := time.Now().Add(time.Minute); r.echoOn(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(guard) {
			t.Fatal("the secret prompt echoes what is typed")
		}
	}
	if code := r.interrupt(); code != 130 {
		t.Fatalf("exit %d, want 130; terminal: %q", code, r.screen())
	}
	if !r.echoOn() {
		t.Fatal("the terminal was left without echo after Ctrl-C at the secret prompt")
	}
}

func TestTerminalKVInputHintAndCtrlC(t *testing.T) {
	r := startOnPTY(t, terminalEnv(t), "pra", "-k", "add", "jump-group")
	r.waitFor("reading key=value lines from the terminal: end with Ctrl-D")
	if _, err := io.WriteString(r.ptmx, "name=half typed\n"); err != nil {
		t.Fatal(err)
	}
	if code := r.interrupt(); code != 130 {
		t.Fatalf("exit %d, want 130; terminal: %q", code, r.screen())
	}
}
