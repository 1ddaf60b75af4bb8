package cmdutil

import (
	"fmt"

	"github.com/infractl/infra/pkg/api"
)

// UsageErrorf is a usage error (exit code 2) with a formatted message.
func UsageErrorf(format string, a ...any) error {
	return &api.UsageError{Err: fmt.Errorf(format, a...)}
}
