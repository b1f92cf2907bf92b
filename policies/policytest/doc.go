// Package policytest runs policy tests: files of named cases, each of which
// mints a real token, attenuates it, sends it over the wire and authorizes
// it, then compares the decision with what the case expects. The command
// `codios test` and the library's own Go test call [Run].
//
// # The format
//
// A test file is named *_test.txt and sits beside the policies it tests.
// It is read line by line; '#' starts a comment line, blank lines and
// indentation do not matter (indent for the reader). An example (the
// file testdata/pass/pass_test.txt):
//
//	# Every case passes.
//	authorizer inline allow if user($u), right($u, $op), operation($op);
//	time 2029-01-01T00:00:00Z
//
//	case "alice reads"
//	  authority file=../authority.datalog
//	    param user = "alice"
//	    param expires = 2030-01-01T00:00:00Z
//	  fact operation("read")
//	  expect allow policy 0
//
//	case "alice writes through a read-only token"
//	  authority file=../authority.datalog
//	    param user = "alice"
//	    param expires = 2030-01-01T00:00:00Z
//	  block file=../read_only.datalog
//	  fact operation("write")
//	  expect deny policy 0
//	  expect fail block 1 check 0
//
// Lines before the first case are the file's defaults; a case may
// override each of them:
//
//   - authorizer SOURCE: the service's policy.
//   - authority SOURCE: the authority block, signed by the file's root key.
//   - time RFC3339: the request's time, given as the fact time(t); time
//     none gives no time fact, as when no time is set.
//   - depth-fact NAME: the runner adds the fact NAME(n) to every request,
//     n being the number of blocks after the authority in the token it
//     received, as a service computes it from [token.Token.Blocks]. No
//     block of a token can state its own depth in a way that others must
//     trust, so the depth comes from the verifier.
//
// A case starts with case "NAME" and then lists, in any order, what it
// overrides of the defaults and:
//
//   - block SOURCE: an attenuation block, appended in the order written.
//   - third-party KEY SOURCE: a third-party block signed by the named key.
//   - fact FACT: a request fact, in Datalog.
//   - expect allow, expect allow policy N, expect deny,
//     expect deny policy N, expect deny policy none: the decision and,
//     when given, the index of the policy that matched. Exactly one.
//   - expect fail block N check M, expect fail authorizer check M: a check
//     that must fail. When a case lists any, the checks that fail must be
//     exactly those; expect fail none says that none fails. A case that
//     expects allow expects no failed check.
//
// A SOURCE is file=PATH, relative to the test file, or inline followed by
// Datalog on the rest of the line. Each source may be followed by lines
// param NAME = VALUE binding its {NAME} parameters: VALUE is a Datalog
// term ("alice", 3, 2030-01-01T00:00:00Z, {"read", "write"}) or key KEY,
// the public key of a named key, for trusting {NAME} clauses.
//
// An authorizer or an authority block may be given in parts, one line
// each (a service policy after a guard, an issuer's template and a guard):
// the parts are joined into one program in the order written, and checks
// and policies are numbered across the parts in that order.
//
// # Keys
//
// Keys are generated afresh each run: one root key per file, and one key
// per name that the file mentions (third-party KEY, param ... = key KEY),
// the same key for every case of the file.
//
// # What a case exercises
//
// The runner mints the authority block with [token.New], appends blocks
// with [token.Token.Append] and third-party blocks through
// [token.Token.ThirdPartyRequest], [token.ThirdPartyRequest.Sign] and
// [token.Token.AppendThirdParty], serializes the token and parses it back
// with the root public key, and authorizes it with [token.Authorizer]:
// the path a real token takes.
//
// # Output
//
// [Run] prints PASS NAME or FAIL NAME for each case. Under a failure it
// prints where the case is and a diff of the decision: lines starting
// with '-' were expected and did not happen, lines with '+' happened and
// were not expected, other lines agree. The last line is
// "N passed, M failed". Had the second case above expected allow:
//
//	FAIL alice writes through a read-only token
//	    testdata/pass/pass_test.txt:12 (- expected, + got)
//	    - allow
//	    + deny policy 0  // allow if user($u), right($u, $op), operation($op)
//	    + fail block 1 check 0  // check if operation("read")
//
// A file that cannot be read or parsed, including
// its Datalog, is an error with file:line:col, and no case runs.
package policytest
