// Package samples runs the Biscuit conformance samples against Codios: the
// token files (.bc) and samples.json that the reference implementation,
// biscuit-rust, generated for the specification v3.3.
//
// # What is compared
//
// For every validation of every sample (TestSamples), the runner verifies
// the token with the samples' root key, authorizes it with the
// validation's authorizer code, and compares, as data and never as
// message text:
//
//   - the outcome ([Outcome]): Ok with the matched policy, or the error's
//     class (Format/..., Execution/..., FailedLogic/...), with the matched
//     policy and every failed check of a denial, or the rule of an
//     InvalidBlockRule;
//   - the revocation ids, in hex;
//   - the world ([World]): facts per origin, rules and checks per block,
//     policies, each printed canonically;
//   - the printed code, version and external key of every block.
//
// The test binary prints one line, "conformance: N/M validations pass",
// and every skipped validation with its reason; the goal is M/M and none.
// TestRoundTrip rebuilds each sample token from its printed code and checks
// that it authorizes exactly as the original.
//
// # Where the samples are
//
// Samples are not part of the repository. [Dir] looks in $CODIOS_SAMPLES,
// then in ../shared/biscuit-samples beside the repository root; without
// either, the tests skip and say so.
//
// # Extern functions
//
// Sample 35 calls an extern function, test, which the reference's test
// harness defines; [Externs] is the same function for Codios.
package samples
