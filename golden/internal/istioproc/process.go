package istioproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// process is a program started in a process group of its own, with its
// output in a log file.
type process struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// start runs cmd with its output in logPath.
func start(cmd *exec.Cmd, logPath string) (*process, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	p := &process{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process group to end, and kills it if it does not.
func (p *process) stop() {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// logs returns what the process has written so far.
func (p *process) logs() string {
	data, _ := os.ReadFile(p.log)
	return string(data)
}

// waitFor polls check until it succeeds, the process exits or ctx ends.
func (p *process) waitFor(ctx context.Context, what string, check func() error) error {
	var last error
	for {
		if last = check(); last == nil {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s: the process exited (%v) first; its log:\n%s", what, p.cmd.ProcessState, tail(p.logs()))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %v (last: %v); the log:\n%s", what, ctx.Err(), last, tail(p.logs()))
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

// loopback hands out 127.0.0.2, 127.0.0.3, ...: every istiod listens on an
// address of its own with Istio's usual ports, so several run at once and
// a proxy can reach the one of its revision at the rendered port.
var loopback struct {
	sync.Mutex
	next int
}

// NewLoopbackIP returns a loopback address no other istiod of this test
// process uses, on which Istio's ports are free.
func NewLoopbackIP() (string, error) {
	loopback.Lock()
	defer loopback.Unlock()
	for loopback.next < 250 {
		loopback.next++
		ip := "127.0.0." + strconv.Itoa(loopback.next+1)
		if portsFree(ip) {
			return ip, nil
		}
	}
	return "", errors.New("no loopback address left with Istio's ports free")
}

func portsFree(ip string) bool {
	for _, port := range []int{8080, 15010, 15012, 15014, 15017, 9876} {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}
