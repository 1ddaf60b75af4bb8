package cmd

import (
	"fmt"

	"github.com/infractl/infra/pkg/api"
)

func usageErrorf(format string, a ...any) error {
	return &api.UsageError{Err: fmt.Errorf(format, a...)}
}
