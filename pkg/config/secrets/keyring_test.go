package secrets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

// The mock replaces go-keyring's provider for the whole test process; tests that need the real keyring run in a
// child process (runChild) where no mock is installed.

func TestKeyringMockRoundTrip(t *testing.T) {
	keyring.MockInit()
	s := NewKeyring(time.Minute)
	if s.Name() != "keyring" {
		t.Fatalf("Name() = %q", s.Name())
	}
	if _, err := s.Get("pra", "default"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing entry: %v", err)
	}
	if err := s.Set("pra", "default", "s3cr3t"); err != nil {
		t.Fatal(err)
	}
	if got, err := keyring.Get(Service, "pra:default"); err != nil || got != "s3cr3t" {
		t.Fatalf("entry under service %q user pra:default = %q, %v", Service, got, err)
	}
	if got, err := s.Get("pra", "default"); err != nil || got != "s3cr3t" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := s.Delete("pra", "default"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("pra", "default"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
}

func TestKeyringMockChunksLargeSecrets(t *testing.T) {
	keyring.MockInit()
	s := NewKeyring(time.Minute)
	// Multi-byte runes make sure parts are cut on UTF-8 boundaries.
	big := strings.Repeat("€uro-", 1300) // 9,100 bytes
	if err := s.Set("jotelulu", "lab", big); err != nil {
		t.Fatal(err)
	}
	head, err := keyring.Get(Service, "jotelulu:lab")
	if err != nil || head != chunkHeader+"4" {
		t.Fatalf("main entry = %q, %v", head, err)
	}
	for i := 1; i <= 4; i++ {
		p, err := keyring.Get(Service, chunkUser("jotelulu:lab", i))
		if err != nil || len(p) > ChunkSize || !utf8.ValidString(p) {
			t.Fatalf("part %d: %d bytes, valid %v, %v", i, len(p), utf8.ValidString(p), err)
		}
	}
	if got, err := s.Get("jotelulu", "lab"); err != nil || got != big {
		t.Fatalf("reassembled %d bytes (%v), want %d", len(got), err, len(big))
	}

	// A shorter secret replaces it and leaves no stale parts.
	if err := s.Set("jotelulu", "lab", strings.Repeat("x", ChunkSize+1)); err != nil {
		t.Fatal(err)
	}
	for i := 3; i <= 4; i++ {
		if _, err := keyring.Get(Service, chunkUser("jotelulu:lab", i)); !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("stale part %d left behind: %v", i, err)
		}
	}
	if got, _ := s.Get("jotelulu", "lab"); got != strings.Repeat("x", ChunkSize+1) {
		t.Fatalf("after replacement got %d bytes", len(got))
	}
	if err := s.Set("jotelulu", "lab", "short"); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Get(Service, chunkUser("jotelulu:lab", 1)); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("part 1 left behind after a short secret: %v", err)
	}

	// Delete removes every part.
	if err := s.Set("jotelulu", "lab", big); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("jotelulu", "lab"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		if _, err := keyring.Get(Service, chunkUser("jotelulu:lab", i)); !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("part %d survived Delete: %v", i, err)
		}
	}

	// A secret that looks like a header round-trips unchanged.
	tricky := chunkHeader + "2"
	if err := s.Set("pra", "x", tricky); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get("pra", "x"); err != nil || got != tricky {
		t.Fatalf("header-like secret = %q, %v", got, err)
	}

	// A missing part is reported, not silently truncated.
	if err := s.Set("pra", "y", big); err != nil {
		t.Fatal(err)
	}
	if err := keyring.Delete(Service, chunkUser("pra:y", 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("pra", "y"); err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "incomplete") {
		t.Fatalf("Get with a missing part: %v", err)
	}

	// Beyond the limit the secret is refused clearly.
	err = s.Set("pra", "z", strings.Repeat("a", MaxChunks*ChunkSize+1))
	if err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("oversized secret: %v", err)
	}
}

func TestKeyringBackendFailureIsUnavailable(t *testing.T) {
	keyring.MockInitWithError(errors.New("The name org.freedesktop.secrets was not provided by any .service files"))
	s := NewKeyring(time.Minute)
	for name, op := range map[string]func() error{
		"Get":    func() error { _, err := s.Get("pra", "default"); return err },
		"Set":    func() error { return s.Set("pra", "default", "hunter2hunter2") },
		"Delete": func() error { return s.Delete("pra", "default") },
		"Available": func() error {
			return Available(time.Minute)
		},
	} {
		err := op()
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("%s: %v, want ErrUnavailable", name, err)
		}
		for _, w := range []string{"Secret Service", "--env-file", "infra config set secret_store file"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not mention %q", name, err, w)
			}
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s leaks the secret", name)
		}
	}
	if err := s.Set("pra", "default", "x"); !strings.Contains(err.Error(), "INFRA_PRA_CLIENT_SECRET") {
		t.Errorf("the PRA hint must name INFRA_PRA_CLIENT_SECRET: %v", err)
	}
	keyring.MockInit()
	if err := Available(time.Minute); err != nil {
		t.Fatalf("Available with a working keyring: %v", err)
	}
}

// helperEnv selects what TestHelperProcess does in a child process.
const helperEnv = "INFRA_SECRETS_TEST_HELPER"

// runChild runs test in a fresh copy of the test binary with extra environment and fails t with its output on failure.
func runChild(t *testing.T, test string, env ...string) {
	t.Helper()
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+test+"$", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Fatalf("child %s: %v\n%s", test, err, out)
	}
}

func requireDBusPlatform(t *testing.T) {
	t.Helper()
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		t.Skip("the keyring uses D-Bus only on Linux and the BSDs")
	}
}

// TestKeyringWithoutDBus checks that a host without a session bus gets ErrUnavailable naming the alternatives.
func TestKeyringWithoutDBus(t *testing.T) {
	requireDBusPlatform(t)
	missing := filepath.Join(t.TempDir(), "no-bus")
	runChild(t, "TestHelperProcess", helperEnv+"=nobus", "DBUS_SESSION_BUS_ADDRESS=unix:path="+missing)
}

// TestKeyringHungDBusTimesOut serves a session bus socket that accepts connections and never answers: every call
// must come back with ErrUnavailable once the timeout passes instead of hanging.
func TestKeyringHungDBusTimesOut(t *testing.T) {
	requireDBusPlatform(t)
	sock := filepath.Join(t.TempDir(), "bus")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix sockets unavailable: %v", err)
	}
	defer ln.Close()
	held := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held <- c
		}
	}()
	defer func() {
		for {
			select {
			case c := <-held:
				c.Close()
			default:
				return
			}
		}
	}()
	runChild(t, "TestHelperProcess", helperEnv+"=hung", "DBUS_SESSION_BUS_ADDRESS=unix:path="+sock)
}

func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("runs only as a child of another test")
	}
	switch mode {
	case "nobus":
		_, err := NewKeyring(time.Minute).Get("pra", "default")
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "D-Bus") || !strings.Contains(err.Error(), "secret_store file") {
			t.Fatalf("Get without a bus: %v", err)
		}
		t.Logf("without a bus: %v", err)
		if err := Available(time.Minute); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Available without a bus: %v", err)
		}
	case "hung":
		s := NewKeyring(300 * time.Millisecond)
		_, err := s.Get("pra", "default")
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "did not answer within 300ms") {
			t.Fatalf("Get on a hung bus: %v", err)
		}
		t.Logf("hung bus: %v", err)
		if err := s.Set("pra", "default", "x"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Set on a hung bus: %v", err)
		}
		if err := Available(300 * time.Millisecond); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Available on a hung bus: %v", err)
		}
	case "real":
		realKeyringChecks(t)
	default:
		t.Fatalf("unknown helper mode %q", mode)
	}
}

// TestRealKeyring exercises the OS keyring itself. It runs only with INFRA_TEST_REAL_KEYRING=1, for example:
//
//	dbus-run-session -- sh -c 'echo pw | gnome-keyring-daemon --unlock --replace >/dev/null; go test ./pkg/config/secrets -run Real'
func TestRealKeyring(t *testing.T) {
	if os.Getenv("INFRA_TEST_REAL_KEYRING") != "1" {
		t.Skip("set INFRA_TEST_REAL_KEYRING=1 to use the OS keyring")
	}
	runChild(t, "TestHelperProcess", helperEnv+"=real")
}

func realKeyringChecks(t *testing.T) {
	if err := Available(30 * time.Second); err != nil {
		t.Fatalf("Available: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	profile := "test-" + hex.EncodeToString(b[:])
	s := NewKeyring(30 * time.Second)
	t.Cleanup(func() { _ = s.Delete("pra", profile) })

	if _, err := s.Get("pra", profile); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Set: %v", err)
	}
	if err := s.Set("pra", profile, "first-secret"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("pra", profile, "second-secret"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get("pra", profile); err != nil || got != "second-secret" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	big := strings.Repeat("0123456789abcdef", 400) // 6,400 bytes: three parts
	if err := s.Set("pra", profile, big); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get("pra", profile); err != nil || got != big {
		t.Fatalf("chunked Get: %d bytes, %v", len(got), err)
	}
	if err := s.Delete("pra", profile); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("pra", profile); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if _, err := keyring.Get(Service, chunkUser("pra:"+profile, 1)); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("a part survived Delete: %v", err)
	}
}
