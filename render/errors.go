package render

import (
	"fmt"
	"strings"
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

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was found, so callers can return it as is.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Errors: p}
}
