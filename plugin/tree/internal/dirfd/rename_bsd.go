//go:build darwin || freebsd || netbsd || openbsd

package dirfd

type renameHow uint

const (
	renameNoReplace renameHow = iota + 1
	renameExchange
)

// renameat2 has no equivalent here that this package uses; callers fall
// back to plain renames.
func renameat2(olddirfd int, oldname string, newdirfd int, newname string, how renameHow) error {
	return ErrUnsupported
}
