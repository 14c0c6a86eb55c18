package views

// HomePage is the model of the home page: the landing page signed out,
// the signed-in user's next steps otherwise (one of the role sections is
// set, as the user's role decides).
type HomePage struct {
	Page
	// SignInHref is the sign-in link shown to signed-out visitors.
	SignInHref string
	// SignedIn shows the role's next steps instead of the landing page;
	// RoleHelp says in a line what the role does in the portal.
	SignedIn bool
	Heading  string
	RoleHelp string

	Developer      *DeveloperHome
	PartnerAdmin   *PartnerAdminHome
	AccountManager *AccountManagerHome
	Admin          *AdminHome
}

// HomeCount is a name with a number said in words (an API's calls).
type HomeCount struct {
	Name, Count string
}

// HomeAPI is an API a developer may call now.
type HomeAPI struct {
	Slug, Href string
	// Scopes are what they may do with it.
	Scopes []string
	Status string
}

// HomeToken is one of the developer's tokens that expires soon.
type HomeToken struct {
	Name, Hint, Environment string
	// ExpiresIn says when ("in 3 days"), Expires the moment.
	ExpiresIn, Expires string
	// Href finds the token in the token list; RegenerateHref renews it.
	Href, RegenerateHref string
}

// DeveloperHome is a developer's next steps.
type DeveloperHome struct {
	// ShowAPIs and APIs: what they may call now.
	ShowAPIs bool
	APIs     []HomeAPI
	// MoreAPIs is how many more they may call than are listed.
	MoreAPIs int
	// ShowTokens: their tokens expiring within SoonDays days; HasTokens
	// tells the empty state apart (none at all, or none expiring).
	ShowTokens bool
	Expiring   []HomeToken
	HasTokens  bool
	SoonDays   int
	// ShowCalls: their calls today (UTC), in total and per API.
	ShowCalls  bool
	CallsToday string
	CallsByAPI []HomeCount
	// TryHref starts them on the docs' console of an API they may call
	// (the Fleet API if they may) while they have never made a call; ""
	// otherwise. TryName names that API.
	TryHref, TryName string
}

// HomeInvitation is an open invitation on a partner admin's home.
type HomeInvitation struct {
	Email, Role, Sent string
	Expired           bool
}

// HomeMember is a member on a home page, with the link that finds them.
type HomeMember struct {
	Name, Email, Href string
}

// HomeQuota is a monthly quota's use: the text says it, the meter shows it.
type HomeQuota struct {
	Group string
	// Text is "12 400 of 50 000 (25 %)".
	Text string
	// Used and Quota feed the meter; Over marks a quota reached.
	Used, Quota int64
	Over        bool
}

// PartnerAdminHome is a partner admin's next steps.
type PartnerAdminHome struct {
	// ShowPending: tokens waiting for their approval (Pending is a bounded
	// count said in words, "" for none).
	ShowPending  bool
	Pending      string
	PendingWords string
	// ShowHygiene: the credential hygiene score, bounded counts of the
	// open credentials and of those that need attention.
	ShowHygiene                        bool
	HygieneTotal, HygieneAttention     string
	HygieneTotalWords, HygieneAttWords string
	// ShowInvitations: the newest open invitations; MoreInvitations says
	// more follow on the invitations page.
	ShowInvitations bool
	Invitations     []HomeInvitation
	MoreInvitations bool
	// ShowTeamless: members in no team (the first few), TeamlessCount their
	// bounded number ("3", "20+").
	ShowTeamless  bool
	Teamless      []HomeMember
	TeamlessCount string
	TeamlessWords string
	// ShowCalls: the partner's calls today, per API.
	ShowCalls  bool
	CallsToday string
	CallsByAPI []HomeCount
	// ShowQuotas: each access group's monthly quota and its use.
	ShowQuotas bool
	Quotas     []HomeQuota
}

// HomePartnerUsage is a partner's calls in the last 24 hours.
type HomePartnerUsage struct {
	Name, Href, Calls, Errors string
}

// HomeQuotaAlert is a partner's access group near its monthly quota.
type HomeQuotaAlert struct {
	Partner, Href string
	HomeQuota
}

// HomeGrant is a recent grant of an access group: Grantee says to whom
// ("team Integrations", "Dan Crane").
type HomeGrant struct {
	Group, Href, Partner, Grantee, Granted string
}

// AccountManagerHome is an account manager's next steps.
type AccountManagerHome struct {
	// ShowUsage: partners with calls in the last 24 hours, most first.
	ShowUsage bool
	Busy      []HomePartnerUsage
	// ShowQuotas: partners at or above MinPercent of a monthly quota.
	ShowQuotas bool
	NearQuota  []HomeQuotaAlert
	MinPercent int
	// ShowGrants: the newest grants.
	ShowGrants bool
	Grants     []HomeGrant
}

// HomeRetention is the last run of the retention job.
type HomeRetention struct {
	Finished string
	Complete bool
	Error    string
	// Summary says what it removed.
	Summary string
}

// AdminHome is a platform admin's view of the portal's health.
type AdminHome struct {
	// ShowOutbox: mails waiting to be sent (a bounded count in words).
	ShowOutbox    bool
	OutboxBacklog string
	OutboxWords   string
	OutboxWaiting bool
	// ShowErrors: the gateway's calls and 5xx share in the last hour.
	ShowErrors   bool
	HourCalls    string
	HourErrors   string
	ErrorRate    string
	ErrorsRaised bool
	// ShowQueue: this node's call audit queue (its depth and capacity).
	ShowQueue     bool
	QueueDepth    string
	QueueCapacity string
	QueueHigh     bool
	// ShowRetention: the last retention run; nil Retention: never ran.
	ShowRetention bool
	Retention     *HomeRetention
}
