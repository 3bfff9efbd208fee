// Command withhosts runs a command that sees another /etc/hosts, for the
// runtime tests: a proxy agent dials istiod by its Service name
// (istiod.istio-system.svc), which only cluster DNS resolves, and the
// tests map such names to the loopback address their istiod listens on,
// without changing the agent's configuration.
//
//	withhosts HOSTS-FILE COMMAND [ARG...]
//
// It must start in a mount namespace of its own (the tests start it with
// CLONE_NEWNS, and CLONE_NEWUSER when they are not root); there it makes
// the mounts private, binds HOSTS-FILE over /etc/hosts and executes the
// command, so nothing outside the namespace changes.
//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: withhosts HOSTS-FILE COMMAND [ARG...]")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "withhosts: %v\n", err)
		os.Exit(1)
	}
}

func run(hosts string, command []string) error {
	// Mounts made here must not reach the namespace this one was copied
	// from.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private (is this a mount namespace of its own?): %w", err)
	}
	if err := syscall.Mount(hosts, "/etc/hosts", "", syscall.MS_BIND, ""); err != nil {
		return fmt.Errorf("binding %s over /etc/hosts: %w", hosts, err)
	}
	path, err := exec.LookPath(command[0])
	if err != nil {
		return err
	}
	return syscall.Exec(path, command, os.Environ())
}
