package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// startRun is one command line of the start-up step and what its runs measured.
type startRun struct {
	argv   []string
	wall   []time.Duration
	faults []int64 // minor page faults (getrusage of the child)
	failed bool    // the command line fails with this binary (an older build given with -infra)
}

func (r *startRun) median() (time.Duration, float64) {
	w := append([]time.Duration(nil), r.wall...)
	f := append([]int64(nil), r.faults...)
	sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
	sort.Slice(f, func(i, j int) bool { return f[i] < f[j] })
	return w[len(w)/2], float64(f[len(f)/2])
}

// installed copies a binary into dir with ordinary writes, as an installation does (install, a package manager,
// a download). Run straight from the linker's output, whose pages the linker wrote through a memory mapping, the
// same infra binary starts about 1.5 ms slower on this machine's kernel: that is the page cache's state, not the
// program's start-up, and the cobra floor, a few times smaller, is much less affected.
func installed(dir, bin string) (string, error) {
	in, err := os.Open(bin)
	if err != nil {
		return "", err
	}
	defer in.Close()
	dst := filepath.Join(dir, "installed-"+filepath.Base(bin))
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", err
	}
	return dst, out.Close()
}

func (b *bench) startup(tmp string) error {
	b.logf("start-up: %d runs each, interleaved", b.runs)
	hello, err := installed(tmp, b.hello)
	if err != nil {
		return err
	}
	infra, err := installed(tmp, b.infra)
	if err != nil {
		return err
	}
	env := append(os.Environ(), "INFRA_CONFIG_DIR="+tmp+"/config", "INFRA_CACHE_DIR="+tmp+"/cache")
	runs := []*startRun{{argv: []string{hello, "--version"}}}
	for _, args := range [][]string{{"--version"}, {"pra", "--help"}, {"virtomize", "vm", "list", "--help"}} {
		runs = append(runs, &startRun{argv: append([]string{infra}, args...)})
	}
	// Interleaved, so that a change of the machine's load during the step weighs on the floor and the measures alike.
	for i := 0; i < b.runs; i++ {
		for j, r := range runs {
			if r.failed {
				continue
			}
			c := exec.Command(r.argv[0], r.argv[1:]...)
			c.Env = env
			start := time.Now()
			if out, err := c.CombinedOutput(); err != nil {
				if j == 0 {
					return fmt.Errorf("%s: %v\n%s", strings.Join(r.argv, " "), err, out)
				}
				r.failed = true
				continue
			}
			r.wall = append(r.wall, time.Since(start))
			if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
				r.faults = append(r.faults, ru.Minflt)
			}
		}
	}
	floor, floorFaults := runs[0].median()
	b.add(Row{Measure: "start-up: cobra hello --version (floor)", Value: ms(floor), Unit: "ms"})
	for _, r := range runs[1:] {
		name := "start-up: infra " + strings.Join(r.argv[1:], " ")
		if r.failed {
			b.add(Row{Measure: name, Unit: "ms", Note: "not available in this build"})
			continue
		}
		d, _ := r.median()
		b.add(Row{Measure: name, Value: ms(d), Unit: "ms", Floor: ms(floor), Against: "cobra hello"})
	}
	if _, faults := runs[1].median(); !runs[1].failed && len(runs[1].faults) > 0 {
		b.add(Row{Measure: "start-up: page faults of infra --version", Value: faults, Unit: "faults", Floor: floorFaults, Against: "cobra hello"})
	}
	return nil
}
