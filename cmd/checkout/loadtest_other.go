//go:build !linux

package main

import "os/exec"

// stopWithParent does nothing here: only Linux can tie a child's life to its parent's.
// The harness still stops its children at the end of every run.
func stopWithParent(*exec.Cmd) {}
