// Package tree writes a directory of generated files into a place people
// also use, such as a Git checkout, so that readers never see it
// half-written, it owns only what it wrote, and it never loses a person's
// file or writes outside the directory.
//
// # A write
//
// Write(dir, files) builds the new tree in a staging directory beside dir
// (in dir's parent, so renames stay on one file system) and swaps it in.
// The paths it wrote are listed in a manifest, ManifestName, at the top of
// dir. The next write replaces the listed files, removes those it no
// longer writes, with the directories that leaves empty, and keeps
// everything else: that is people's.
//
// # What is atomic
//
// On Linux the swap is one renameat2(RENAME_EXCHANGE): at every instant,
// kills included, dir is either the complete previous tree or the
// complete new one. Where names cannot be exchanged (other systems, old
// kernels, some file systems) the swap is two renames, between which dir
// is missing for a moment; a run killed then leaves the previous tree
// beside dir, and the next run puts it back. Files and directories are
// synced to disk before the swap (on Linux by one syncfs(2) of the file
// system, not file by file), and the parent after it.
//
// A failure before the swap (a full disk, a read-only file system, a
// conflict with a person's file) leaves dir exactly as it was, but for
// ctimes, removes what it staged, and says why. Any error from Write
// means that, except a *LeftoverError: then dir holds the new tree and
// something is left beside it that the writer would not or could not
// remove. Read-only directories in dir do not stop a write or the
// removal of the previous tree: the writer makes its own copies writable
// while it works on them, and keeps every mode. A directory this user may
// neither empty nor chmod is found before the swap, and refused.
//
// # What is locked
//
// Runs on one directory take turns: each holds an exclusive flock(2) on
// .<base>.lock beside dir (never inside it) for its whole length. A run
// waits up to Options.LockWait (DefaultLockWait) for another to finish,
// then fails naming the lock file. The file is removed when a run ends,
// unless it records something left; a killed run leaves it, unlocked.
// The lock is advisory, binds only writers using this package, and on
// some network file systems only those on one machine.
//
// # What is never followed
//
// No symbolic link inside dir is followed, for reading, writing or
// removal: trees are read and written one path element at a time,
// relative to open directories, with O_NOFOLLOW. A link where the writer
// must write, at a generated file's path or on the way to it, is an error
// naming the link, and nothing is written. A person's link anywhere else
// is kept as it is. The manifest must not be a link. dir itself must not
// be one either: Write refuses it rather than resolve it, so the
// directory replaced is always the one named; give the real path. Links
// in the path of dir's parent are resolved once, at the start; with
// Options.Root, only those in Root's path are, and every directory below
// Root must be a real one.
//
// # People's files
//
// Files and links the manifest does not list are hard-linked into the new
// tree, so after a write they are the same files: inode, content, mode,
// owner, times and link count. Directories are made anew with the same
// mode and, where this user may set them, owner and group; their inodes,
// times and extended attributes are not kept. A generated file never
// replaces a person's file: that is an error naming it. FIFOs, sockets,
// devices and mount points inside dir are refused, bind mounts of dir's
// own file system included (told apart by mount ID, on Linux 5.8 and
// later; elsewhere by device number only), and nothing on another mount
// is ever removed.
//
// # People working meanwhile
//
// Just before the swap the writer makes sure dir still holds what it read
// (but for the content of files it owns, which it replaces anyway); if a
// person added, removed or replaced anything while it wrote, or a file it
// was to keep is gone, it starts over, reading dir again, up to four times
// in all, then fails saying to run again when nobody is changing dir. A
// run writing a tree inside dir is waited for, and one on a tree that
// holds dir waits for this one: trees nested in one another take turns.
// What a person changes in the instant between that last check and the
// swap is carried into the new tree: a file added or replaced is moved
// there, and one deleted or moved away is removed from it; a file whose
// path the new tree already uses is kept beside dir, recorded and named
// in a LeftoverError, and the writer never removes it; a folder removed
// in that instant may come back.
//
// # The manifest
//
// The manifest is input like any other. It must be a regular file of at
// most 8 MiB, and each line a comment (#), blank, or a path: relative,
// clean, slash-separated, inside dir, without control characters or
// backslashes, at most 4096 bytes, 255 per element and 128 elements deep.
// Duplicates and CRLF line ends are accepted. A manifest that breaks
// these rules is an error naming it and the line, and nothing is written.
// Its paths are matched against the tree as read, and never reach outside
// it. Generated paths obey the same rules.
//
// # Names beside dir
//
// .<base>.lock, .<base>.new-<id> and .<base>.old-<id> in dir's parent are
// the writer's, <id> random. The lock file, which only this user may
// write, records the trees of those names a run makes, with their
// device, inode and owner, until it is done with them; a lock file of
// another user's, or one others may write, is refused. The next run
// acts on what the record names alone: it removes a killed run's staging
// tree, puts back a previous tree if dir is missing, and retires previous
// trees keeping anything that may be a person's. Anything else of those
// names (made by an earlier version, or by someone else who may write in
// dir's parent) is never used, moved or removed, only named in a
// LeftoverError.
//
// # Limits
//
// Writing needs the calls of Linux, macOS or the BSDs (openat, linkat,
// flock); elsewhere Write returns an error. Other users who may write in
// dir's parent can still rename things there mid-run: keep it to people
// trusted with dir. People's files must be ones this user may hard-link;
// with Linux's fs.protected_hardlinks, a file of another user's that this
// user cannot write is not, and Write fails before the swap. dir must not
// be a Git work tree's root nor hold the working directory. Runs on
// nested trees take turns only when they can open each other's lock
// files: those of one user, or root's with anyone's.
package tree
