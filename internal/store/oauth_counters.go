package store

// Attempt counter kinds of the OAuth endpoints (internal/oauth's
// throttle of failed client and resource server authentication).
const (
	// CounterOAuthClient counts failed authentications per public id
	// (pcl_… or prs_…), existing or not.
	CounterOAuthClient = "oauth_client"
	// CounterOAuthIP counts failed OAuth authentications per client
	// address (auth.AddressKey).
	CounterOAuthIP = "oauth_ip"
)
