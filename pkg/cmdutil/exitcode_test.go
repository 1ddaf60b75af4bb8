package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/infractl/infra/pkg/api"
)

func TestExitCode(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitError},
		{fmt.Errorf("wrapped: %w", &api.UsageError{Err: errors.New("x")}), ExitUsage},
		{&api.AuthError{Err: errors.New("no credential")}, ExitAuth},
		{&api.HTTPError{StatusCode: 403}, ExitAuth},
		{&api.HTTPError{StatusCode: 404}, ExitNotFound},
		{&api.HTTPError{StatusCode: 429}, ExitRateLimited},
		{&api.HTTPError{StatusCode: 422}, ExitUsage},
		{&api.HTTPError{StatusCode: 500}, ExitError},
		{fmt.Errorf("get: %w", context.Canceled), ExitInterrupted},
		{context.DeadlineExceeded, ExitError},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

// TestExitCodesTable: every kind of error has exactly one code besides success, so the documented table is the mapping.
func TestExitCodesTable(t *testing.T) {
	seen := map[api.ErrorKind]int{}
	codes := map[int]bool{}
	for _, e := range ExitCodes {
		if codes[e.Code] {
			t.Errorf("exit code %d is listed twice", e.Code)
		}
		codes[e.Code] = true
		if e.Code == ExitOK {
			continue
		}
		if prev, dup := seen[e.Kind]; dup {
			t.Errorf("kind %d maps to %d and %d", e.Kind, prev, e.Code)
		}
		seen[e.Kind] = e.Code
	}
	for k := api.KindOther; k <= api.KindInterrupted; k++ {
		if _, ok := seen[k]; !ok {
			t.Errorf("kind %d has no exit code", k)
		}
	}
}
