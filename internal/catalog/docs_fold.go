package catalog

import "strings"

// The documentation page has one Authentication section, with the
// environments and the errors in it. An API's description often has
// sections of its own on the same topics; shown where they were, in the
// overview, the page said each of them twice. Fold takes them out of the
// description so the page can show them inside its own section.

// DocNotes are the description's sections on the topics the page's
// Authentication section covers, without their headings.
type DocNotes struct {
	Authentication Prose
	// Environments leaves out the section's tables: the page's own table
	// of base URLs says the same, with the URLs this portal serves.
	Environments Prose
	// Errors leaves out the section's code blocks: the page shows the
	// error shape's example from the document's schema.
	Errors Prose
}

// foldTopics maps a section heading, lower case, to what it is about.
var foldTopics = map[string]string{
	"authentication": "auth", "authorization": "auth", "authorisation": "auth", "auth": "auth",
	"environments": "env", "environment": "env", "base urls": "env", "servers": "env",
	"errors": "errors", "error handling": "errors", "error codes": "errors",
}

// Fold splits a description into what it says besides the topics of
// DocNotes (rest, its own sections kept in order) and those topics.
// A section runs from its heading to the next heading of the same level
// or higher; only sections at the description's top heading level fold.
func Fold(p Prose) (rest Prose, notes DocNotes) {
	top := 7
	for _, b := range p {
		if b.Kind == BlockHeading && b.Level < top {
			top = b.Level
		}
	}
	topic := ""
	for _, b := range p {
		if b.Kind == BlockHeading && b.Level <= top {
			topic = foldTopics[strings.ToLower(strings.TrimSpace(plain(b.Spans)))]
			if topic != "" {
				continue
			}
		}
		switch {
		case topic == "auth":
			notes.Authentication = append(notes.Authentication, b)
		case topic == "env" && b.Kind != BlockTable:
			notes.Environments = append(notes.Environments, b)
		case topic == "errors" && b.Kind != BlockCode:
			notes.Errors = append(notes.Errors, b)
		case topic == "":
			rest = append(rest, b)
		}
	}
	return rest, notes
}
