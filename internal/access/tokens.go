package access

// Actions on one personal access token, decided by CanToken.
const (
	ViewToken       Action = "token.view"
	RevokeToken     Action = "token.revoke"
	RegenerateToken Action = "token.regenerate"
	RenameToken     Action = "token.rename"
	ApproveToken    Action = "token.approve"
	// LimitToken sets or removes the token's own rate limit.
	LimitToken Action = "token.rate_limit"
	// NarrowToken drops scopes a token did not use, keeping its secret:
	// whoever may revoke it may take that smaller step.
	NarrowToken Action = "token.narrow"
)

// CanToken decides whether a may act on the token of ownerID in partnerID.
// The owner manages their token; a partner admin sees, revokes and
// approves every token of their partner; staff see and revoke any. Only
// the owner regenerates (it reveals a new secret), renames or sets its own
// rate limit. Somebody else's token in another partner, or a colleague's
// for a developer, is Hidden: it answers like one that does not exist.
func CanToken(a Actor, act Action, ownerID, partnerID int64) Decision {
	if a.UserID == 0 || a.Role == "" || partnerID == 0 {
		return Deny
	}
	owner := a.UserID == ownerID && a.PartnerID == partnerID
	admin := a.Role == RolePartnerAdmin && a.PartnerID == partnerID
	switch {
	case owner:
		switch act {
		case ViewToken, RevokeToken, NarrowToken, RegenerateToken, RenameToken, LimitToken:
			return Allow
		case ApproveToken:
			return allowIf(admin)
		}
		return Deny
	case admin:
		return allowIf(act == ViewToken || act == RevokeToken || act == NarrowToken || act == ApproveToken)
	case a.Staff() && a.Manages(partnerID):
		return allowIf(act == ViewToken || act == RevokeToken || act == NarrowToken)
	}
	return Hidden
}
