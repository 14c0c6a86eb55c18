package api

import "github.com/portico/portico/internal/textcheck"

// checkText refuses a decoded body holding a string PostgreSQL would
// refuse ("\u0000" decodes to a NUL character, which no text column
// takes), naming the field by its JSON path.
func checkText(v any) error {
	if path, problem := textcheck.Decoded(v); problem != "" {
		if path == "" {
			path = "body"
		}
		return invalidInput(path, problem)
	}
	return nil
}
