package pra

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/bulk"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/engine"
	"github.com/infractl/infra/pkg/progress"
)

// pruneRules say which Jump Clients to remove.
type pruneRules struct {
	lost            bool
	disconnectedFor time.Duration
	duplicates      bool
	now             time.Time
}

// pruneCandidate is a Jump Client to remove and why. Its JSON shape (the --dry-run -o json report) is part of the
// output contract.
type pruneCandidate struct {
	IDValue         any      `json:"id"`
	ID              string   `json:"-"`
	Name            string   `json:"name"`
	Hostname        string   `json:"hostname"`
	FQDN            string   `json:"fqdn"`
	JumpGroupID     any      `json:"jump_group_id"`
	IsLost          bool     `json:"is_lost"`
	LastConnect     string   `json:"last_connect_timestamp"`
	LastDisconnect  string   `json:"last_disconnect_timestamp"`
	Reasons         []string `json:"reasons"`
	lastConnectTime time.Time
}

func clientOf(m map[string]any) pruneCandidate {
	s := func(k string) string { v, _ := m[k].(string); return v }
	c := pruneCandidate{IDValue: m["id"], ID: idText(m["id"]), Name: s("name"), Hostname: s("hostname"), FQDN: s("fqdn"),
		JumpGroupID: m["jump_group_id"], LastConnect: s("last_connect_timestamp"), LastDisconnect: s("last_disconnect_timestamp")}
	c.IsLost, _ = m["is_lost"].(bool)
	c.lastConnectTime, _ = time.Parse(time.RFC3339, c.LastConnect)
	return c
}

// idText renders a JSON id (a number or a string) without exponent or decimals.
func idText(v any) string {
	switch t := v.(type) {
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case json.Number:
		return t.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// planPrune returns the clients to remove, by id, each with every reason that applies.
func planPrune(items []map[string]any, r pruneRules) []pruneCandidate {
	clients := make([]pruneCandidate, len(items))
	for i, m := range items {
		clients[i] = clientOf(m)
	}
	reasons := map[int][]string{}
	for i, c := range clients {
		if r.lost && c.IsLost {
			reasons[i] = append(reasons[i], "lost (is_lost)")
		}
		if r.disconnectedFor > 0 && disconnectedSince(c, r.now) > r.disconnectedFor {
			reasons[i] = append(reasons[i], fmt.Sprintf("disconnected for %d days (last connected %s)", int(disconnectedSince(c, r.now)/(24*time.Hour)), c.LastConnect))
		}
	}
	if r.duplicates {
		for _, g := range hostGroups(clients) {
			keep := g[0]
			for _, i := range g[1:] {
				if newer(clients[i], clients[keep]) {
					keep = i
				}
			}
			for _, i := range g {
				if i != keep {
					reasons[i] = append(reasons[i], fmt.Sprintf("duplicate of #%s %q (same host %s), which connected last", clients[keep].ID, clients[keep].Name, hostLabel(clients[keep])))
				}
			}
		}
	}
	out := []pruneCandidate{}
	for i, c := range clients {
		if len(reasons[i]) > 0 {
			c.Reasons = reasons[i]
			out = append(out, c)
		}
	}
	sort.Slice(out, func(a, b int) bool { return idLess(out[a].ID, out[b].ID) })
	return out
}

// disconnectedSince is how long a client has been disconnected: 0 while connected (its last disconnection is before
// its last connection) or when it never connected.
func disconnectedSince(c pruneCandidate, now time.Time) time.Duration {
	if c.lastConnectTime.IsZero() {
		return 0
	}
	if d, err := time.Parse(time.RFC3339, c.LastDisconnect); err != nil || d.Before(c.lastConnectTime) {
		return 0
	}
	return now.Sub(c.lastConnectTime)
}

// newer: a connected more recently than b (ties: the higher id, the later install).
func newer(a, b pruneCandidate) bool {
	if !a.lastConnectTime.Equal(b.lastConnectTime) {
		return a.lastConnectTime.After(b.lastConnectTime)
	}
	return idLess(b.ID, a.ID)
}

func idLess(a, b string) bool {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		return x < y
	}
	return a < b
}

func hostLabel(c pruneCandidate) string {
	if c.FQDN != "" {
		return c.FQDN
	}
	return c.Hostname
}

// hostGroups returns the groups of two or more clients on the same host: the same FQDN (case-insensitive), and a
// client without an FQDN joins the group whose clients have its host name when exactly one group does (else it is
// grouped with the other FQDN-less clients of that host name).
func hostGroups(clients []pruneCandidate) [][]int {
	byKey := map[string][]int{}
	var order []string
	add := func(k string, i int) {
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	hostOf := map[string]map[string]bool{} // host name → FQDN groups holding it
	for i, c := range clients {
		if c.FQDN == "" {
			continue
		}
		k := "fqdn:" + strings.ToLower(c.FQDN)
		add(k, i)
		h := strings.ToLower(c.Hostname)
		if hostOf[h] == nil {
			hostOf[h] = map[string]bool{}
		}
		hostOf[h][k] = true
	}
	for i, c := range clients {
		if c.FQDN != "" || c.Hostname == "" {
			continue
		}
		h := strings.ToLower(c.Hostname)
		if len(hostOf[h]) == 1 {
			for k := range hostOf[h] {
				add(k, i)
			}
			continue
		}
		add("host:"+h, i)
	}
	var out [][]int
	for _, k := range order {
		if len(byKey[k]) > 1 {
			out = append(out, byKey[k])
		}
	}
	return out
}

// parseAge reads 30d, 12h, 90m or any Go duration.
func parseAge(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(strings.TrimSpace(s), "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("%q: use a positive number of days like 30d, or a duration like 720h", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: use a positive number of days like 30d, or a duration like 720h", s)
	}
	return d, nil
}

var pruneColumns = []string{"id", "name", "hostname", "fqdn", "last_connect_timestamp", "reasons"}

func newPRAJumpClientPruneCmd(f *cmdutil.Factory, env *engine.Env, g *request.Group) *cobra.Command {
	var lost, dups, dryRun bool
	var age, journal string
	var concurrency int
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove lost, long-disconnected and duplicate Jump Clients (dry run first)",
		Long: `List the Jump Clients to remove and why, then delete them.

  --lost                  clients the appliance marks as lost (is_lost)
  --disconnected-for AGE  clients disconnected (last_disconnect_timestamp after last_connect_timestamp) whose last
                          connection (last_connect_timestamp) is older than AGE: 30d, 720h
  --duplicates            several clients on the same host (the same FQDN; a client without an FQDN by its host
                          name): the one that connected last is kept, the others removed

--dry-run prints the list and deletes nothing (-o json: the report, one object per client with its "reasons").
Otherwise the list is shown on stderr and, after confirmation (on a terminal; --yes without one), the clients are
deleted concurrently within the API's rate limit. Each outcome is journaled (--journal, default
jump-client-prune.journal): running the command again after an interruption resumes, and a delete whose answer was
lost is not repeated. The summary ({"total","done","skipped","failed",…,"records"} with -o json) is printed at the end;
the exit code is 1 when a delete failed.`,
		Example: `  infra pra jump-client prune --lost --duplicates --dry-run
  infra pra jump-client prune --disconnected-for 30d --dry-run -o json > stale.json
  infra pra jump-client prune --lost --disconnected-for 90d --duplicates --yes`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			r := pruneRules{lost: lost, duplicates: dups, now: time.Now()}
			if !lost && !dups && age == "" {
				return usageErrorf("say what to remove: --lost, --disconnected-for AGE and/or --duplicates")
			}
			if age != "" {
				d, err := parseAge(age)
				if err != nil {
					return usageErrorf("--disconnected-for %v", err)
				}
				r.disconnectedFor = d
			}
			if concurrency < 1 || concurrency > 16 {
				return usageErrorf("--concurrency must be between 1 and 16")
			}
			if err := f.ValidateOutput(); err != nil {
				return err
			}
			return runPrune(c.Context(), f, env, g, r, dryRun, journal, concurrency)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&lost, "lost", false, "remove clients marked lost")
	fs.StringVar(&age, "disconnected-for", "", "remove clients disconnected for longer than `AGE` (30d, 720h)")
	fs.BoolVar(&dups, "duplicates", false, "remove all but the most recently connected client of each host")
	fs.BoolVar(&dryRun, "dry-run", false, "only list what would be removed and why")
	fs.StringVar(&journal, "journal", "jump-client-prune.journal", "journal `FILE` recording each delete")
	fs.IntVar(&concurrency, "concurrency", 4, "deletes in flight (the rate limit applies)")
	return cmd
}

func runPrune(ctx context.Context, f *cmdutil.Factory, env *engine.Env, g *request.Group, r pruneRules, dryRun bool, journalPath string, concurrency int) error {
	listOp, delOp := groupOp(g, "list"), groupOp(g, "delete")
	if listOp == nil || delOp == nil {
		return fmt.Errorf("the catalog has no jump-client list/delete")
	}
	be, err := env.Backend(ctx)
	if err != nil {
		return err
	}
	var items []map[string]any
	err = be.List(ctx, &request.Call{Op: listOp, Query: map[string][]string{}}, request.ListOptions{}, func(v any) error {
		if m, ok := v.(map[string]any); ok {
			items = append(items, m)
		}
		return nil
	})
	if err != nil {
		return err
	}
	plan := planPrune(items, r)
	if dryRun {
		return f.Print(plan, pruneColumns)
	}
	if len(plan) == 0 {
		f.Infof("no Jump Client to remove (of %d)", len(items))
		return engine.PrintBulkReport(f, bulk.Summary{Failures: []bulk.Outcome{}}, []bulk.Outcome{}, true)
	}
	for _, c := range plan {
		fmt.Fprintf(f.IO.ErrOut, "remove #%s %s (%s): %s\n", c.ID, c.Name, hostLabel(c), strings.Join(c.Reasons, "; "))
	}
	if err := confirmAction(ctx, f, fmt.Sprintf("remove %d of %d Jump Clients", len(plan), len(items))); err != nil {
		return err
	}
	return deletePlan(ctx, f, be, delOp, plan, journalPath, concurrency)
}

func deletePlan(ctx context.Context, f *cmdutil.Factory, be request.Backend, delOp *request.Op, plan []pruneCandidate, journalPath string, concurrency int) error {
	journal, err := bulk.OpenJournal(journalPath)
	if err != nil {
		return &api.UsageError{Err: fmt.Errorf("--journal: %w", err)}
	}
	defer journal.Close()
	calls := map[string]*request.Call{}
	recs := make([]bulk.Record, len(plan))
	for i, c := range plan {
		key := "delete jump-client " + c.ID
		calls[key] = &request.Call{Op: delOp, PathParams: map[string]string{delOp.Args[0].Param: c.ID}}
		recs[i] = bulk.Record{Index: i + 1, Line: i + 1, Key: key}
	}
	bar := progress.NewCount(f.IO.ErrOut, f.ShowProgress(), int64(len(recs)), "delete")
	var outcomes []bulk.Outcome
	sum, runErr := bulk.Run(ctx, recs, engine.DeleteTask(be, calls), bulk.Options{Concurrency: concurrency, Journal: journal, Bar: bar,
		OnOutcome: func(o bulk.Outcome) {
			outcomes = append(outcomes, o)
			if o.State == bulk.StateFailed {
				f.Warnf("#%s: %s", plan[o.Index-1].ID, o.Error)
			}
		}})
	if perr := engine.PrintBulkReport(f, sum, outcomes, true); perr != nil && runErr == nil {
		runErr = perr
	}
	return runErr
}

func groupOp(g *request.Group, name string) *request.Op {
	for _, op := range g.Ops {
		if op.Name == name {
			return op
		}
	}
	return nil
}
