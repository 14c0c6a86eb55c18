package gateway_test

import (
	"os"
	"strings"
	"testing"
)

// onFastEdge reports whether the test t serves its gateway from the
// fasthttp edge: every test when edgeEnv says so (the whole suite on the
// edge), and the tests TestOnFastEdge runs again.
func onFastEdge(t testing.TB) bool {
	return os.Getenv(edgeEnv) == "fasthttp" || strings.HasPrefix(t.Name(), "TestOnFastEdge/")
}

// TestOnFastEdge runs the gateway tests that exercise the HTTP layer —
// headers both ways, bodies and their limits, streaming, interim answers,
// upgrades, aborted answers, errors, verification, limits and audit —
// again with the gateway served from the fasthttp edge, so make test
// holds both listeners to the same behaviour. (PORTICO_TEST_EDGE=fasthttp
// runs every test of the package on the edge.)
func TestOnFastEdge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"TestLiveProxy", TestLiveProxy},
		{"TestLiveProxyConnectionHeaderKeepsIdentity", TestLiveProxyConnectionHeaderKeepsIdentity},
		{"TestLiveProxyClientHeaders", TestLiveProxyClientHeaders},
		{"TestClientIdentityHeaders", TestClientIdentityHeaders},
		{"TestGatewayAnswersAreSandboxed", TestGatewayAnswersAreSandboxed},
		{"TestLiveProxyInterimAndTrailers", TestLiveProxyInterimAndTrailers},
		{"TestUpgradeIsNotForwarded", TestUpgradeIsNotForwarded},
		{"TestInterimThenFailureKeepsRequestID", TestInterimThenFailureKeepsRequestID},
		{"TestErrors", TestErrors},
		{"TestUpstreamFailures", TestUpstreamFailures},
		{"TestAbortedCallIsRecorded", TestAbortedCallIsRecorded},
		{"TestBodyLimit", TestBodyLimit},
		{"TestSmallChunkedBodiesTakeNoPlace", TestSmallChunkedBodiesTakeNoPlace},
		{"TestValidatedChunkedBodyHoldsItsPlace", TestValidatedChunkedBodyHoldsItsPlace},
		{"TestLargeBodiesPerPartner", TestLargeBodiesPerPartner},
		{"TestLiveBodyIsStreamed", TestLiveBodyIsStreamed},
		{"TestLiveLargeBodyPlaces", TestLiveLargeBodyPlaces},
		{"TestCutOffBodyIsNotLogged", TestCutOffBodyIsNotLogged},
		{"TestVerifyAllows", TestVerifyAllows},
		{"TestVerifyRefusesLikeTheGateway", TestVerifyRefusesLikeTheGateway},
		{"TestGatewayRefusesDotSegments", TestGatewayRefusesDotSegments},
		{"TestSandboxIsolation", TestSandboxIsolation},
		{"TestRateLimit", TestRateLimit},
		{"TestEveryCallIsAudited", TestEveryCallIsAudited},
		{"TestEdgeCases", TestEdgeCases},
		{"TestSlowClients", TestSlowClients},
		{"TestUploadLongerThanReadTimeout", TestUploadLongerThanReadTimeout},
		{"TestLongAnswers", TestLongAnswers},
		{"TestSlowUpstreamIsCalledOnce", TestSlowUpstreamIsCalledOnce},
		{"TestUpstreamClosedIdleConnection", TestUpstreamClosedIdleConnection},
		{"TestUntypedUpstreamAnswer", TestUntypedUpstreamAnswer},
	} {
		t.Run(tc.name, tc.run)
	}
}

// casesFor is the edge cases as the edge t runs on answers them: the
// fasthttp edge refuses two Content-Length headers even when they agree
// (RFC 9110 §8.6 lets a recipient reject them or take them as one).
func casesFor(t testing.TB, cases []edgeCase) []edgeCase {
	if !onFastEdge(t) {
		return cases
	}
	for i, c := range cases {
		if c.name == "two identical CLs" {
			cases[i].answer, cases[i].upstream, cases[i].keepAlive = []int{400}, nothing, false
		}
	}
	return cases
}
