package store

import "strconv"

// ListQuery selects a page of one of the lists paged by Key: a search, the
// key of the last row of the previous page, and a page size.
type ListQuery struct {
	// Search is matched case-insensitively as a literal substring (which
	// columns depends on the list); empty matches every row.
	Search string
	// After is the key of the last row of the previous page; nil for the
	// first page.
	After *Key
	// Limit is the page size, bounded to 1..MaxPage.
	Limit int
}

// PageList names a list in its cursors, so a cursor of one list is refused
// by another, and says whether the list sorts by a time.
type PageList struct {
	name string
	// timed lists sort by a time, numeric ones by a number (an id) before
	// the row's own id: their cursors must hold one.
	timed, numeric bool
}

// The lists paged by Key: every list's cursors are made and read here
// only. The names are in cursors already handed out (links, next_cursor),
// so they never change.
var (
	PartnersList    = PageList{name: "pa"}
	StaffList       = PageList{name: "st"}
	OutboxList      = PageList{name: "ob"}
	APIsList        = PageList{name: "ap"}
	RevisionsList   = PageList{name: "rv"}
	GroupsList      = PageList{name: "ag"}
	InvitationsList = PageList{name: "in", timed: true}
	GrantsList      = PageList{name: "pg", numeric: true}
	MembersList     = PageList{name: "m"}
	TeamsList       = PageList{name: "tt"}
	TeamMembersList = PageList{name: "tm"}
	// A user's own tokens and a partner's.
	OwnTokensList     = PageList{name: "t", timed: true}
	PartnerTokensList = PageList{name: "tp", timed: true}
	// A partner's open credentials on the hygiene page.
	HygieneList = PageList{name: "hy", timed: true}
	// A group's open grants and its revoked ones: two lists, each in its
	// own index order (see GrantCursor).
	OpenGrantsList    = PageList{name: "go", timed: true}
	RevokedGrantsList = PageList{name: "gr", timed: true}
	// The audit trail's portal events and its gateway calls (whose key is
	// the request id and the call's time in microseconds).
	AuditList = PageList{name: "a", timed: true}
	CallsList = PageList{name: "c"}
)

// Cursor is the cursor of the page after the row with key k.
func (l PageList) Cursor(k Key) string { return k.Cursor(l.name) }

// Parse decodes a Cursor of this list; ok is false for anything it did not
// produce, so callers refuse it before any query.
func (l PageList) Parse(raw string) (key *Key, ok bool) {
	key, ok = ParseCursor(l.name, raw, l.timed)
	if ok && l.numeric {
		if n, err := strconv.ParseInt(key.Sort, 10, 64); err != nil || n <= 0 {
			return nil, false
		}
	}
	return key, ok
}
