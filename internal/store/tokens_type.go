package store

import "slices"

// The type filters of the token lists: personal access tokens alone, or
// OAuth clients alone (rows with a client id); empty is both.
const (
	TokenTypePAT    = "pat"
	TokenTypeClient = "client"
)

// ValidTokenType reports whether s is a type filter: "", TokenTypePAT or
// TokenTypeClient.
func ValidTokenType(s string) bool {
	return slices.Contains([]string{"", TokenTypePAT, TokenTypeClient}, s)
}

// tokenTypeWhere is each type filter's condition, spelled out like
// tokenStatusWhere. The clients' one is the predicate of the partial
// index tokens_partner_clients (migration 00029), which serves a
// partner's clients in list order.
var tokenTypeWhere = map[string]string{
	"":              `true`,
	TokenTypePAT:    `t.client_id IS NULL`,
	TokenTypeClient: `t.client_id IS NOT NULL`,
}
