package apiserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartEtcdReportsACrash: an etcd that exits at start fails
// StartEtcd at once, with its log, rather than after the whole wait.
func TestStartEtcdReportsACrash(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "etcd"), []byte("#!/bin/sh\necho 'etcd: no data dir for you' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	e, err := StartEtcd(bin)
	if err == nil {
		e.Stop()
		t.Fatal("StartEtcd succeeded with an etcd that exits")
	}
	if !strings.Contains(err.Error(), "no data dir for you") {
		t.Errorf("StartEtcd = %v, want etcd's log in the error", err)
	}
	if d := time.Since(started); d > 10*time.Second {
		t.Errorf("StartEtcd took %v to notice etcd had exited", d)
	}
}
