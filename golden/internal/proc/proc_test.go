package proc

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWaitForEndsWhenTheProcessExits: a program that dies ends the wait
// at once, and the error carries its log.
func TestWaitForEndsWhenTheProcessExits(t *testing.T) {
	p, err := Start(exec.Command("sh", "-c", "echo boom; exit 3"), filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	started := time.Now()
	err = p.WaitFor(ctx, "ready", func() error { return errors.New("not yet") })
	if err == nil || !strings.Contains(err.Error(), "the process exited (exit status 3)") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("WaitFor = %v, want the exit and the log", err)
	}
	if d := time.Since(started); d > 10*time.Second {
		t.Errorf("WaitFor took %v after the process had exited", d)
	}
}

// TestStopEndsTheProcessGroup: a program in a group of its own is
// stopped with what it started.
func TestStopEndsTheProcessGroup(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("sh", "-c", "sleep 300 & echo $! > "+filepath.Join(dir, "child")+"; wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p, err := Start(cmd, filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var child int
	if err := p.WaitFor(ctx, "the child", func() error {
		data, err := os.ReadFile(filepath.Join(dir, "child"))
		if err != nil {
			return err
		}
		child, err = strconv.Atoi(strings.TrimSpace(string(data)))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	p.Stop()
	if !p.Exited() {
		t.Error("the process runs after Stop")
	}
	// The child is gone once it is reaped, or a zombie until then.
	for deadline := time.Now().Add(5 * time.Second); running(child); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the child %d runs after Stop", child)
		}
	}
}

// running says whether a process exists and is no zombie.
func running(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command, which is in parentheses.
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}
