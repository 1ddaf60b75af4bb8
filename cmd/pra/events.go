package pra

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/pra"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/download"
	"github.com/infractl/infra/pkg/events"
)

type eventsFlags struct {
	kinds      []string
	since      string
	state      string
	follow     bool
	interval   time.Duration
	out        string
	rotateSize string
	overlap    time.Duration
	recordings string
}

const eventsLong = `Export closed sessions (AccessSession report) and Vault account activity (VaultAccountActivity report) as JSON
Lines: one object per event, to stdout or to files in --out DIR.

Each line holds every field of the report item (as infra pra report -o json shows it) plus three fields:
  kind   "session" or "vault-activity"
  time   the event time in RFC 3339, UTC: when the session ended, when the Vault event happened
  id     the session's lsid; for a Vault event (which has no id of its own) a digest of all its fields
A report field called kind, time or id would be kept as report_kind, report_time, report_id.

The state file (--state) remembers, per kind, the latest event time exported (the cursor) and the ids exported within
the overlap window before it. Each poll asks one report per kind from cursor − overlap to the present (sessions with
end_time=…&duration=0: a session still open is exported once it has ended), streamed in constant memory, and skips
the ids already exported, so a session the appliance makes visible late is still exported, once. The state is
written atomically (temporary file, fsync, rename) after the output it records is flushed and synced. Two runs
cannot share a state file (it is locked). --since (local time, RFC 3339 or @UNIX; default 24 hours ago) only
applies to a kind the state file does not know yet.

Delivery guarantees:
  --out DIR   exactly once, across runs, crashes (kill -9, power loss) and restarts. Lines are appended to
              events-STAMP.jsonl.part and synced before the state is saved; on start, lines a crash left beyond the
              position the state records are counted as exported and a torn last line is cut. A file is published
              as events-STAMP.jsonl (atomic rename) when it reaches --rotate-size, when the UTC day changes and
              when the run ends: a directory watcher only ever sees complete files.
  stdout      at least once: a line written to a pipe cannot be taken back, so a crash between writing lines and
              saving the state repeats those lines (at most the events of one report, or 5,000) on the next run.
              Every line's id lets the consumer drop a repeat.

--follow polls every --interval until SIGINT or SIGTERM, then finishes the poll's output, publishes the file and
exits 0. Failed polls (appliance restarting, 429, 5xx, network) are retried with a growing delay; requests are also
retried by the HTTP layer within the rate limit.

--recordings DIR also downloads the recording (AccessSessionRecording) of each newly exported session that has one,
as DIR/LSID.EXT, written atomically and skipped when already present. Downloads still to do are kept in the state.`

func newPRAEventsCmd(f *cmdutil.Factory) *cobra.Command {
	var ef eventsFlags
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Export sessions and Vault activity as JSON Lines, exactly once, with a durable cursor (SIEM feeds)",
		Long:  eventsLong,
		Example: `  infra pra events --state /var/lib/infra/pra-events.state --follow | vector --config pra.toml
  infra pra events --state pra.state --out /var/log/pra --since 2024-07-01 --follow --interval 30s
  infra pra events --kind session --state sessions.state --recordings /srv/recordings`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			kinds, since, rotate, err := ef.check(c, time.Now)
			if err != nil {
				return err
			}
			lock := flock.New(ef.state+".lock", flock.SetPermissions(0o600))
			ok, err := lock.TryLock()
			if err != nil {
				return fmt.Errorf("--state %s: %w", ef.state, err)
			}
			if !ok {
				return &api.UsageError{Err: fmt.Errorf("--state %s is in use by another infra pra events run", ef.state)}
			}
			defer lock.Unlock()
			st, err := events.LoadState(ef.state)
			if err != nil {
				return err
			}
			return praRun(f, func(ctx context.Context, cl *pra.Client, _ *cobra.Command, _ []string) error {
				return runEvents(ctx, f, cl, &ef, &events.Exporter{Kinds: kinds, State: st, Path: ef.state, Since: since, Overlap: ef.overlap}, rotate)
			})(c, nil)
		},
	}
	fs := cmd.Flags()
	fs.StringSliceVar(&ef.kinds, "kind", events.KindNames(), "kinds of events to export, comma-separated: "+strings.Join(events.KindNames(), ", "))
	fs.StringVar(&ef.since, "since", "", "export events from `TIME` on (local time, RFC 3339 or @UNIX) when the state does not know the kind yet (default: 24 hours ago)")
	fs.StringVar(&ef.state, "state", "", "state `FILE` holding the cursor and the ids exported (required)")
	fs.BoolVar(&ef.follow, "follow", false, "keep polling until SIGINT or SIGTERM")
	fs.DurationVar(&ef.interval, "interval", time.Minute, "time between polls with --follow")
	fs.StringVar(&ef.out, "out", "", "write files in `DIR` instead of stdout (exactly once; see above)")
	fs.StringVar(&ef.rotateSize, "rotate-size", "100M", "with --out, start a new file beyond `SIZE` bytes (K, M, G suffixes; 0: daily only)")
	fs.DurationVar(&ef.overlap, "overlap", 10*time.Minute, "window before the cursor that every poll reads again, for events the appliance shows late")
	fs.StringVar(&ef.recordings, "recordings", "", "also download the recording of each new session into `DIR`")
	return cmd
}

// check validates the flags before anything is read or sent.
func (ef *eventsFlags) check(c *cobra.Command, now func() time.Time) ([]events.Kind, int64, int64, error) {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	var kinds []events.Kind
	for _, name := range splitList(ef.kinds) {
		k, ok := events.FindKind(name)
		if !ok {
			add("--kind %q: use %s", name, strings.Join(events.KindNames(), ", "))
			continue
		}
		kinds = append(kinds, k)
	}
	if len(kinds) == 0 && len(problems) == 0 {
		add("--kind: name at least one of %s", strings.Join(events.KindNames(), ", "))
	}
	since := now().Add(-24 * time.Hour).Unix()
	if ef.since != "" {
		t, err := parseLocalTime(ef.since)
		if err != nil {
			add("--since: %v", err)
		} else if t.After(now()) {
			add("--since %s is in the future", t.UTC().Format(time.RFC3339))
		}
		since = t.Unix()
	}
	if ef.state == "" {
		add("--state FILE is required: it holds the cursor that makes the export exactly once")
	} else if st, err := os.Stat(filepath.Dir(ef.state)); err != nil || !st.IsDir() {
		add("--state %s: no directory %s", ef.state, filepath.Dir(ef.state))
	}
	if c.Flags().Changed("interval") && !ef.follow {
		add("--interval goes with --follow")
	}
	if ef.interval < 100*time.Millisecond {
		add("--interval %s: use at least 100ms", ef.interval)
	}
	if ef.overlap < 0 {
		add("--overlap must not be negative")
	}
	for flag, dir := range map[string]string{"out": ef.out, "recordings": ef.recordings} {
		if st, err := os.Stat(dir); dir != "" && (err != nil || !st.IsDir()) {
			add("--%s %s: not a directory", flag, dir)
		}
	}
	rotate, err := parseSize(ef.rotateSize)
	if err != nil {
		add("--rotate-size: %v", err)
	}
	if c.Flags().Changed("rotate-size") && ef.out == "" {
		add("--rotate-size goes with --out")
	}
	if len(problems) > 0 {
		return nil, 0, 0, &api.UsageError{Err: errors.New(strings.Join(problems, "\n  "))}
	}
	return kinds, since, rotate, nil
}

// parseSize reads 100M, 1G, 512K or a byte count.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	for suffix, m := range map[string]int64{"K": 1 << 10, "M": 1 << 20, "G": 1 << 30} {
		if rest, ok := strings.CutSuffix(s, suffix); ok {
			s, mult = rest, m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (100M, 1G, 512K or bytes)", s)
	}
	return n * mult, nil
}

// runEvents polls once, or until the context ends with --follow.
func runEvents(ctx context.Context, f *cmdutil.Factory, cl *pra.Client, ef *eventsFlags, ex *events.Exporter, rotate int64) error {
	ex.Source = func(ctx context.Context, k events.Kind, from int64) (events.Items, error) {
		spec, _ := pra.FindReport(k.Report)
		return cl.Report(ctx, spec, url.Values{k.Param: {strconv.FormatInt(from, 10)}, "duration": {"0"}})
	}
	if ef.out != "" {
		d := events.NewDirSink(ef.out, rotate)
		if err := ex.Reconcile(d); err != nil {
			return fmt.Errorf("--out %s: %w", ef.out, err)
		}
		ex.Sink = d
	} else {
		ex.Sink = events.NewStreamSink(f.IO.Out)
	}
	if ef.recordings != "" {
		ex.OnNew = func(k events.Kind, item map[string]any) {
			if lsid, _ := item["lsid"].(string); k.Name == "session" && item["session_recording_download_url"] != nil && lsid != "" {
				ex.State.Recordings = append(ex.State.Recordings, lsid)
			}
		}
	}
	err := pollLoop(ctx, f, cl, ef, ex)
	if cerr := ex.Sink.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

func pollLoop(ctx context.Context, f *cmdutil.Factory, cl *pra.Client, ef *eventsFlags, ex *events.Exporter) error {
	failures := 0
	for {
		n, err := ex.Poll(ctx)
		if err == nil && ef.recordings != "" {
			err = downloadRecordings(ctx, f, cl, ef.recordings, ex)
		}
		if ctx.Err() != nil && ef.follow {
			return nil // SIGINT/SIGTERM: what was written is committed
		}
		if !ef.follow {
			return err
		}
		wait := ef.interval
		if err != nil {
			failures++
			wait = min(time.Second<<min(failures-1, 10), ef.interval, 5*time.Minute)
			f.Warnf("poll failed (%d in a row; next in %s): %v", failures, wait, err)
		} else {
			failures = 0
			if n > 0 && f.IO.ErrTTY {
				f.Infof("%s: %d new events", time.Now().Format(time.TimeOnly), n)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// downloadRecordings fetches the pending recordings; one the appliance refuses is dropped with a warning, one that
// fails otherwise stays pending for the next poll.
func downloadRecordings(ctx context.Context, f *cmdutil.Factory, cl *pra.Client, dir string, ex *events.Exporter) error {
	spec, _ := pra.FindReport("AccessSessionRecording")
	var keep []string
	var firstErr error
	for _, lsid := range ex.State.Recordings {
		if firstErr != nil || ctx.Err() != nil {
			keep = append(keep, lsid)
			continue
		}
		if present, _ := filepath.Glob(filepath.Join(dir, lsid+"*")); len(present) > 0 {
			continue
		}
		err := saveRecording(ctx, cl, spec, dir, lsid)
		var xe *pra.XMLError
		switch {
		case errors.As(err, &xe):
			f.Warnf("recording of session %s: %v", lsid, err)
		case err != nil:
			keep, firstErr = append(keep, lsid), fmt.Errorf("recording of session %s: %w", lsid, err)
		}
	}
	ex.State.Recordings = keep
	return errors.Join(firstErr, ex.State.Save(ex.Path))
}

func saveRecording(ctx context.Context, cl *pra.Client, spec *pra.ReportSpec, dir, lsid string) error {
	file, err := cl.ReportFile(ctx, spec, url.Values{"lsid": {lsid}})
	if err != nil {
		return err
	}
	defer file.Close()
	_, err = download.Save(ctx, file.Body, download.Options{Path: dir, Name: lsid + filepath.Ext(download.Sanitize(file.Name)), Size: file.Size, NonEmpty: true})
	return err
}
