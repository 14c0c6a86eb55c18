// Package reliability holds the tests of Portico run as a fleet: the real
// binary built once per test process, three `portico serve` processes on
// loopback against one PostgreSQL cluster and one Redis of the test's own,
// seeded as a provider and a partner would be, with a live upstream. They
// check what a user of several nodes relies on and break what can break:
// a revocation through one node reaching the others, one rate limit
// shared by all, PostgreSQL stopped under load, SIGTERM under load and
// Redis stopped; and, with one node posting to a TLS receiver, webhook
// deliveries across SIGKILL (mid-retry and mid-send) and SIGTERM. The
// package has no code of its own besides its tests.
package reliability
