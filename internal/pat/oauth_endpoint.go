package pat

// TokenEndpoint is the address of POST /oauth/token on the portal's
// public URL: where a newly registered client exchanges its id and secret
// for access tokens, told to it beside the secret.
func (s *Service) TokenEndpoint() string { return s.baseURL + "/oauth/token" }
