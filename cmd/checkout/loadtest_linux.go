package main

import (
	"os/exec"
	"syscall"
)

// stopWithParent makes the kernel send SIGTERM to a child the harness started if the
// harness dies first (even by SIGKILL), so no demo or hello server outlives a run.
func stopWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
