//go:build darwin || freebsd || netbsd || openbsd

package dirfd

// statAt and statFD are fstatat and fstat: these systems give no mount
// ID, and Info.Mount stays 0.
func statAt(dirfd int, name string) (Info, error) { return fstatat(dirfd, name) }

func statFD(fd int) (Info, error) { return fstat(fd) }
