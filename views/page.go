// Package views holds Portico's templ components: the page frame in
// layout.templ and one file per page family, each fed a typed view model.
package views

// Page is what the frame of every page needs.
type Page struct {
	// Title is the page's own title; the frame appends " · Portico".
	Title string
	// Viewer is the signed-in user; nil when signed out.
	Viewer *Viewer
	// Nav is the navigation for this viewer; Current marks the active item.
	Nav []NavItem
	// Flashes are one-time messages from the previous action.
	Flashes []Flash
	// Version is the build's version, shown in the footer.
	Version string
	// RequestID identifies the request in logs, shown on error pages.
	RequestID string
	// Refresh, when set, sends the browser on to this URL at once (a meta
	// refresh): the answer to a form that leads to another site. A
	// redirect would not do: the pages' CSP (form-action 'self') holds for
	// every redirect after a form, and an identity provider may hand the
	// browser on to further sites of its own.
	Refresh string
}

// Viewer is the signed-in user as the frame shows them.
type Viewer struct {
	Name        string
	Email       string
	RoleLabel   string
	PartnerName string
}

// NavItem is one link of the main navigation.
type NavItem struct {
	Label   string
	Href    string
	Current bool
}

// Flash kinds.
const (
	FlashSuccess = "success"
	FlashError   = "error"
	FlashInfo    = "info"
)

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind    string
	Message string
}

// ErrorPage is the model of the styled error pages (404, 500, ...).
type ErrorPage struct {
	Page
	Status  int
	Heading string
	Message string
}
