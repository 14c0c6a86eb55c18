package apierr

// FieldError is a problem with what a user entered, tied to one input
// field: the domain packages return it for input a user can correct, and
// handlers show Message next to Field on a page (400 or 422) or answer it
// on the management API as invalid_input naming the field.
type FieldError struct {
	// Field is the input's name, as the form and the API body call it.
	Field string
	// Message says what to change, safe to show the user.
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }
