// Package tokenbench measures the whole per-call path of a service, from a
// token's bytes to a decision, in Codios and in biscuit-go v2.2.0 side by
// side, on the same token bytes and the same policy: the standard request
// of the project (../shared/bench/standard), longer chains of its hops,
// and a fleet of distinct tokens that share their first three blocks. One Ed25519 verification is measured in the same run: it is the
// floor of one signature. See bench_test.go.
package tokenbench
