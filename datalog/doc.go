// Package datalog is the policy language of Codios: Biscuit Datalog, as
// version 3.3 of the Biscuit specification defines it, complete. It parses
// source text, prints it back in canonical form, and evaluates programs
// with exact scopes and bounded resources. It knows nothing of tokens:
// package token signs and carries what this package evaluates.
//
// # The language
//
// A program is a list of statements, each ended by ';':
//
//	right("/tmp/file1", "read");                       // a fact
//	can($r) <- right($r, $op), operation($op);         // a rule
//	check if time($t), $t < 2030-01-01T00:00:00Z;      // a check
//	allow if can($r), resource($r);                    // a policy (authorizer only)
//
// Values are integers (64-bit, overflow is an error), strings, dates (RFC
// 3339, seconds), byte strings (hex:0a1b), booleans, null, sets ({1, 2};
// the empty set is {,}), arrays ([1, "a"]) and maps ({"a": 1}; the empty
// map is {}). Expressions have the operators and methods of the
// specification: arithmetic, comparisons, strict (===, !==) and lenient
// (==, !=) equality, lazy && and ||, bitwise & | ^, !, and the methods
// starts_with, ends_with, matches, contains, length, intersection, union,
// get, all, any, type and try_or, and extern::name calls to functions the
// host provides. Checks are "check if" (one query matches), "check all"
// (the query matches, and every match satisfies the expressions: with no
// match at all it fails, as in the reference) or "reject if" (no query
// matches); "or" separates alternative queries. A {name} in the source is
// a parameter: [ParseOptions.Params] binds it to a value, and an unbound
// or unused parameter is an error. Comments are // to the end of the line
// and /* ... */.
//
// # Parsing and printing
//
// [ParseBlock] and [ParseAuthorizer] read whole sources; [ParseFact],
// [ParseRule], [ParseCheck], [ParsePolicy] and [ParseTerm] read one
// element; [NewFact] builds a fact from values, such as a fact of a
// request, without source text. The parser is a hand-written scanner and recursive descent with
// the precedence levels of the reference implementation. Errors are
// [ParseErrors]: each a [ParseError] with line, column and a caret
// excerpt; a parse reports several, up to [Limits.MaxParseErrors]. Every
// rule must be safe: each variable of its head and of its expressions is
// bound by a predicate of its body.
//
// Expressions are kept as the opcodes of the specification's stack
// machine, the form tokens carry on the wire. The String methods print
// the canonical form of the reference implementation, character for
// character, so that a block reads the same whichever implementation
// prints it; parsing that text gives back the same program.
//
// # Evaluation and the trust model of scopes
//
// A [World] holds the blocks of a token, in order, and an authorizer.
// Every fact carries its origin: the set of blocks it was derived from (a
// given fact, its own block; a derived fact, the union of the origins of
// the facts it came from and the block of its rule). A rule, check or
// policy only sees facts whose origin lies within the blocks it trusts. By
// default a block trusts itself, the authority block (block 0) and the
// authorizer; the authorizer trusts itself and the authority block. So an
// attenuation block can restrict the token, but facts it adds can never
// satisfy the authority's or the authorizer's rules: it cannot widen what
// the token allows. A "trusting" clause changes this for a rule, check or
// policy, or for a whole block: "authority", "previous" (every earlier
// block; meaningless in the authorizer) or a public key (the third-party
// blocks that key signed). The current block and the authorizer are always
// trusted.
//
// Evaluation derives facts semi-naively until nothing new follows, then
// runs the checks and the policies in the reference's order: the
// authorizer's checks, the authority block's, the policies (the first that
// matches decides), then the other blocks' checks. [World.Authorize]
// returns a [Result]: the matched policy and every failed check. Deny is a
// result, not an error; an error means bad input or an exhausted limit.
// An expression that fails (a type mismatch under ===, an overflow) aborts
// the evaluation with an error, as the specification requires.
// [World.Query] asks what a rule derives, to answer "what may this token
// do?"; [World.Facts] dumps every fact with its origin.
//
// A program that many worlds load, such as a service's policy, is
// compiled once with [Compile], not once per world: its compiled form,
// with constants interned in a table of its own, is added to each world
// with [World.AddCompiled], and each world maps those constants to its
// own. [World.Freeze] goes further, for the same token and policy
// authorized again and again: it returns the world loaded once, a
// [Frozen], and each call starts a world from it with [Frozen.With] that
// adds only the call's facts, sharing what it only reads and copying what
// it writes. A program given to a world must therefore not change
// afterwards.
//
// # Limits
//
// Source text, tokens and requests are untrusted. [Limits] bounds the
// source size, the nesting of expressions and collections, the number of
// parse errors, the blocks of a world, the facts it holds, the rounds of
// the fixpoint, the work of an evaluation, the size of a regular
// expression (compiled by Go's regexp, linear in time) and the values
// that expressions compute; [DefaultLimits] gives the defaults and why.
//
// Evaluation is bounded first by counted work: MaxSteps counts the facts
// inserted, the rules applied, the facts each join tries, the queries,
// the opcodes evaluated, and the size of the values that operations go
// through (a long string, a large set, a regular expression over a long
// text), so a decision is the same on an idle and on a saturated machine.
// MaxTime, wall-clock, is only a generous backstop. The limits are checked
// synchronously inside the loops, together with the [context.Context]
// given to [World.Run]; no goroutine is started, so nothing runs on after
// a limit fires. Exceeding one is a [*LimitError] of a [LimitKind];
// errors.Is matches it with [ErrLimit], and with [ErrStepLimit] or
// [ErrTimeLimit] by kind. A regular expression's match is charged before
// it runs, from the text's length times the size of the compiled
// program, which can be far larger than the pattern's text.
//
// # Differences from the reference implementation
//
// Where Codios and the Rust reference (biscuit-auth 6.0.0) differ, Codios
// follows the reference unless the specification clearly says otherwise.
// A differential test (conformance/refdiff) decides random programs with
// both; these are the differences that remain, each kept for the reason
// given:
//
//   - "\t" and "\r" escapes in strings are accepted: the specification's
//     grammar has them; the reference refuses them.
//   - {true}, {false}, {null} and {hex:ff} are one-element sets: the
//     grammar's parameters are names, and these are values; the
//     reference reads them as parameters.
//   - Arrays inside sets, and {} as a fact's term, are accepted: the
//     specification allows any term but a set in a set; the reference's
//     fact parser refuses both.
//   - A date at the leap second, :60, is accepted, as RFC 3339 allows;
//     the reference refuses it.
//   - A date literal followed by a method (2026-01-01T00:00:00Z.type()) is
//     a call on the date; the reference's date scanner takes the method
//     into the date.
//   - A keyword glued to a name (check ifr(...), trustinged25519/...) is
//     one name, as the grammar's tokens are; the reference splits it.
//   - A stray ";" is an error: the grammar has no empty statement; the
//     reference skips it.
//   - A block-wide "trusting" clause applies to the block (and is refused
//     in an authorizer's source); the reference's source builders drop it
//     without a word, which is its bug.
//   - A closure parameter that shadows a variable of its rule fails the
//     evaluation when the expression is evaluated; the reference fails
//     only when the closure runs, not over an empty collection. An
//     unbound variable in an expression is refused when parsing; the
//     reference refuses it when evaluating.
//   - The reference tries a rule's bindings in hash order and stops at
//     the first that decides, so which expression error it reports can
//     vary from run to run; Codios evaluates in a fixed order.
package datalog
