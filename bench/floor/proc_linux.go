//go:build linux

package main

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel SIGKILL the child if the parent dies
// (belt and braces on top of the stdin-EOF watch and explicit kills).
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
