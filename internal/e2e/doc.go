// Package e2e holds Portico's browser tests: the real portal on a test
// server, over a throwaway PostgreSQL, driven through Debian's Chromium
// (headless) with chromedp. It has no code outside its tests.
//
// One browser serves the whole test process; each test works in its own
// browser context (its own cookies), each page in its own tab. Screenshots
// go to test-artifacts/e2e/ at the repository root (git-ignored), or to
// $E2E_ARTIFACTS. Without Chromium the tests skip, except under CI=true,
// where they fail: scripts/deps.sh installs it.
package e2e
