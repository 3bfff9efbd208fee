// Package dirfd works on files relative to an open directory and never
// follows a symbolic link: not at the end of a name, and not on the way,
// since every name is a single path element. A program that opens a tree
// one directory at a time with it cannot be sent outside the tree by a
// link a person committed, or by one swapped in while it runs.
//
// Errors are *fs.PathError values naming the full path, so they read well
// without more context.
package dirfd

import "errors"

// ErrUnsupported is returned by operations this system does not offer,
// such as an atomic exchange of two names outside Linux.
var ErrUnsupported = errors.ErrUnsupported
