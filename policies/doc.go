// Package policies is Codios's library of policies for agent systems, as
// Datalog files, each with a header comment that says what it is for and
// which parameters it takes:
//
//   - issuer/: authority blocks an issuer mints (agent, tenant, rights,
//     expiry).
//   - service/: service authorizers (an HTTP API, a tool server, a file
//     service).
//   - attenuation/: blocks an agent appends when it delegates (read-only,
//     one resource prefix, one tool, a shorter expiry, a maximum
//     delegation depth, a named downstream agent).
//   - guards/: deny policies and reject-if guards (no delegation beyond a
//     number of hops, forbidden paths, one tenant per token).
//
// Each directory has *_test.txt files of cases that mint, attenuate and
// authorize real tokens; package policytest runs them, and so do
// `go test ./policies/...` and `codios test policies`. This package has no
// Go API.
package policies
