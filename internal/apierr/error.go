package apierr

import "fmt"

// Error is an error a handler returns to answer with a status, a stable
// machine-readable code and a message safe to show the user (as the error
// page, or as Body). Err, when set, is the internal cause: logged, never
// sent. The portal's pages and the management API return this one type,
// and the portal's error handler turns it into the answer.
type Error struct {
	Status  int
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Status, e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }
