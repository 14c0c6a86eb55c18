// Package scaletest measures the portal's list pages and /api/v1 lists on
// a generated data set (internal/dataset), through the real handler stack
// and real sessions, for every role that sees each: BenchmarkPages reports
// p50, p95, bytes and queries per request, and TestQueryCounts fails when a
// request runs more SQL statements on more rows. Both know the pages only
// by URL and role, so they keep working whatever the lists do inside.
//
// The package has no code of its own; it is all in its tests.
package scaletest
