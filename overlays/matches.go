package overlays

// Len is how many patches the set holds.
func (s *Set) Len() int { return len(s.patches) }

// Patch returns the name of the i-th patch of the set and the length of
// its text.
func (s *Set) Patch(i int) (name string, size int) {
	return s.patches[i].name, s.patches[i].size
}

// Matches says how many of the objects ids identify the i-th patch of the
// set may select: at most how many objects Apply patches with it, as a
// label selector only selects fewer. Patching is the costly part of
// applying a set, so this is what bounds its work.
func (s *Set) Matches(i int, ids []Identity) int {
	n := 0
	for _, id := range ids {
		if s.patches[i].matchesIdentity(id) {
			n++
		}
	}
	return n
}
