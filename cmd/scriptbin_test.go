package cmd_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// The scripts' `exec infra` runs the product's own binary, built once per test run with the ordinary build flags,
// rather than this test binary. Under `go test -race` the test binary is race-enabled, and a race-enabled process
// costs about three times as much to start and run: with some 800 `exec infra` in the scripts, that was most of the
// suite's time. The in-process tests of every package still run under the race detector; `make race-scripts`
// (INFRA_TEST_SCRIPTS_RACE=1) runs the scripts against the race-enabled test binary too.
//
// INFRA_TEST_BINARY=PATH uses an existing binary instead of building one (for instance a release build).

var (
	scriptBinOnce sync.Once
	scriptBinDir  string // directory holding infra and btapi; "" when the scripts run the test binary
	scriptBinErr  error
	scriptBinTemp string // directory to remove at the end of the run
)

// scriptBinary returns the directory to put first on the scripts' PATH, building the binary on first use.
func scriptBinary() (string, error) {
	scriptBinOnce.Do(func() { scriptBinDir, scriptBinErr = prepareScriptBinary() })
	return scriptBinDir, scriptBinErr
}

func prepareScriptBinary() (string, error) {
	if os.Getenv("INFRA_TEST_SCRIPTS_RACE") == "1" {
		return "", nil
	}
	dir, err := os.MkdirTemp("", "infra-test-bin-")
	if err != nil {
		return "", err
	}
	scriptBinTemp = dir
	bin := filepath.Join(dir, "infra")
	if src := os.Getenv("INFRA_TEST_BINARY"); src != "" {
		abs, err := filepath.Abs(src)
		if err != nil {
			return "", err
		}
		if err := os.Symlink(abs, bin); err != nil {
			return "", err
		}
	} else {
		goTool, err := exec.LookPath("go")
		if err != nil {
			return "", fmt.Errorf("building infra for the scripts: %w (put go on PATH, or set INFRA_TEST_BINARY to a built infra)", err)
		}
		build := exec.Command(goTool, "build", "-o", bin, "github.com/infractl/infra")
		build.Dir = ".."
		if out, err := build.CombinedOutput(); err != nil {
			return "", fmt.Errorf("building infra for the scripts: %v\n%s", err, out)
		}
	}
	// btapi is the same binary under BeyondTrust's tool's name (cmd.Main reads its name from os.Args[0]).
	if err := os.Symlink("infra", filepath.Join(dir, "btapi")); err != nil {
		return "", err
	}
	return dir, nil
}

// scriptBinaryM removes the built binary once every test has run.
type scriptBinaryM struct{ m interface{ Run() int } }

func (s scriptBinaryM) Run() int {
	code := s.m.Run()
	if scriptBinTemp != "" {
		os.RemoveAll(scriptBinTemp)
	}
	return code
}
