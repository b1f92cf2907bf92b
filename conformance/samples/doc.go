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
// go test shows it when run in this folder without arguments, with -v, or
// on failure; in package list mode (go test ./...) it keeps the output of
// a package that passes to itself.
//
// TestRoundTrip rebuilds each sample token from its printed code with
// Codios's builder, and checks that the rebuilt token prints the same and
// authorizes exactly as the original under every validation. The root
// private key is in samples.json; each third-party key is replaced by a
// fresh one, in the code and in the authorizer alike.
//
// # Where the comparison is coarser than the reference
//
//   - Format errors: package token has one sentinel, ErrFormat, for every
//     format error besides signatures. The samples' one such error is a
//     signature of the wrong size, so ErrFormat classifies as
//     Format/BlockSignatureDeserializationError.
//   - InvalidBlockRule: the reference's number is always 0 (biscuit-rust,
//     token/builder/authorizer.rs, load_and_translate_block); only the
//     rule is compared.
//   - The world of a failed evaluation: with no decision to give its
//     facts, they are derived again from the facts and rules alone, which
//     is all they depend on.
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
