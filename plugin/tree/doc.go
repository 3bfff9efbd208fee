// Package tree writes a directory of generated files so that readers never
// see it half-written, and so that it owns only what it wrote.
//
// The new tree is built in a staging directory beside the old one and
// renamed into its place. The files written are listed in a manifest,
// ManifestName, inside the directory; the next write replaces or removes
// listed files only. Everything else is a person's: it is hard-linked into
// the new tree, so it stays the same file (inode, content, mode, owner,
// times, links). Directories are made anew with the same modes and, where
// the writer may, owners. Runs on one directory take turns, holding a
// lock on a file beside it.
//
// No symbolic link inside the directory is followed, for reading,
// writing or removal: a person's link is carried over as it is, and a link
// where a generated file or its directory must go is an error naming it.
// The directory itself must not be a link: that is refused too, so give
// the real path.
package tree
