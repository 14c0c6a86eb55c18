package store

import "strconv"

// bookFilter is the condition that keeps the rows whose partner (the
// column col) is in the book of the account manager whose user id is
// query argument $n: every row when the argument is 0 (a platform admin,
// access.Actor.Book). It is the one SQL shape of "an account manager's
// partners" (issue 17) for every list that spans partners: the argument
// is constant per call, so the planner drops the test for a platform
// admin, and for an account manager reads their book from
// partner_managers_user (user_id, partner_id) as a hashed subplan.
func bookFilter(col string, n int) string {
	arg := "$" + strconv.Itoa(n)
	return "(" + arg + "::bigint = 0 OR " + col +
		" IN (SELECT pm.partner_id FROM partner_managers pm WHERE pm.user_id = " + arg + "))"
}
