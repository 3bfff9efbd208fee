package v1alpha1

import (
	"fmt"
	"io"
	"strings"

	"github.com/meshrender/meshrender/render/internal/typecheck"
)

// FieldError is one problem with a config, tied to the field that has it.
type FieldError struct {
	// Field is the path of the field, such as spec.zones[2].
	Field string
	// Message says what is wrong, such as: duplicate zone "eu-west-1a".
	Message string
}

// Error formats the problem as "field: message".
func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidationError holds every problem found in a config, in field order.
type ValidationError struct {
	Errors []FieldError
}

// Error lists every problem, one per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// problems collects FieldErrors while a config is checked.
type problems []FieldError

// add records a problem. Long strings among args, values from the config,
// are shortened, so a huge value never floods the message.
func (p *problems) add(field, format string, args ...any) {
	for i, a := range args {
		if s, ok := a.(string); ok && len(s) > typecheck.MaxShown {
			args[i] = clipped(s)
		}
	}
	*p = append(*p, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// addText records a problem whose message is already written.
func (p *problems) addText(field, message string) {
	*p = append(*p, FieldError{Field: field, Message: message})
}

// clipped is a long value in a message: %q quotes its first characters
// and says how long it is; other verbs print its first characters.
type clipped string

// Format prints the clipped value.
func (c clipped) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		io.WriteString(f, typecheck.Quote(string(c)))
		return
	}
	io.WriteString(f, typecheck.Prefix(string(c))+"…")
}

// err returns nil when nothing was found, so callers can return it as is.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Errors: p}
}
