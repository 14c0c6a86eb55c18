package store

// TokensPageSQL is the query of a partner's (partner) or a user's token
// list under a filter, for the tests that check its plans.
func TokensPageSQL(partner bool, status string) string {
	if partner {
		return tokensPageSQL("t.partner_id", tokenStatusWhere[status])
	}
	return tokensPageSQL("t.user_id", tokenStatusWhere[status])
}
