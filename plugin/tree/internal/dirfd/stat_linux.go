package dirfd

import "golang.org/x/sys/unix"

// statAt and statFD use statx(2), which also gives the mount ID: a bind
// mount of the same file system has the device number of what is around
// it, and only the mount ID tells it apart. Where statx is missing
// (kernels before 4.11, some sandboxes) they fall back to fstatat and
// fstat, and Info.Mount stays 0.
func statAt(dirfd int, name string) (Info, error) {
	return statx(dirfd, name, unix.AT_SYMLINK_NOFOLLOW, func() (Info, error) { return fstatat(dirfd, name) })
}

func statFD(fd int) (Info, error) {
	return statx(fd, "", unix.AT_EMPTY_PATH, func() (Info, error) { return fstat(fd) })
}

func statx(dirfd int, name string, flags int, fallback func() (Info, error)) (Info, error) {
	var st unix.Statx_t
	_, err := retry(func() (int, error) {
		return 0, unix.Statx(dirfd, name, flags|unix.AT_STATX_SYNC_AS_STAT, unix.STATX_BASIC_STATS|unix.STATX_MNT_ID, &st)
	})
	if err == unix.ENOSYS || err == unix.EPERM {
		return fallback()
	}
	if err != nil {
		return Info{}, err
	}
	info := Info{
		Type:  typeOf(uint32(st.Mode)),
		Perm:  uint32(st.Mode) & PermBits,
		Dev:   unix.Mkdev(st.Dev_major, st.Dev_minor),
		Ino:   st.Ino,
		Nlink: uint64(st.Nlink),
		UID:   st.Uid,
		GID:   st.Gid,
		Size:  int64(st.Size),
	}
	if st.Mask&unix.STATX_MNT_ID != 0 {
		info.Mount = st.Mnt_id
	}
	return info, nil
}
