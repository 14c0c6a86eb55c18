// Package samples embeds the OpenAPI 3.1 documents of the three sample
// partner APIs the demo provider (port equipment: container terminal
// spreaders) opens through Portico, and which the sandbox serves:
//
//   - fleet.yaml: the Fleet API (slug "fleet", scope fleet:read): spreaders,
//     the sites and cranes they work on, and their live status;
//   - telemetry.yaml: the Telemetry API (slug "telemetry", scope
//     telemetry:read): lift cycles, alarms and time series;
//   - maintenance.yaml: the Maintenance API (slug "maintenance", scopes
//     maintenance:read and maintenance:write): work orders.
//
// Each document is self-contained (no external $ref), declares one OAuth2
// scheme named "portico" and names exactly one scope on every operation, so
// the catalog accepts it as is.
package samples

import "embed"

// FS holds fleet.yaml, telemetry.yaml and maintenance.yaml.
//
//go:embed *.yaml
var FS embed.FS
