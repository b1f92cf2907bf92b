// Package refdiff is a differential test of Codios against the Rust
// reference implementation of Biscuit, biscuit-auth 6.0.0: where the two
// differ, Codios follows the reference unless the specification clearly
// says otherwise, and every remaining difference is written down.
//
// # How it works
//
// The reference runs as a separate program, ref/, a Rust binary built
// with cargo from the crate registry (biscuit-auth pinned to =6.0.0,
// Cargo.lock committed): `cargo build --release` in ref/. It reads one
// JSON [Case] a line on stdin and writes one JSON [Decision] a line on
// stdout. A case is Datalog source text, so that both implementations
// parse the same text: a root key, the authority block, attenuation
// blocks (each first-party, or signed by a third party through the
// reference's third-party request), the authorizer and the request's
// time; or, instead of the blocks, a token's bytes, minted elsewhere.
// A decision is the outcome (allow, deny or error), the matched policy,
// the failed checks (block and index) and, for an error, its kind: parse,
// execution, limit, format, or panic (the reference's own).
//
// [Generator] writes random cases from a seed: terms of every type,
// expressions with every operator and method, closures, rules, checks of
// the three kinds, several allow and deny policies, scopes (authority,
// previous, public keys), third-party blocks signed by trusted and
// untrusted keys, and, now and then, broken programs. [DecideCodios]
// decides a case with package token.
//
// TestReferenceDifferential decides each case four ways: Codios and the
// reference each mint and authorize it, then each authorizes the token
// the other minted. The outcome, the matched policy and the set of
// failed checks must agree. A run limit on either side is inconclusive
// (the two count differently). A disagreement over an expression error
// is decided again by the reference: it takes the bindings of a rule in
// hash order and stops at the first that decides, so whether it reaches
// a binding that fails varies from run to run; if it ever reaches
// Codios's decision, the difference is the order's, which the
// specification leaves open. A case matching a known difference (a list
// in the test, each with its reason) passes; any other disagreement
// fails, printing the case minimized and as JSON, ready for
// testdata/regressions.jsonl, whose cases run first.
//
//	cd conformance && go test -run TestReferenceDifferential ./refdiff/
//	CODIOS_REFDIFF_CASES=100000 CODIOS_REFDIFF_SEED=42 CODIOS_REFDIFF_MAX_DIFFS=60 go test ...
//
// Without cargo the test is skipped (CODIOS_REFDIFF_BIN names a reference
// program built elsewhere).
//
// # Known differences
//
// Codios is right by the specification, and the reference differs:
//
//   - "\t" and "\r" in strings: the specification's grammar has them; the
//     reference refuses them.
//   - {true}, {false}, {null}, {hex:ff}: a one-element set to Codios; a
//     parameter to the reference (names take letters, digits, _ and :).
//   - Arrays inside sets and the empty map {} as a fact's term: the
//     reference's fact parser refuses both ({} is accepted in
//     expressions).
//   - A date literal followed by a method, 2026-01-01T00:00:00Z.type():
//     the reference's date scanner runs to the next space or , ) ] ; }.
//   - A :60 leap second in a date: RFC 3339 allows it; the reference
//     refuses it.
//   - A block-wide "trusting" clause: the reference's BlockBuilder::code
//     and AuthorizerBuilder::code drop it without a word; Codios applies
//     it in a block and refuses it in an authorizer's source.
//   - A keyword glued to a name ("check ifr(...)", "f($x) oret($y)",
//     "deny iffalse", "trustinged25519/", "truetrusting authority"): the
//     reference reads the keyword and the rest; Codios reads one name.
//   - A stray ";": the grammar has no empty statement; the reference
//     skips it.
//   - An ed25519 key that is not 32 bytes in a scope: both refuse it,
//     the reference by panicking.
//
// Both refuse, at different times:
//
//   - An unbound variable in a check's expression: Codios when it
//     parses, the reference when it evaluates.
//   - A closure parameter named as a variable of its rule: Codios as
//     soon as it evaluates the expression, the reference when the closure
//     runs.
//
// Codios was wrong, and follows the grammar and the reference now
// (datalog's TestReferenceGrammar): "hex:" with no digits is refused, as is
// a predicate without terms, f(), and "<-" inside an expression, 1<-9,
// reads 1 < -9.
package refdiff
