//go:build unix

package cmd

import (
	"bytes"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// detachedAttr starts a detached sandbox in a session of its own, out of reach of the terminal's Ctrl-C and hang-up.
func detachedAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

// inForeground reports whether this process is in the foreground process group of the terminal f.
func inForeground(f *os.File) bool {
	pgrp, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// processAlive reports whether pid names a running process (an exited one not yet reaped counts as gone).
func processAlive(pid int) bool {
	if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) {
			return stat[i+2] != 'Z' && stat[i+2] != 'X'
		}
	}
	err := unix.Kill(pid, 0)
	return err == nil || err == unix.EPERM
}

// isSandboxProcess reports whether pid runs `… sandbox serve …` (always true where /proc is absent).
func isSandboxProcess(pid int) bool {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return true
	}
	return bytes.Contains(cmdline, []byte("\x00sandbox\x00")) && bytes.Contains(cmdline, []byte("\x00serve"))
}

// terminate asks pid to stop as Ctrl-C does.
func terminate(pid int) error { return unix.Kill(pid, unix.SIGTERM) }
