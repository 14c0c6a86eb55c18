// Package dataset fills a Portico database with a provider's load, in SQL
// (generate_series, one statement per table or batch), so that pages,
// queries and dashboards can be measured at the scale issue 12 and 13
// describe: 200 partners, one of them with 10 000 members in 50 teams,
// 100 000 tokens, 1 000 grants, 1 million audit events and 10 million
// gateway calls over 90 days with their per-minute rollups.
//
// `portico dev generate`, the page benchmark and the query-count test all
// call Generate; a Spec says how big. The demo data (internal/demo) comes
// with it: the sample APIs and the staff accounts. One user of each role
// signs in with demo.Password (see Accounts).
package dataset

import (
	"errors"
	"fmt"
	"math"
)

// BigPartnerSlug is the slug of the partner that holds most of the data;
// its presence says the data set was generated already.
const BigPartnerSlug = "big-partner"

// The accounts that sign in with demo.Password, one per role. The staff
// accounts are the demo's.
const (
	AdminEmail          = "admin@portico.test"
	AccountManagerEmail = "am@portico.test"
	PartnerAdminEmail   = "admin@big.test"
	DeveloperEmail      = "dev@big.test"
)

// ErrExists is returned by Generate when the database holds a generated
// data set already.
var ErrExists = errors.New("the generated data set is already in this database (partner " + BigPartnerSlug +
	" exists); generate into a fresh database, or use it as it is")

// Spec is the size of a data set. Counts are of generated rows; the demo
// data (two small partners, six accounts, three APIs, two access groups)
// comes on top.
type Spec struct {
	// Partners is the number of partners, the big one included.
	Partners int
	// MembersPerPartner is the number of members of each other partner.
	MembersPerPartner int
	// BigMembers, BigTeams and BigTeam are the big partner's members, its
	// teams and the members of its largest team (the first).
	BigMembers, BigTeams, BigTeam int
	// Invitations are the big partner's open invitations.
	Invitations int
	// Staff is the number of account managers beside the demo's two staff.
	Staff int
	// AccessGroups is the number of access groups; APIs the number of
	// APIs beside the three samples; Revisions the revisions of the fleet API.
	AccessGroups, APIs, Revisions int
	// Grants is the number of open grants, BigGrants of them to the big
	// partner's teams (up to half) and members; the others go to the other
	// partners' members.
	Grants, BigGrants int
	// Tokens is the number of tokens, BigTokens of them the big partner's,
	// OwnTokens of those the developer's and as many the partner admin's
	// (the pages of "my tokens"). Six in ten are open, two expired, one
	// revoked and one pending approval.
	Tokens, BigTokens, OwnTokens int
	// Mails is the number of sent mails in the outbox.
	Mails int
	// Events is the number of audit events, Calls of gateway calls, both
	// over the last Days days.
	Events, Calls, Days int
}

// Full is the data set of issue 12 (and, with more partners, issue 13).
func Full() Spec {
	return Spec{
		Partners: 200, MembersPerPartner: 5,
		BigMembers: 10000, BigTeams: 50, BigTeam: 2000,
		Invitations: 100, Staff: 10,
		AccessGroups: 20, APIs: 0, Revisions: 3,
		Grants: 1000, BigGrants: 400,
		Tokens: 100000, BigTokens: 20000, OwnTokens: 100,
		Mails:  500,
		Events: 1_000_000, Calls: 10_000_000, Days: 90,
	}
}

// Scaled is Full with every count that grows with a provider's size
// multiplied by f (at least the minimum that keeps its shape); the number
// of teams, access groups, staff and revisions stays.
func Scaled(f float64) Spec {
	s := Full()
	if f == 1 {
		return s
	}
	m := func(n, least int) int { return max(least, int(math.Round(float64(n)*f))) }
	s.Partners = m(s.Partners, 2)
	s.BigMembers = m(s.BigMembers, 4)
	s.BigTeams = min(s.BigTeams, max(1, s.BigMembers/4))
	s.BigTeam = m(s.BigTeam, 1)
	s.Invitations = m(s.Invitations, 1)
	s.Grants = m(s.Grants, 2)
	s.BigGrants = m(s.BigGrants, 1)
	s.Tokens = m(s.Tokens, 4)
	s.BigTokens = m(s.BigTokens, 2)
	s.OwnTokens = m(s.OwnTokens, 1)
	s.Mails = m(s.Mails, 1)
	s.Events = m(s.Events, 1)
	s.Calls = m(s.Calls, 1)
	s.Days = min(s.Days, max(1, int(math.Ceil(float64(s.Days)*f*10))))
	return s
}

// Uniform has about n rows in every list a page or the API shows (members,
// teams, a team's members, invitations, tokens, grants, access groups,
// APIs, revisions, staff, mails, partners), for tests that compare two
// sizes.
func Uniform(n int) Spec {
	n = max(n, 3)
	return Spec{
		Partners: n, MembersPerPartner: 2,
		BigMembers: n + 2, BigTeams: n, BigTeam: n,
		Invitations: n, Staff: n,
		AccessGroups: n, APIs: n, Revisions: n,
		Grants: 3 * n, BigGrants: 2 * n,
		Tokens: 6 * n, BigTokens: 3 * n, OwnTokens: n,
		Mails:  n,
		Events: 10 * n, Calls: 10 * n, Days: 2,
	}
}

// Check says what is wrong with a Spec, or nil.
func (s Spec) Check() error {
	others := (s.Partners - 1) * s.MembersPerPartner
	teamGrants := min(s.BigGrants/2, s.BigTeams*s.AccessGroups)
	for _, c := range []struct {
		ok  bool
		msg string
	}{
		{s.Partners >= 1, "at least one partner (the big one)"},
		{s.MembersPerPartner >= 0 && s.Invitations >= 0 && s.Staff >= 0 && s.APIs >= 0 && s.Mails >= 0 && s.Events >= 0 && s.Calls >= 0, "no negative counts"},
		{s.BigMembers >= 2, "the big partner needs at least 2 members (its admin and its developer)"},
		{s.BigTeams >= 1 && s.BigTeam >= 1 && s.BigTeam <= s.BigMembers, "the big partner needs a team, and its largest team cannot have more members than the partner"},
		{s.Revisions >= 1, "the fleet API has at least one revision"},
		{s.Grants == 0 || s.AccessGroups >= 1, "grants need an access group"},
		{s.BigGrants >= 0 && s.BigGrants <= s.Grants, "the big partner's grants are some of all grants"},
		{s.BigGrants-teamGrants <= s.BigMembers*s.AccessGroups, "too many grants for the big partner's members and groups"},
		{s.Grants-s.BigGrants <= others*s.AccessGroups, "too many grants for the other partners' members and groups"},
		{s.BigTokens >= 0 && s.BigTokens <= s.Tokens, "the big partner's tokens are some of all tokens"},
		{s.OwnTokens >= 0 && 2*s.OwnTokens <= s.BigTokens, "the admin's and the developer's tokens are some of the big partner's"},
		{s.Tokens == s.BigTokens || others > 0, "tokens of other partners need members of other partners"},
		{s.BigTokens == 2*s.OwnTokens || s.BigMembers > 2, "the big partner's other tokens need members beside its admin and developer"},
		{s.Days >= 1, "calls and events span at least one day"},
		{s.Calls == 0 || s.Tokens > 0, "calls need tokens"},
	} {
		if !c.ok {
			return fmt.Errorf("data set spec: %s", c.msg)
		}
	}
	return nil
}
