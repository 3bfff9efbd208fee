package render

import (
	"fmt"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// problems collects what keeps a valid mesh from rendering: what its
// overlays do to the objects, and a planner that breaks the component
// model, each with its field path.
type problems []v1alpha1.FieldError

// add records a problem.
func (p *problems) add(field, format string, args ...any) {
	p.addText(field, fmt.Sprintf(format, args...))
}

// addText records a problem whose message is already written.
func (p *problems) addText(field, message string) {
	*p = append(*p, v1alpha1.FieldError{Field: field, Message: message})
}

// err returns nil when nothing was found, so callers can return it as is.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &v1alpha1.ValidationError{Errors: p}
}
