// Package interop checks that Codios and biscuit-go v2.2.0
// (github.com/biscuit-auth/biscuit-go/v2), the Go implementation of
// Biscuit, read each other's tokens and decide alike. It has no code
// outside its tests; it lives in the conformance module so that biscuit-go
// never becomes a dependency of the main module. Its test binary links
// both implementations, as a service moving from one to the other would:
// that it starts at all shows that their protobuf registrations do not
// collide.
//
// # What is compared
//
// TestInterop has one case per token (cases_test.go): Datalog using the
// features of Datalog v3.0, which biscuit-go implements (facts, rules,
// checks, sets, dates, bytes, integers, strings, expressions, several
// blocks, allow and deny policies, expiry through time, sealing). Each
// case runs both ways:
//
//   - biscuit-go mints the token; biscuit-go and Codios each verify and
//     authorize it, and must reach the expected decision (Codios: with
//     the expected policy index; biscuit-go does not tell which policy
//     matched).
//   - Codios mints the token, every block of Datalog version 3 and
//     signed with token.BlockOptions.LegacySignature; Codios authorizes
//     it, then biscuit-go verifies and authorizes it.
//
// # Known incompatibilities
//
// By default Codios signs every block with signature version 1 of the
// specification v3.3 (the payload that covers the previous signature).
// biscuit-go v2.2.0 knows only version 0: it ignores the version field and
// checks a version 0 payload, so it refuses a token signed with version 1
// as biscuit.ErrInvalidSignature. Each case also asserts exactly that, so
// that the test fails, and must be updated, the day it changes. Services
// that must accept Codios tokens in biscuit-go mint with LegacySignature.
//
// Codios, as the specification v3.3, compiles && and || to the lazy
// operators of v3.3, so a block that has them is of Datalog version 6,
// which biscuit-go cannot read; the cases write Codios's blocks without
// them.
//
// Where the two syntaxes differ the cases spell each: biscuit-go writes
// sets in brackets and its equality ("==") is the strict equality that
// Codios, as the specification v3.3, spells "===". biscuit-go's parser
// panics on every deny policy; the test parses those as allow policies
// and changes their kind.
package interop
