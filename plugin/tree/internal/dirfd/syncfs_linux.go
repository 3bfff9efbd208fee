package dirfd

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// SyncFSCommitsAll says SyncFS commits to stable storage everything
// written to d's file system, so a writer of many files may call it once
// instead of syncing each file and directory.
const SyncFSCommitsAll = true

// SyncFS commits everything written to the file system d is on to stable
// storage: Linux's syncfs(2), which reports writeback errors since 5.8.
func (d *Dir) SyncFS() error {
	if _, err := retry(func() (int, error) { return 0, unix.Syncfs(d.fd) }); err != nil {
		return &fs.PathError{Op: "syncfs", Path: d.path, Err: err}
	}
	return nil
}
