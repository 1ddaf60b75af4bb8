package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// sitefile measures `infra pra plan` of a site file against a site with 10,000 Jump Items: every page of every kind
// the file declares and of the kinds they refer to, at the rate ceiling, in memory that holds the site once.
func (b *bench) sitefile(tmp string) error {
	items, o, env, stop, err := b.seededPRA(tmp)
	if err != nil {
		return err
	}
	defer stop()
	file := filepath.Join(tmp, "site.yaml")
	b.logf("site file: exporting %d Shell Jump Items", items)
	c := exec.Command(b.infra, "pra", "export", "--resources", "jump-group,jumpoint,jump-item/shell-jump", "-f", file)
	c.Env = env
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("export: %v\n%s", err, out)
	}
	// The lists plan reads: Shell Jump Items (100 a page), and one page each of Jump Groups, Jumpoints and the kinds
	// they refer to (Jump Policies, users for personal Jump Groups).
	pages := (items+99)/100 + 4
	b.logf("site file: plan, %d pages at 20 req/s", pages)
	d, rss, err := b.runMeasured(env, b.infra, "pra", "plan", "-f", file, "--exit-code")
	if err != nil {
		return err
	}
	floor := float64(pages) / float64(o.RatePerSec)
	b.add(Row{Measure: fmt.Sprintf("site file: plan of %d Jump Items (%d pages) `pra plan -f site.yaml`", items, pages), Value: d.Seconds(), Unit: "s", Floor: floor, Against: "pages ÷ 20 req/s"})
	b.add(Row{Measure: "site file: plan peak RSS", Value: rss, Unit: "MiB"})
	return nil
}
