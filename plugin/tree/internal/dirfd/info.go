package dirfd

// Type is the kind of a directory entry.
type Type uint8

// The kinds of entry; Other is a FIFO, socket or device.
const (
	Regular Type = iota + 1
	Directory
	Symlink
	Other
)

// PermBits are the mode bits Info.Perm keeps: permissions plus the
// set-user-ID, set-group-ID and sticky bits.
const PermBits = 0o7777

// Info is what lstat tells about an entry.
type Info struct {
	Type     Type
	Perm     uint32 // mode & PermBits
	Dev, Ino uint64
	Nlink    uint64
	UID, GID uint32
	Size     int64
	// Mount is the ID of the mount the entry is on, where the system
	// tells it (Linux 5.8 and later), and 0 where it does not.
	Mount uint64
}

// SameFile reports whether i and j describe the same inode.
func (i Info) SameFile(j Info) bool {
	return i.Dev == j.Dev && i.Ino == j.Ino
}

// SameMount reports whether i and j are on the same mount: the same
// device and, where both mount IDs are known, the same mount. A bind
// mount of a directory of the same file system differs only in that.
func (i Info) SameMount(j Info) bool {
	return i.Dev == j.Dev && (i.Mount == 0 || j.Mount == 0 || i.Mount == j.Mount)
}
