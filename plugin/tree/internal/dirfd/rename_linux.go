package dirfd

import "golang.org/x/sys/unix"

type renameHow uint

const (
	renameNoReplace renameHow = unix.RENAME_NOREPLACE
	renameExchange  renameHow = unix.RENAME_EXCHANGE
)

// renameat2 is Linux's renameat2(2). Kernels before 3.15 lack it, and
// some file systems lack the flags; both mean "do it another way".
func renameat2(olddirfd int, oldname string, newdirfd int, newname string, how renameHow) error {
	_, err := retry(func() (int, error) {
		return 0, unix.Renameat2(olddirfd, oldname, newdirfd, newname, uint(how))
	})
	switch err {
	case unix.ENOSYS, unix.EINVAL, unix.EOPNOTSUPP:
		return ErrUnsupported
	}
	return err
}
