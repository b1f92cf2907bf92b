// Package sdk puts Codios tokens to work between agents and services: a
// guard that authorizes every call a service receives, whatever carries
// it, and an agent client that delegates narrower tokens offline. It
// knows nothing of any transport: package sdk/nethttp puts the guard in
// front of a net/http handler and the agent's token in an http.Client,
// and the C ABI (sdk/cabi) and the WebAssembly build (sdk/wasm) carry it
// to Python and TypeScript.
//
// # Services
//
// [NewGuard] takes a [Config]: the service's name, its root keys (a
// token.KeySet lets keys rotate), its policy, compiled once by the service
// ([LoadPolicy] or token.ParseAuthorizer), and its audit sink. For each
// request [Guard.Check] takes the token from the Authorization values
// (Bearer), verifies it (through a token.Cache, so a repeated token costs
// only its Datalog), refuses it if a block is revoked, gives the policy
// the request's facts and authorizes:
//
//	time(now - leeway)  method("GET")  path("/reports/q3/a.txt")
//	host("...")  service("reports")  delegation_depth(2)
//	operation("read")  resource("/reports/q3/a.txt")   (the request's Action)
//
// then counts the call against every budget of the chain. The [Verdict]
// says how to answer: 401 with WWW-Authenticate: Bearer
// error="invalid_token" for a missing or invalid token, 403 for a denial
// (reason "denied") or a revoked block (reason "revoked"), 429 with
// Retry-After for a spent budget, 400 for a path that is not clean or a
// request the host could not map, 503 when the revocation list is too
// old, the audit record cannot be written, or the evaluation ran out of
// its wall-clock backstop, [datalog.ErrTimeLimit] (with Retry-After: on a
// busy server that is load, not the token's fault; other evaluation
// limits, the step limit first, and errors are the token's, and answer
// 403). The body is a small JSON object; the failed checks are in it
// only with Config.ExposeFailedChecks, since they tell a caller what the
// policy wants. An allowed request's [Authorization] holds the decision,
// and can query the token's world.
//
// # One guard for every host
//
// A host describes the request ([GuardRequest]: the Authorization
// values, the request id, method, path, host, and the mapped [Action])
// and copies the verdict onto its response: the outcome, status, headers,
// JSON body and audit record. The net/http middleware (sdk/nethttp), the
// C ABI and the WebAssembly build, through which the Python and
// TypeScript SDKs reach this engine, call the same guard, so every
// language gives the same verdict and the same audit record for the same
// request; the corpus in sdk/testdata/corpus holds them to it. A service
// on another transport (a queue, an MCP server) calls [Guard.Check]
// itself.
//
// The package imports no transport, net/http least of all: the
// WebAssembly build links this package, and net/http would bring TLS,
// X.509 and the network stack into a module that must stay small (issue
// 13). The Go API is the same on every platform.
//
// # Agents
//
// An [Agent] is one agent instance: a name, an Ed25519 key pair made when
// it starts, and the token it holds. [Issue] mints an agent's token (the
// issuer's side). [Agent.Delegate] hands another agent a narrower token:
// it appends a block that names the receiver and its key, a shorter
// expiry, an optional budget and the restricting checks, signed as a
// third-party block with the delegating agent's own key. So every hop is
// signed by the agent that narrowed the token, and the previous block
// says whose key that is: the chain reads as who delegated to whom.
// [Agent.Token] is the token to send with every call, and
// [Agent.CallToken] narrows it to one call's method and path for a few
// seconds; nethttp.Transport sends either from an http.Client.
//
// The delegation vocabulary, read from each block's own facts:
//
//	agent("research");                   the agent the block hands the token to
//	agent_key("ed25519/...");            that agent's public key
//	budget(5, "1m");                     at most 5 calls a minute
//
// These facts name and count; they grant nothing. Facts of an attenuation
// block are trusted by no other block, so a block cannot widen the token
// by declaring them. Since anyone holding a token can append a block, a
// name counts only from a block whose author the chain establishes: the
// authority block, or a third-party block signed by a key that such a
// block named. Budgets count from every block: they only restrict.
//
// # Audit
//
// Every decision writes one [AuditRecord] to the [AuditSink] the service
// gives: a file of JSON lines ([OpenAuditFile]), any io.Writer
// ([NewAuditWriter]), or its own. It holds the outcome, the matched policy,
// the failed checks with the agent whose block failed, the latency, and
// the delegation chain: each block's index, revocation id, signer and the
// agent it names. [ReadAudit] reads a log back; "codios audit" prints it
// as delegation trees.
//
// # Revocation
//
// [Revocations] says whether a block's revocation id is revoked;
// [RevocationFile] is a file of hex ids, reloaded when it changes, that
// fails closed once older than its maximum age. Revoking a delegation
// block cuts off that agent and everyone downstream, while the tokens
// before it keep working.
//
// # Budgets
//
// A block may declare budget(calls, "period"). Its count is keyed by the
// block's revocation id, so it is shared by every token derived from the
// block: a child can add a tighter budget, never escape its parent's.
// A token declares at most [MaxTokenBudgets]; more make it invalid.
// [MemoryBudgets] counts in a sliding window in memory, bounded in keys
// and in bytes, failing closed when full; a store shared between
// instances implements [BudgetStore].
package sdk
