package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// refuseAccessTokenMinting refuses to create or regenerate a credential
// for a caller authenticated by an OAuth access token. An access token
// lives minutes by design; letting it mint a PAT, a client or a new
// client secret (with a day's grace for the old one) would turn one
// leaked access token into a credential that outlives it by months.
// Personal access tokens and portal sessions may, as before.
func refuseAccessTokenMinting(c echo.Context) error {
	if p := principal(c); p != nil && p.ClientID != "" {
		return &Error{Status: http.StatusForbidden, Code: "forbidden",
			Message: "An OAuth access token may not create or regenerate credentials: use the portal or a personal access token."}
	}
	return nil
}
