package pra

import (
	"errors"
	"fmt"
	"strings"
)

// problems collects every problem found in a request's parameters, so that all of them are reported at once,
// before anything is sent.
type problems []string

// add records one problem.
func (ps *problems) add(format string, a ...any) {
	*ps = append(*ps, fmt.Sprintf(format, a...))
}

// present checks that the value v of p is there: a required parameter that is missing (given false) or blank is a
// problem of owner (an action or a report). It reports whether v is given and worth checking further.
func (ps *problems) present(p *Param, v string, given bool, owner string) bool {
	if !given {
		if p.Required {
			ps.add("%s (--%s): required for %s", p.Name, p.Flag, owner)
		}
		return false
	}
	if p.Required && strings.TrimSpace(v) == "" {
		ps.add("%s (--%s): must not be empty", p.Name, p.Flag)
		return false
	}
	return true
}

// err joins the problems, one per indented line, or is nil when there are none.
func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return errors.New(strings.Join(ps, "\n  "))
}
