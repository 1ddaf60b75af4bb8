package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/infractl/infra/pkg/api"
)

// UnitHint completes a "no host / no client id configured" error when the vendor's unit comes from a source that
// sets other parts: the missing part must come from that same source.
func UnitHint(unit *Conn, err error) error {
	if unit.Kind == "" || len(unit.Missing()) == 0 {
		return err
	}
	var names []string
	for _, p := range unit.Missing() {
		names = append(names, unit.NameOf(p))
	}
	msg := fmt.Sprintf("%s connection settings come from %s (%s), which does not set %s: set it there too, or unset "+
		"those settings to use profile %q", unit.Vendor, unit.Source, strings.Join(unit.Names(), ", "),
		strings.Join(names, ", "), unit.Profile)
	var ue *api.UsageError
	if errors.As(err, &ue) {
		return &api.UsageError{Err: fmt.Errorf("%w\n  %s", err, msg)}
	}
	return fmt.Errorf("%w\n  %s", err, msg)
}
