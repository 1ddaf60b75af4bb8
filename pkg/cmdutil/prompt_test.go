package cmdutil

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/infractl/infra/pkg/api"
)

func TestConfirmAnswers(t *testing.T) {
	for in, want := range map[string]bool{"y\n": true, "YES\n": true, " yes \n": true, "n\n": false, "\n": false, "maybe\n": false, "y": true} {
		s, _, _, errOut := Test()
		s.In = strings.NewReader(in)
		got, err := s.Confirm(context.Background(), "Delete jump group 4?")
		if err != nil || got != want {
			t.Errorf("answer %q: got %v, %v; want %v", in, got, err, want)
		}
		if errOut.String() != "Delete jump group 4? [y/N] " {
			t.Errorf("prompt %q", errOut)
		}
	}
	s, _, _, _ := Test()
	s.In = strings.NewReader("")
	if _, err := s.Confirm(context.Background(), "Go?"); !errors.Is(err, ErrNoAnswer) {
		t.Errorf("empty stdin: %v, want ErrNoAnswer", err)
	}
}

func TestReadLineLeavesTheRest(t *testing.T) {
	r := strings.NewReader("first\nsecond\n")
	line, err := ReadLine(context.Background(), r)
	if err != nil || line != "first\n" {
		t.Fatalf("%q, %v", line, err)
	}
	rest, _ := io.ReadAll(r)
	if string(rest) != "second\n" {
		t.Fatalf("rest %q", rest)
	}
}

// A read that would block forever (a terminal nobody types on) ends with the context.
func TestReadsEndWithTheContext(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadLine(ctx, pr); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadLine: %v", err)
	}
	if _, err := ReadAll(ctx, pr); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadAll: %v", err)
	}
	s, _, _, _ := Test()
	s.In = pr
	if _, err := s.Confirm(ctx, "Go?"); !errors.Is(err, context.Canceled) {
		t.Errorf("Confirm: %v", err)
	}
	if _, err := s.ReadSecret(ctx, "Secret: "); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadSecret: %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { _, _ = pw.Write([]byte("par")); cancel2() }()
	if _, err := io.ReadAll(s.Stdin(ctx2, "key=value lines")); !errors.Is(err, context.Canceled) {
		t.Errorf("Stdin: %v", err)
	}
}

func TestStdinHintOnlyOnATerminal(t *testing.T) {
	s, _, _, errOut := Test()
	s.In = strings.NewReader("a=1\n")
	b, err := io.ReadAll(s.Stdin(context.Background(), "key=value lines"))
	if err != nil || string(b) != "a=1\n" || errOut.Len() != 0 {
		t.Fatalf("%q %v, stderr %q", b, err, errOut)
	}
	s.InTTY = true
	s.In = strings.NewReader("")
	_, _ = io.ReadAll(s.Stdin(context.Background(), "key=value lines"))
	if !strings.Contains(errOut.String(), "reading key=value lines from the terminal: end with Ctrl-D") {
		t.Fatalf("stderr %q", errOut)
	}
}

func TestSecretFromStdin(t *testing.T) {
	for in, want := range map[string]string{"s3cret\n": "s3cret", "s3cret\r\n": "s3cret", "two\nlines\n": "two\nlines", "x": "x"} {
		s, _, _, _ := Test()
		s.In = strings.NewReader(in)
		if got, err := s.SecretFromStdin(context.Background(), "--secret-stdin"); err != nil || got != want {
			t.Errorf("stdin %q: got %q, %v; want %q", in, got, err, want)
		}
	}
	s, _, _, _ := Test()
	s.In = strings.NewReader("\n")
	_, err := s.SecretFromStdin(context.Background(), "--password-stdin")
	var ue *api.UsageError
	if !errors.As(err, &ue) || err.Error() != "--password-stdin: nothing was read from stdin" {
		t.Errorf("empty stdin: %v, want a usage error naming the flag", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.In = strings.NewReader("late\n")
	if _, err := s.SecretFromStdin(ctx, "--secret-stdin"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
}
