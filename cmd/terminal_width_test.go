package cmd_test

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// finish waits for the command to exit and for its output to be read, and returns the exit code.
func (r *ptyRun) finish() int {
	r.t.Helper()
	err := r.cmd.Wait()
	// The child's side stays open (echoOn reads it), so the reader never sees EOF: drain until it is quiet.
	for quiet := false; !quiet; {
		select {
		case <-r.change:
		case <-time.After(200 * time.Millisecond):
			quiet = true
		}
	}
	var ee *exec.ExitError
	if err != nil {
		if ok := asExit(err, &ee); ok {
			return ee.ExitCode()
		}
		r.t.Fatal(err)
	}
	return 0
}

func asExit(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*ee = e
	return ok
}

var ansiRe = regexp.MustCompile("\x1b\\[[0-9;]*m")

// screenLines are the lines the terminal shows, colours removed.
func (r *ptyRun) screenLines() []string {
	return strings.Split(strings.TrimRight(ansiRe.ReplaceAllString(r.screen(), ""), "\r\n"), "\r\n")
}

// TestTerminalTablesFitWidth: at 80 and 100 columns a list whose cells are far wider fits the terminal, the widest
// cells shortened with an ellipsis; --wide and -o wide show them whole, and piped output is the full table.
func TestTerminalTablesFitWidth(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("infra"); err != nil {
		t.Skip("infra is not on PATH (testscript.Main puts it there)")
	}
	env := terminalEnv(t)
	long := "operations-" + strings.Repeat("very-long-segment-", 8) + "end"
	if res := runInfra(t, env, "", "pra", "jump-group", "create", "--name", long, "--code-name", "long_one", "--comments", strings.Repeat("a comment ", 12)); res.code != 0 {
		t.Fatalf("create: exit %d: %s", res.code, res.stderr)
	}
	for _, cols := range []uint16{80, 100} {
		r := startOnPTYSize(t, cols, env, "pra", "jump-group", "list")
		if code := r.finish(); code != 0 {
			t.Fatalf("%d columns: exit %d: %q", cols, code, r.screen())
		}
		lines := r.screenLines()
		for _, l := range lines {
			if n := utf8.RuneCountInString(l); n > int(cols) {
				t.Errorf("%d columns: a line of %d: %q", cols, n, l)
			}
		}
		if s := strings.Join(lines, "\n"); strings.Contains(s, long) || !strings.Contains(s, "operations-very-") || !strings.Contains(s, "…") {
			t.Errorf("%d columns: the long name is not shortened with an ellipsis:\n%s", cols, s)
		}
		for _, wide := range [][]string{{"--wide"}, {"-o", "wide"}} {
			r := startOnPTYSize(t, cols, env, append([]string{"pra", "jump-group", "list"}, wide...)...)
			if code := r.finish(); code != 0 {
				t.Fatalf("%v: exit %d", wide, code)
			}
			if s := strings.Join(r.screenLines(), "\n"); !strings.Contains(s, long) {
				t.Errorf("%d columns %v: the long name is not whole:\n%s", cols, wide, s)
			}
		}
	}
	if res := runInfra(t, append(env, "COLUMNS=80"), "", "pra", "jump-group", "list"); res.code != 0 || !strings.Contains(res.stdout, long) || strings.Contains(res.stdout, "…") {
		t.Errorf("piped output is shortened (exit %d):\n%s", res.code, res.stdout)
	}
}

// TestTerminalHelpWraps: help fits an 80-column terminal: flag descriptions wrap under their column.
func TestTerminalHelpWraps(t *testing.T) {
	t.Parallel()
	r := startOnPTYSize(t, 80, terminalEnv(t), "api", "--help")
	if code := r.finish(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	inFlags := false
	for _, l := range r.screenLines() {
		if strings.HasSuffix(l, "Flags:") {
			inFlags = true
		}
		if n := utf8.RuneCountInString(l); inFlags && n > 80 || !strings.HasPrefix(l, " ") && n > 80 {
			t.Errorf("a help line of %d columns: %q", n, l)
		}
	}
	if !inFlags {
		t.Fatalf("no flags shown: %q", r.screen())
	}
}
