package tree

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestFailuresInjectedBeforeTheSwapLeaveTheTreeAsItWas(t *testing.T) {
	for _, c := range []struct {
		name, step string
		renames    bool
	}{
		{"full disk", "write gw/z2.yaml", false},
		{"failure once staged", "staged", false},
		{"second rename fails", "moved-aside", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			if err := Write(out, files("a.yaml", "gw/z1.yaml")); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, filepath.Join(out, "gw", "mine.txt"), "mine", 0o600)
			before := state(t, parent)
			setHooks(t, c.renames, func(step string) error {
				if step == c.step {
					return fmt.Errorf("simulated: %w", errNoSpace)
				}
				return nil
			})
			err := Write(out, files("a.yaml", "gw/z1.yaml", "gw/z2.yaml"))
			if err == nil || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), out+" is unchanged") {
				t.Errorf("err = %v", err)
			}
			if d := diffState(before, state(t, parent)); d != "" {
				t.Errorf("a failed write changed things:\n%s", d)
			}
		})
	}
}
