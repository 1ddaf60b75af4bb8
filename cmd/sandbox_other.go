//go:build !unix

package cmd

import (
	"os"
	"syscall"
)

func detachedAttr() *syscall.SysProcAttr { return nil }

func inForeground(*os.File) bool { return true }

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

func isSandboxProcess(int) bool { return true }

func terminate(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
