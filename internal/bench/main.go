// Command bench measures the infra binary end to end and prints each figure beside a floor or comparison measured
// in the same run: start-up against a bare cobra binary, pagination and bulk throughput against the vendor's rate
// ceiling, token reuse across invocations, and streaming memory against curl. `make bench` runs it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"

	"github.com/infractl/infra/internal/sim/prasim"
	"github.com/infractl/infra/internal/sim/praxmlsim"
	"github.com/infractl/infra/pkg/sandbox"
)

// Row is one measure beside its floor.
type Row struct {
	Measure string  `json:"measure"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Floor   float64 `json:"floor,omitempty"`
	Against string  `json:"against,omitempty"` // what the floor is
	Ratio   float64 `json:"ratio,omitempty"`   // value / floor
	Note    string  `json:"note,omitempty"`
	// Goal is the target: at most MaxRatio × the floor, at least MinRatio × the floor, or at most MaxValue.
	MaxRatio float64 `json:"max_ratio,omitempty"`
	MinRatio float64 `json:"min_ratio,omitempty"`
	MaxValue float64 `json:"max_value,omitempty"`
	Met      *bool   `json:"met,omitempty"`
}

// goals are the targets of the measures, by the start of their name.
var goals = []struct {
	prefix                   string
	maxRatio, minRatio, maxV float64
}{
	{prefix: "start-up: infra --version", maxRatio: 1.3},
	{prefix: "start-up: infra pra --help", maxRatio: 1.6},
	{prefix: "tokens minted", maxRatio: 1},
	{prefix: "pagination: peak RSS", maxV: 32},
	{prefix: "pagination:", maxRatio: 1.1},
	{prefix: "site file: plan memory beyond", maxRatio: 2.5},
	{prefix: "site file: plan peak RSS"},
	{prefix: "site file: the site"},
	{prefix: "site file: plan", maxRatio: 1.3},
	{prefix: "bulk:", maxRatio: 1.1},
	{prefix: "backup", minRatio: 0.95},
	{prefix: "report", maxRatio: 1.5},
}

// goal returns the row's target in words and whether the value meets it (nil: no goal).
func (r *Row) goal() (string, *bool) {
	var met bool
	switch {
	case r.MaxValue > 0:
		met = r.Value <= r.MaxValue
		return fmt.Sprintf("≤ %g %s", r.MaxValue, r.Unit), &met
	case r.MaxRatio > 0 && r.Floor > 0:
		met = r.Ratio <= r.MaxRatio
		return fmt.Sprintf("≤ %.3g×", r.MaxRatio), &met
	case r.MinRatio > 0 && r.Floor > 0:
		met = r.Ratio >= r.MinRatio
		return fmt.Sprintf("≥ %.3g×", r.MinRatio), &met
	}
	return "", nil
}

type bench struct {
	infra, hello, rss string
	runs              int
	rounds            int // rounds of the backup and report measures (medians)
	quick             bool
	only              string // comma-separated steps to run (all when empty)
	rows              []Row
	log               io.Writer
}

func main() {
	infra := flag.String("infra", "bin/infra", "infra binary to measure")
	jsonOut := flag.Bool("json", os.Getenv("BENCH_JSON") == "1", "print JSON instead of a table")
	md := flag.String("markdown", "", "also write the results as a markdown table to `FILE`")
	runs := flag.Int("runs", 41, "runs per start-up measure (median)")
	quick := flag.Bool("quick", false, "smaller workloads (smoke run)")
	rounds := flag.Int("rounds", 3, "rounds of the backup and report measures, each the floor then infra (medians)")
	only := flag.String("only", "", "run only these `STEPS` (comma-separated: startup, size, tokens, pagination, bulk, bulk429, streaming (backup and report), backup, report, events, sitefile)")
	flag.Parse()

	b := &bench{runs: *runs, rounds: max(*rounds, 1), quick: *quick, only: *only, log: os.Stderr}
	var err error
	if b.infra, err = filepath.Abs(*infra); err == nil {
		err = b.run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if *jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"machine": machine(), "rows": b.rows})
	} else {
		b.table(os.Stdout)
	}
	if *md != "" {
		if err := b.markdown(*md); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
}

func (b *bench) run() error {
	tmp, err := os.MkdirTemp("", "infra-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if _, err := os.Stat(b.infra); err != nil {
		return fmt.Errorf("%s: build it first (make build)", b.infra)
	}
	b.hello = filepath.Join(tmp, "hello")
	b.rss = filepath.Join(tmp, "rss")
	b.logf("building the cobra hello floor and the RSS probe")
	for out, pkg := range map[string]string{b.hello: "./internal/bench/hello", b.rss: "./internal/bench/rss"} {
		build := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if msg, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %v\n%s", pkg, err, msg)
		}
	}
	steps := []struct {
		name string
		run  func(string) error
	}{{"startup", b.startup}, {"size", b.size}, {"tokens", b.tokens}, {"pagination", b.pagination}, {"bulk", b.bulk},
		{"bulk429", b.bulk429}, {"backup", b.backup}, {"report", b.report}, {"events", b.events}, {"sitefile", b.sitefile}}
	only := strings.Split(b.only, ",")
	if slices.Contains(only, "streaming") {
		only = append(only, "backup", "report")
	}
	for _, step := range steps {
		if b.only != "" && !slices.Contains(only, step.name) {
			continue
		}
		if err := step.run(tmp); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) logf(format string, a ...any) { fmt.Fprintf(b.log, "bench: "+format+"\n", a...) }

func (b *bench) add(r Row) {
	if r.Floor > 0 {
		r.Ratio = r.Value / r.Floor
	}
	for _, g := range goals {
		if strings.HasPrefix(r.Measure, g.prefix) {
			r.MaxRatio, r.MinRatio, r.MaxValue = g.maxRatio, g.minRatio, g.maxV
			break
		}
	}
	// Peak RSS of the streams: at most 32 MiB, whatever the floor.
	if strings.HasSuffix(r.Measure, "peak RSS") && (strings.HasPrefix(r.Measure, "report") || strings.HasPrefix(r.Measure, "backup")) {
		r.MaxRatio, r.MinRatio, r.MaxValue = 0, 0, 32
	}
	if strings.HasPrefix(r.Measure, "backup") && strings.HasSuffix(r.Measure, "time") {
		r.MinRatio, r.MaxRatio = 0, 1/0.95
	}
	_, r.Met = r.goal()
	b.rows = append(b.rows, r)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (b *bench) size(string) error {
	si, err := os.Stat(b.infra)
	if err != nil {
		return err
	}
	sh, err := os.Stat(b.hello)
	if err != nil {
		return err
	}
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	b.add(Row{Measure: "binary size: infra", Value: mib(si.Size()), Unit: "MiB", Floor: mib(sh.Size()), Against: "cobra hello"})
	return nil
}

// pra starts a PRA simulator and returns the environment pointing infra at it.
func pra(ctx context.Context, tmp string, o prasim.Options, wrap ...func(http.Handler) http.Handler) (*prasim.Server, []string, func(), error) {
	v, sim := sandbox.NewPRA(o)
	for _, w := range wrap {
		v.Handler = w(v.Handler)
	}
	sb, err := sandbox.Start(ctx, []sandbox.Vendor{v}, sandbox.Options{})
	if err != nil {
		return nil, nil, nil, err
	}
	dir, err := os.MkdirTemp(tmp, "run-")
	if err != nil {
		sb.Close()
		return nil, nil, nil, err
	}
	env := append(os.Environ(), "INFRA_CONFIG_DIR="+dir+"/config", "INFRA_CACHE_DIR="+dir+"/cache", "INFRA_SECRET_STORE=file", "NO_COLOR=1")
	for k, val := range sb.Env() {
		env = append(env, k+"="+val)
	}
	return sim, env, func() { sb.Close() }, nil
}

func (b *bench) tokens(tmp string) error {
	n, par := 1000, 20
	if b.quick {
		n = 50
	}
	o := prasim.DefaultOptions()
	o.RatePerSec, o.RatePerHour = 0, 0 // this row counts tokens, not throughput
	sim, env, stop, err := pra(context.Background(), tmp, o)
	if err != nil {
		return err
	}
	defer stop()
	b.logf("token reuse: %d sequential invocations", n)
	for i := 0; i < n; i++ {
		c := exec.Command(b.infra, "pra", "jump-group", "list", "-o", "json")
		c.Env = env
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("jump-group list: %v\n%s", err, out)
		}
	}
	b.add(Row{Measure: fmt.Sprintf("tokens minted: %d sequential `pra jump-group list`", n), Value: float64(sim.TokensMinted()), Unit: "tokens", Floor: 1, Against: "goal"})

	sim2, env2, stop2, err := pra(context.Background(), tmp, o)
	if err != nil {
		return err
	}
	defer stop2()
	b.logf("token reuse: %d parallel invocations", par)
	errs := make(chan error, par)
	for i := 0; i < par; i++ {
		go func() {
			c := exec.Command(b.infra, "pra", "jump-group", "list", "-o", "json")
			c.Env = env2
			out, err := c.CombinedOutput()
			if err != nil {
				err = fmt.Errorf("%v: %s", err, out)
			}
			errs <- err
		}()
	}
	var all error
	for i := 0; i < par; i++ {
		all = errors.Join(all, <-errs)
	}
	if all != nil {
		return all
	}
	b.add(Row{Measure: fmt.Sprintf("tokens minted: %d parallel `pra jump-group list`", par), Value: float64(sim2.TokensMinted()), Unit: "tokens", Floor: 1, Against: "goal"})
	return nil
}

// runMeasured runs argv (through the RSS probe), discarding stdout, and returns wall time and peak RSS in MiB.
func (b *bench) runMeasured(env []string, argv ...string) (time.Duration, float64, error) {
	return b.runMeasuredTo(env, "", argv...)
}

// runMeasuredTo is runMeasured with stdout written to the file stdout (when not empty), as a shell's redirection
// would: the command writes to the file itself, as curl -o does.
func (b *bench) runMeasuredTo(env []string, stdout string, argv ...string) (time.Duration, float64, error) {
	out := filepath.Join(os.TempDir(), fmt.Sprintf("infra-bench-rss-%d", os.Getpid()))
	defer os.Remove(out)
	c := exec.Command(b.rss, append([]string{out}, argv...)...)
	c.Env = env
	c.Stdout = io.Discard
	if stdout != "" {
		f, err := os.Create(stdout)
		if err != nil {
			return 0, 0, err
		}
		defer f.Close()
		c.Stdout = f
	}
	var stderr strings.Builder
	c.Stderr = &stderr
	start := time.Now()
	err := c.Run()
	d := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, stderr.String())
	}
	kib, err := os.ReadFile(out)
	if err != nil {
		return 0, 0, err
	}
	var n float64
	fmt.Sscan(string(kib), &n)
	return d, n / 1024, nil
}

// seededPRA starts a PRA simulator with 10,000 Shell Jump Items tagged "bench" (1,000 with -quick).
func (b *bench) seededPRA(tmp string) (items int, o prasim.Options, env []string, stop func(), err error) {
	items = 10000
	if b.quick {
		items = 1000
	}
	o = prasim.DefaultOptions()
	sim, env, stop, err := pra(context.Background(), tmp, o)
	if err != nil {
		return 0, o, nil, nil, err
	}
	sim.SeedShellJumps(items, "bench")
	return items, o, env, stop, nil
}

func (b *bench) pagination(tmp string) error {
	items, o, env, stop, err := b.seededPRA(tmp)
	if err != nil {
		return err
	}
	defer stop()
	pages := (items + 99) / 100
	b.logf("pagination: %d items, %d pages at 20 req/s", items, pages)
	d, rss, err := b.runMeasured(env, b.infra, "pra", "jump-item", "list", "shell-jump", "--tag", "bench", "--all", "-o", "json")
	if err != nil {
		return err
	}
	floor := float64(pages) / float64(o.RatePerSec)
	b.add(Row{Measure: fmt.Sprintf("pagination: %d items (%d pages) `pra jump-item list shell-jump --all`", items, pages), Value: d.Seconds(), Unit: "s", Floor: floor, Against: "pages ÷ 20 req/s"})
	b.add(Row{Measure: "pagination: peak RSS", Value: rss, Unit: "MiB"})
	return nil
}

func machine() map[string]any {
	m := map[string]any{"goos": runtime.GOOS, "goarch": runtime.GOARCH, "cpus": runtime.NumCPU(), "go": runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				m["cpu"] = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	return m
}

func (r Row) cells() []string {
	val := "—"
	if r.Value != 0 || r.Note == "" {
		val = fmt.Sprintf("%.2f %s", r.Value, r.Unit)
	}
	floor, ratio := "", ""
	if r.Floor > 0 {
		floor = fmt.Sprintf("%.2f %s (%s)", r.Floor, r.Unit, r.Against)
		ratio = fmt.Sprintf("%.2f×", r.Ratio)
	}
	goal, met := r.goal()
	mark := ""
	if met != nil {
		mark = "met"
		if !*met {
			mark = "NOT MET"
		}
	}
	return []string{r.Measure, val, floor, ratio, goal, mark, r.Note}
}

func (b *bench) table(w io.Writer) {
	t := tablewriter.NewWriter(w)
	t.Header("measure", "value", "floor / comparison", "ratio", "goal", "met", "note")
	for _, r := range b.rows {
		_ = t.Append(r.cells())
	}
	_ = t.Render()
}

func (b *bench) markdown(path string) error {
	var sb strings.Builder
	m := machine()
	fmt.Fprintf(&sb, "Machine: %v, %v CPUs, %v/%v, %v. Date: %s.\n\n", m["cpu"], m["cpus"], m["goos"], m["goarch"], m["go"], time.Now().UTC().Format("2006-01-02"))
	sb.WriteString("| measure | value | floor / comparison | ratio | goal | met | note |\n|---|---|---|---|---|---|---|\n")
	for _, r := range b.rows {
		c := r.cells()
		fmt.Fprintf(&sb, "| %s |\n", strings.Join(c, " | "))
	}
	return os.WriteFile(path, replaceSection(readOrEmpty(path), "## Latest results", sb.String()), 0o644)
}

func readOrEmpty(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}

// replaceSection puts body under heading in doc, replacing what stood there up to the next "## " heading; the rest of
// the document (how to read the figures, the notes) is kept. A document without the heading gets it at the end.
func replaceSection(doc []byte, heading, body string) []byte {
	s := string(doc)
	i := strings.Index(s, heading+"\n")
	if i < 0 {
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		return []byte(s + heading + "\n\n" + body)
	}
	start := i + len(heading) + 1
	end := len(s)
	if j := strings.Index(s[start:], "\n## "); j >= 0 {
		end = start + j + 1
	}
	return []byte(s[:start] + "\n" + body + "\n" + s[end:])
}

// bulkCreate writes n Jump Groups named "PREFIX i" to a CSV file and times `pra jump-group create --from-file`.
func (b *bench) bulkCreate(tmp string, env []string, prefix string, n int) (time.Duration, error) {
	file := filepath.Join(tmp, strings.ToLower(prefix)+".csv")
	var sb strings.Builder
	sb.WriteString("name,code_name\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "%s %d,%s%d\n", prefix, i, strings.ToLower(prefix), i)
	}
	if err := os.WriteFile(file, []byte(sb.String()), 0o600); err != nil {
		return 0, err
	}
	d, _, err := b.runMeasured(env, b.infra, "pra", "jump-group", "create", "--from-file", file, "--no-journal", "-o", "json")
	return d, err
}

func (b *bench) bulk(tmp string) error {
	n, loop := 1000, 1000
	if b.quick {
		n, loop = 100, 40
	}
	o := prasim.DefaultOptions()
	_, env, stop, err := pra(context.Background(), tmp, o)
	if err != nil {
		return err
	}
	defer stop()
	b.logf("bulk: %d creates with --from-file at 20 req/s", n)
	d, err := b.bulkCreate(tmp, env, "Bench", n)
	if err != nil {
		return err
	}
	floor := float64(n) / float64(o.RatePerSec)
	b.add(Row{Measure: fmt.Sprintf("bulk: %d creates `--from-file`", n), Value: d.Seconds(), Unit: "s", Floor: floor, Against: "items ÷ 20 req/s"})

	b.logf("bulk: %d creates with a shell loop, one infra per item", loop)
	start := time.Now()
	for i := 0; i < loop; i++ {
		c := exec.Command(b.infra, "pra", "jump-group", "create", "--name", fmt.Sprintf("Loop %d", i), "-o", "json")
		c.Env = env
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("shell loop item %d: %v\n%s", i, err, out)
		}
	}
	perItem := time.Since(start).Seconds() / float64(loop)
	b.add(Row{Measure: fmt.Sprintf("bulk: shell loop, one `infra` per item (%d items, scaled to %d)", loop, n), Value: perItem * float64(n), Unit: "s",
		Floor: d.Seconds(), Against: "--from-file"})
	return nil
}

// praSandbox serves a PRA simulator (no rate limit) with the XML APIs configured by xo, and returns the environment
// for infra, a bearer header for curl, the base URL and a stop function.
func (b *bench) praSandbox(tmp string, xo praxmlsim.Options) (env []string, bearer, base string, stop func(), err error) {
	o := prasim.DefaultOptions()
	o.RatePerSec, o.RatePerHour = 0, 0
	sim := prasim.New(o)
	praxmlsim.New(xo).MountOn(sim)
	v := sandbox.Vendor{Name: "pra", Handler: sim, Env: func(u string) map[string]string {
		return map[string]string{"INFRA_PRA_HOST": u, "INFRA_PRA_CLIENT_ID": sim.ClientID(), "INFRA_PRA_CLIENT_SECRET": sim.ClientSecret()}
	}}
	sb, err := sandbox.Start(context.Background(), []sandbox.Vendor{v}, sandbox.Options{})
	if err != nil {
		return nil, "", "", nil, err
	}
	dir, err := os.MkdirTemp(tmp, "pra-")
	if err != nil {
		sb.Close()
		return nil, "", "", nil, err
	}
	env = append(os.Environ(), "INFRA_CONFIG_DIR="+dir+"/config", "INFRA_CACHE_DIR="+dir+"/cache", "INFRA_SECRET_STORE=file")
	for k, val := range sb.Env() {
		env = append(env, k+"="+val)
	}
	tok := exec.Command(b.infra, "auth", "token", "pra")
	tok.Env = env
	out, err := tok.Output()
	if err != nil {
		sb.Close()
		return nil, "", "", nil, fmt.Errorf("auth token: %v", err)
	}
	return env, "Authorization: Bearer " + strings.TrimSpace(string(out)), sb.URL("pra"), func() { sb.Close() }, nil
}

// measures are the wall times and the highest peak RSS of several runs of one command.
type measures struct {
	times []time.Duration
	rss   float64
}

// run runs argv once through runMeasuredTo and records its figures.
func (m *measures) run(b *bench, env []string, stdout string, argv ...string) error {
	d, rss, err := b.runMeasuredTo(env, stdout, argv...)
	if err != nil {
		return err
	}
	m.times = append(m.times, d)
	m.rss = max(m.rss, rss)
	return nil
}

// median is the median wall time.
func (m *measures) median() time.Duration {
	t := slices.Clone(m.times)
	slices.Sort(t)
	return t[len(t)/2]
}

// curl reports whether curl, the floor of the backup and report measures, is installed; without it the measure
// named what is skipped with a note.
func (b *bench) curl(what string) bool {
	if _, err := exec.LookPath("curl"); err != nil {
		b.logf("%s: curl is not installed; the measure needs it as its floor and is skipped", what)
		b.add(Row{Measure: what, Note: "skipped: curl not installed (apt-get install curl)"})
		return false
	}
	return true
}

// backup measures a large backup download against curl fetching the same bytes.
func (b *bench) backup(tmp string) error {
	if !b.curl("backup streaming") {
		return nil
	}
	size := int64(2 << 30)
	if b.quick {
		size = 64 << 20
	}
	env, bearer, base, stop, err := b.praSandbox(tmp, praxmlsim.Options{Seed: true, BackupSize: size})
	if err != nil {
		return err
	}
	defer stop()
	dir, err := os.MkdirTemp(tmp, "stream-")
	if err != nil {
		return err
	}
	mib := float64(size) / (1 << 20)

	b.logf("backup: %.0f MiB with curl and with infra, %d rounds", mib, b.rounds)
	file := filepath.Join(dir, "backup.nsb")
	var curl, infra measures
	for range b.rounds {
		if err := curl.run(b, env, "", "curl", "-sS", "-f", "-H", bearer, "-o", file, base+"/api/backup"); err != nil {
			return err
		}
		os.Remove(file)
		if err := infra.run(b, env, "", b.infra, "pra", "backup", "-f", file); err != nil {
			return err
		}
		os.Remove(file)
	}
	d, rss, dc, rssc := infra.median(), infra.rss, curl.median(), curl.rss
	b.add(Row{Measure: fmt.Sprintf("backup %.0f MiB: `infra pra backup` time", mib), Value: d.Seconds(), Unit: "s", Floor: dc.Seconds(), Against: "curl -o"})
	b.add(Row{Measure: fmt.Sprintf("backup %.0f MiB: throughput", mib), Value: mib / d.Seconds(), Unit: "MiB/s", Floor: mib / dc.Seconds(), Against: "curl -o"})
	b.add(Row{Measure: fmt.Sprintf("backup %.0f MiB: peak RSS", mib), Value: rss, Unit: "MiB", Floor: rssc, Against: "curl -o"})
	return nil
}

// report measures a large report converted to JSON lines and CSV against curl fetching the raw XML.
func (b *bench) report(tmp string) error {
	if !b.curl("report streaming") {
		return nil
	}
	sessions := 100000
	if b.quick {
		sessions = 5000
	}
	env, bearer, base, stop, err := b.praSandbox(tmp, praxmlsim.Options{Seed: true})
	if err != nil {
		return err
	}
	defer stop()
	dir, err := os.MkdirTemp(tmp, "report-")
	if err != nil {
		return err
	}
	b.logf("report: %d sessions, %d rounds of curl, json and csv", sessions, b.rounds)
	q := fmt.Sprintf("generate_report=AccessSession&start_date=2024-01-01&duration=0&sim_sessions=%d", sessions)
	formats := []string{"json", "csv"}
	var curl measures
	infra := make([]measures, len(formats))
	for range b.rounds {
		file := filepath.Join(dir, "report.xml")
		if err := curl.run(b, env, "", "curl", "-sS", "-f", "-H", bearer, "-o", file, base+"/api/reporting?"+q); err != nil {
			return err
		}
		os.Remove(file)
		for i, format := range formats {
			// The output goes to a file, as curl's: `infra pra report … -o json > file`.
			file := filepath.Join(dir, "report."+format)
			if err := infra[i].run(b, env, file, b.infra, "pra", "report", "AccessSession", "--since", "2024-01-01",
				"--param", fmt.Sprintf("sim_sessions=%d", sessions), "-o", format); err != nil {
				return err
			}
			os.Remove(file)
		}
	}
	dc, rssc := curl.median(), curl.rss
	for i, format := range formats {
		d, rss := infra[i].median(), infra[i].rss
		b.add(Row{Measure: fmt.Sprintf("report %d sessions → %s: time", sessions, format), Value: d.Seconds(), Unit: "s", Floor: dc.Seconds(), Against: "curl -o (raw XML)"})
		b.add(Row{Measure: fmt.Sprintf("report %d sessions → %s: peak RSS", sessions, format), Value: rss, Unit: "MiB", Floor: rssc, Against: "curl -o (raw XML)"})
	}
	return nil
}

// events measures `infra pra events` exporting 100,000 closed sessions to files (parsed, deduplicated against the
// state, written as JSON Lines, synced, state saved) against fetching the same report raw with curl.
func (b *bench) events(tmp string) error {
	sessions := 100000
	if b.quick {
		sessions = 5000
	}
	env, bearer, base, stop, err := b.praSandbox(tmp, praxmlsim.Options{Seed: true, ReportSessions: sessions})
	if err != nil {
		return err
	}
	defer stop()
	dir, err := os.MkdirTemp(tmp, "events-")
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o700); err != nil {
		return err
	}
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	b.logf("events: export of %d sessions", sessions)
	q := fmt.Sprintf("generate_report=AccessSession&end_time=%d&duration=0", from)
	dc, rssc, err := b.runMeasured(env, "curl", "-sS", "-f", "-H", bearer, "-o", filepath.Join(dir, "report.xml"), base+"/api/reporting?"+q)
	if err != nil {
		return err
	}
	d, rss, err := b.runMeasured(env, b.infra, "pra", "events", "--kind", "session", "--state", filepath.Join(dir, "state"),
		"--out", out, "--since", fmt.Sprintf("@%d", from))
	if err != nil {
		return err
	}
	n := float64(sessions)
	b.add(Row{Measure: fmt.Sprintf("events: export of %d sessions to files", sessions), Value: n / d.Seconds(), Unit: "events/s",
		Floor: n / dc.Seconds(), Against: "curl -o (raw report fetch)", Note: "parse, dedupe, JSON Lines, fsync, state"})
	b.add(Row{Measure: fmt.Sprintf("events: export of %d sessions: peak RSS", sessions), Value: rss, Unit: "MiB", Floor: rssc, Against: "curl -o (raw report fetch)"})
	return nil
}
