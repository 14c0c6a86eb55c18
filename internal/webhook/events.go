// Package webhook tells partners' and the provider's own systems what
// happens in the portal, the Standard Webhooks way: an event is queued in
// PostgreSQL in the transaction of the action that caused it, signed with
// the endpoint's secret (HMAC-SHA256 over id.timestamp.body) and sent by
// workers on any node, in order per endpoint, retried with exponential
// back-off and jitter for 24 hours; an endpoint failing that long is
// disabled and its owner mailed. Endpoints are reached over HTTPS only,
// never inside the portal's network unless a setting allows it.
package webhook

import "time"

// Event types, as subscribed to and sent in the payload's "type".
const (
	MemberInvited        = "member.invited"
	MemberJoined         = "member.joined"
	MemberRemoved        = "member.removed"
	TeamChanged          = "team.changed"
	AccessGroupGranted   = "access_group.granted"
	AccessGroupRevoked   = "access_group.revoked"
	TokenCreated         = "token.created"
	TokenRotated         = "token.rotated"
	TokenRevoked         = "token.revoked"
	TokenExpiring        = "token.expiring" // #nosec G101 -- an event type's name, not a credential
	TokenApproved        = "token.approved"
	OAuthClientCreated   = "oauth_client.created"
	OAuthClientRotated   = "oauth_client.rotated"
	OAuthClientRevoked   = "oauth_client.revoked"
	OAuthClientExpiring  = "oauth_client.expiring"
	AlertRaised          = "alert.raised"
	PartnerSuspended     = "partner.suspended"
	PartnerReactivated   = "partner.reactivated"
	PartnerEnded         = "partner.ended"
	TestEvent            = "webhook.test"
	maxEventTypeNameSize = 60
)

// Type is an event type an endpoint may subscribe to, as the form lists it.
type Type struct {
	Name  string
	Group string
	About string
}

// Types are the event types an endpoint may subscribe to, in the order
// forms show them. The test event is sent on request only.
var Types = []Type{
	{MemberInvited, "People", "Someone was invited to the partner."},
	{MemberJoined, "People", "Someone joined (accepted an invitation, or signed in through single sign-on for the first time)."},
	{MemberRemoved, "People", "Someone was removed, or their identity provider ended their access."},
	{TeamChanged, "People", "A team was created, renamed or deleted, or someone joined or left it."},
	{AccessGroupGranted, "Access", "An access group was granted to a team or a developer."},
	{AccessGroupRevoked, "Access", "A grant of an access group was revoked."},
	{TokenCreated, "Personal access tokens", "A personal access token was created (also one waiting for approval)."},
	{TokenApproved, "Personal access tokens", "A live token waiting for approval was approved."},
	{TokenRotated, "Personal access tokens", "A token was regenerated: a new secret, the old one valid for a grace period."},
	{TokenRevoked, "Personal access tokens", "A token was revoked (by someone, because it leaked, or with its owner's access)."},
	{TokenExpiring, "Personal access tokens", "A token expires within 7 days, or within a day."},
	{OAuthClientCreated, "OAuth clients", "An OAuth client was registered."},
	{OAuthClientRotated, "OAuth clients", "An OAuth client's secret was rotated."},
	{OAuthClientRevoked, "OAuth clients", "An OAuth client was revoked."},
	{OAuthClientExpiring, "OAuth clients", "An OAuth client's secret expires within 7 days, or within a day."},
	{AlertRaised, "Alerts", "An alert was raised (quota, rate limiting, spikes, leaked credentials, new networks, …)."},
	{PartnerSuspended, "Partnership", "The partner was suspended."},
	{PartnerReactivated, "Partnership", "The partner was reactivated after a suspension."},
	{PartnerEnded, "Partnership", "The partnership ended: credentials revoked, accounts closed."},
}

// Known reports whether name is an event type endpoints subscribe to.
func Known(name string) bool {
	for _, t := range Types {
		if t.Name == name {
			return true
		}
	}
	return false
}

// Payload is what every delivery's body holds: the Standard Webhooks
// envelope, with the event's own data.
type Payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// Partner names the partner an event concerns.
type Partner struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Person names someone: the actor, a member, a token's owner.
type Person struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

// Common is in every event's data.
type Common struct {
	Partner Partner `json:"partner"`
	// Actor is who acted; null for the portal itself (a scheduled job, an
	// identity provider's sync, a secret scanner's report).
	Actor *Person `json:"actor"`
}

// InvitationData is the data of member.invited.
type InvitationData struct {
	Common
	Invitation Invitation `json:"invitation"`
}

// Invitation is an invitation, never its link.
type Invitation struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Role  string `json:"role"`
}

// MemberData is the data of member.joined and member.removed.
type MemberData struct {
	Common
	Member Member `json:"member"`
	// Via says how: "invitation" or "sso" (joined); "removed" or
	// "identity_provider" (removed).
	Via string `json:"via"`
}

// Member is one of the partner's people.
type Member struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Role  string `json:"role"`
}

// TeamData is the data of team.changed.
type TeamData struct {
	Common
	Team Team `json:"team"`
	// Change is created, renamed, deleted, member_added or member_removed.
	Change       string  `json:"change"`
	PreviousName *string `json:"previous_name,omitempty"`
	Member       *Person `json:"member,omitempty"`
}

// Team is a team of the partner.
type Team struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// GrantData is the data of access_group.granted and access_group.revoked.
type GrantData struct {
	Common
	Grant       GrantRef    `json:"grant"`
	AccessGroup AccessGroup `json:"access_group"`
	Grantee     Grantee     `json:"grantee"`
}

// GrantRef is a grant.
type GrantRef struct {
	ID int64 `json:"id"`
}

// AccessGroup is a bundle of APIs.
type AccessGroup struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Grantee is who holds a grant: a team or a developer.
type Grantee struct {
	Type  string `json:"type"`
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// CredentialData is the data of the token.* and oauth_client.* events.
type CredentialData struct {
	Common
	Credential Credential `json:"credential"`
	// Reason is why a credential was revoked: by someone, leaked,
	// with its owner's access, the partnership's end, ….
	Reason string `json:"reason,omitempty"`
	// PreviousHint and GraceSeconds tell a rotation: the old secret's hint
	// and how long it stays valid.
	PreviousHint string `json:"previous_hint,omitempty"`
	GraceSeconds *int   `json:"grace_seconds,omitempty"`
}

// Credential is a personal access token or an OAuth client, by its hint:
// never its secret.
type Credential struct {
	ID          int64    `json:"id"`
	Kind        string   `json:"kind"`
	Name        string   `json:"name"`
	Hint        string   `json:"hint"`
	ClientID    string   `json:"client_id,omitempty"`
	Environment string   `json:"environment"`
	Scopes      []string `json:"scopes"`
	Owner       Person   `json:"owner"`
	Status      string   `json:"status"`
	ExpiresAt   string   `json:"expires_at"`
}

// AlertData is the data of alert.raised.
type AlertData struct {
	Common
	Alert Alert `json:"alert"`
}

// Alert is an alert as the alerts page shows it.
type Alert struct {
	ID         int64            `json:"id"`
	Rule       string           `json:"rule"`
	Message    string           `json:"message"`
	RaisedAt   string           `json:"raised_at"`
	Credential *AlertCredential `json:"credential"`
}

// AlertCredential is the credential an alert concerns, if any.
type AlertCredential struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Hint string `json:"hint"`
}

// PartnerData is the data of partner.suspended, partner.reactivated and
// partner.ended.
type PartnerData struct {
	Common
	// Ended counts what the end of a partnership closed.
	Ended *Ended `json:"ended,omitempty"`
}

// Ended counts what the end of a partnership closed.
type Ended struct {
	CredentialsRevoked   int `json:"credentials_revoked"`
	PeopleClosed         int `json:"people_closed"`
	InvitationsCancelled int `json:"invitations_cancelled"`
	GrantsEnded          int `json:"grants_ended"`
}

// TestData is the data of webhook.test, sent by "send a test event".
type TestData struct {
	Endpoint EndpointRef `json:"endpoint"`
	Actor    *Person     `json:"actor"`
	Message  string      `json:"message"`
}

// EndpointRef names the endpoint a test event was sent to.
type EndpointRef struct {
	ID  int64  `json:"id"`
	URL string `json:"url"`
}
