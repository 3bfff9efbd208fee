//go:build !linux

package dirfd

import "io/fs"

// SyncFSCommitsAll is false where there is no syncfs(2): writers sync
// each file and directory.
const SyncFSCommitsAll = false

// SyncFS fails: there is no syncfs(2).
func (d *Dir) SyncFS() error { return &fs.PathError{Op: "syncfs", Path: d.path, Err: ErrUnsupported} }
