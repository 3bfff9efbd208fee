// Package proc runs the programs the end-to-end tests start (etcd,
// kube-apiserver, istiod, pilot-agent): each with its output in a log
// file, waited for until it is ready or gone, and stopped.
package proc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Process is a running program.
type Process struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
}

// Start runs cmd with its output in the file logPath. A cmd whose
// SysProcAttr asks for a process group of its own (Setpgid) is stopped
// with everything it started, such as the agent's Envoy; one without
// stays in the test's group, so an interrupted test takes it along.
func Start(cmd *exec.Cmd, logPath string) (*Process, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	p := &Process{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop asks the process, or its process group, to end, and kills it if
// it has not within 15 seconds.
func (p *Process) Stop() {
	if p.Exited() {
		return
	}
	pid := p.cmd.Process.Pid
	if a := p.cmd.SysProcAttr; a != nil && a.Setpgid {
		pid = -pid
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-p.done
	}
}

// Wait waits until the process ends on its own, or ctx ends, and
// returns how it ended.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		if !p.cmd.ProcessState.Success() {
			return fmt.Errorf("%s ended: %v", p.cmd.Path, p.cmd.ProcessState)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s still runs: %w", p.cmd.Path, ctx.Err())
	}
}

// Logs returns what the process has written so far.
func (p *Process) Logs() string {
	data, _ := os.ReadFile(p.log)
	return string(data)
}

// WaitFor polls check until it succeeds, the process exits or ctx ends;
// the error then says what was waited for and ends with the log's tail.
func (p *Process) WaitFor(ctx context.Context, what string, check func() error) error {
	var last error
	for {
		if last = check(); last == nil {
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("%s: the process exited (%v) first; its log:\n%s", what, p.cmd.ProcessState, tail(p.Logs()))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %v (last: %v); the log:\n%s", what, ctx.Err(), last, tail(p.Logs()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func tail(s string) string {
	if len(s) > 6000 {
		return "…" + s[len(s)-6000:]
	}
	return s
}
