package tree

import (
	"errors"
	"fmt"
	"strings"
)

// LeftoverError is what Write returns when dir holds the complete new
// tree but something is left beside it: a directory this user could not
// remove, files that were added to dir while it was written and could
// not be put back because the new tree has something else at their
// paths, or folders with the writer's names that no record of this
// user's runs names (an earlier version's, or someone else's). The
// writer never removes those itself. Every other error from Write means
// dir is as it was.
type LeftoverError struct {
	Dir   string   // the directory that was written
	Paths []string // what is left beside it
	Err   error    // why it could not be removed, if it failed
}

// Error says what was written and what is left, and what to do.
func (e *LeftoverError) Error() string {
	return fmt.Sprintf("%s was written, but %s", e.Dir, describeLeft(e.Paths, e.Err))
}

// describeLeft says what is left and what to do about it.
func describeLeft(paths []string, err error) string {
	more := ""
	if len(paths) > 5 {
		paths, more = paths[:5], fmt.Sprintf(" and %d more", len(paths)-5)
	}
	why := ""
	if err != nil {
		why = fmt.Sprintf(" (%v)", err)
	}
	return fmt.Sprintf("these are left beside it%s: %s%s; they may be a person's work, so meshrender does not remove them: keep what you need, then remove them", why, strings.Join(paths, ", "), more)
}

// Unwrap returns why the leftovers could not be removed, if known.
func (e *LeftoverError) Unwrap() error { return e.Err }

// leftovers gathers what a run leaves beside the tree.
type leftovers struct {
	paths []string
	errs  []error
}

func (l *leftovers) add(paths []string, err error) {
	l.paths = append(l.paths, paths...)
	if err != nil {
		l.errs = append(l.errs, err)
	}
}

func (l *leftovers) empty() bool { return len(l.paths) == 0 && len(l.errs) == 0 }

// err is the LeftoverError for dir, or nil when nothing is left.
func (l *leftovers) err(dir string) error {
	if l.empty() {
		return nil
	}
	return &LeftoverError{Dir: dir, Paths: l.paths, Err: errors.Join(l.errs...)}
}

// with adds to err, that of a failed write, what is left.
func (l *leftovers) with(err error) error {
	if l.empty() {
		return err
	}
	return fmt.Errorf("%w; also, from earlier runs, %s", err, describeLeft(l.paths, errors.Join(l.errs...)))
}
