package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// sitefile measures `infra pra plan` of a site file against a site with 10,000 Jump Items: every page of every kind
// the file declares and of the kinds they refer to, at the rate ceiling, in memory that holds the site once. Its
// memory is set beside the site itself: the compact JSON of the objects the file declares as the API lists them, and
// the peak RSS of listing the same Jump Items (`--all -o json`, streamed: the process's own floor plus a page).
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
	b.logf("site file: the site as JSON, and the peak RSS of listing its Jump Items")
	var site int
	var listRSS float64
	for _, args := range [][]string{{"jump-item", "list", "shell-jump", "--all"}, {"jump-group", "list", "--all"}, {"jumpoint", "list", "--all"}} {
		listed := filepath.Join(tmp, "list.json")
		_, rss, err := b.runMeasuredTo(env, listed, append(append([]string{b.infra, "pra"}, args...), "-o", "json")...)
		if err != nil {
			return err
		}
		out, err := os.ReadFile(listed)
		if err != nil {
			return err
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, out); err != nil {
			return fmt.Errorf("pra %v -o json: %w", args, err)
		}
		site += compact.Len()
		if args[0] == "jump-item" {
			listRSS = rss
		}
	}
	siteMiB := float64(site) / (1 << 20)
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
	b.add(Row{Measure: fmt.Sprintf("site file: the site as JSON (%d Jump Items, Jump Groups, Jumpoints as listed, compact)", items), Value: siteMiB, Unit: "MiB"})
	b.add(Row{Measure: "site file: plan peak RSS", Value: rss, Unit: "MiB", Floor: listRSS, Against: "`pra jump-item list shell-jump --all -o json`"})
	// The goal, ≤ 2.5× the site's JSON: what plan holds beyond a streamed list is the site (a compact table) and the
	// file's names, at most the site once, and the collector lets the heap grow past what is live before collecting.
	b.add(Row{Measure: "site file: plan memory beyond the streamed list (peak RSS − the list's)", Value: rss - listRSS, Unit: "MiB", Floor: siteMiB, Against: "the site as JSON",
		Note: "holds the site at most once, plus the collector's headroom"})
	return nil
}
