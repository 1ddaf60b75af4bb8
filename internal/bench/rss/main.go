// Command rss runs a command and writes its peak resident set size in KiB to a file: rss OUT CMD [ARGS…].
//
// Measuring from the benchmark process itself is wrong on Linux: a child forked from a large parent starts with the
// parent's resident pages counted in its high-water mark, which survives exec. Started from this small process, the
// child's figure is its own (with this process's few MiB as the floor).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: rss OUT CMD [ARGS…]")
		os.Exit(2)
	}
	c := exec.Command(os.Args[2], os.Args[3:]...)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := c.Run()
	if c.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "rss:", err)
		os.Exit(127)
	}
	maxrss := int64(0)
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxrss = int64(ru.Maxrss)
	}
	if werr := os.WriteFile(os.Args[1], []byte(fmt.Sprint(maxrss)), 0o600); werr != nil {
		fmt.Fprintln(os.Stderr, "rss:", werr)
		os.Exit(127)
	}
	os.Exit(c.ProcessState.ExitCode())
}
