package sdk_test

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/sdk"
	"github.com/codios/codios/token"
)

// The corpus's case files are made here by go test ./sdk -run TestCorpus
// -mint: tokens carry fresh random keys, so they are stored, not re-made
// on every run. The verdicts are the engine's, recorded by -mint or, from
// the stored case files, -update, and reviewed in the diff; each step also
// says by hand which outcome and status it must have.

// corpusTime is every corpus request's time.
var corpusTime = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// corpusPolicy is the reports service's policy in the corpus.
const corpusPolicy = `// The reports service: a token's rights are path prefixes and operations.
allow if right($prefix, $ops), resource($r), $r.starts_with($prefix),
         operation($op), $ops.contains($op);
`

// tenantPolicy wants the tenant the host maps the request to.
const tenantPolicy = `allow if tenant($t), member({tenant}), operation("read");
check if tenant($t), member($t);
`

type (
	obj = map[string]any
	arr = []any
)

// corpusTokens mints the tokens of the corpus.
type corpusTokens struct {
	t                             testing.TB
	root, other                   *token.PrivateKey
	planner, research, summarizer string
	expired, lateByTen            string
	wrongRoot, tampered, tooMany  string
	plainAttenuated, withKeyID2   string
	explosive                     string
	researchRevocation            string
	plannerAgent, researchAgent   *sdk.Agent
	summarizerAgent, analystAgent *sdk.Agent
	keyID2                        *token.PrivateKey
}

func mintCorpusTokens(t testing.TB) *corpusTokens {
	ct := &corpusTokens{t: t}
	ct.root = ct.key()
	ct.other = ct.key()
	ct.keyID2 = ct.key()
	ct.plannerAgent = ct.agent("planner")
	ct.researchAgent = ct.agent("research")
	ct.summarizerAgent = ct.agent("summarizer")
	ct.analystAgent = ct.agent("analyst")
	issued := corpusTime.Add(-time.Minute)

	grant := sdk.Grant{Source: `right("/reports/", {"read", "write"});`, TTL: time.Hour, Now: issued}
	ct.planner = ct.receive(ct.plannerAgent, ct.must(sdk.Issue(ct.root, ct.plannerAgent.Identity(), grant)))
	ct.research = ct.receive(ct.researchAgent, ct.must(ct.plannerAgent.Delegate(sdk.Delegation{
		To:     ct.researchAgent.Identity(),
		Checks: `check if operation("read"), resource($r), $r.starts_with({prefix});`,
		Params: datalog.Params{"prefix": datalog.String("/reports/q3/")},
		TTL:    10 * time.Minute,
		Now:    issued,
	})))
	ct.summarizer = ct.receive(ct.summarizerAgent, ct.must(ct.researchAgent.Delegate(sdk.Delegation{
		To:     ct.summarizerAgent.Identity(),
		Checks: `check if resource("/reports/q3/summary.txt");`,
		TTL:    5 * time.Minute,
		Budget: &sdk.Budget{Calls: 2, Period: time.Minute},
		Now:    issued,
	})))

	old := sdk.Grant{Source: grant.Source, TTL: time.Hour, Now: corpusTime.Add(-2 * time.Hour)}
	ct.expired = ct.text(ct.must(sdk.Issue(ct.root, ct.analystAgent.Identity(), old)))
	late := sdk.Grant{Source: grant.Source, TTL: time.Hour, Now: corpusTime.Add(-time.Hour - 10*time.Second)}
	ct.lateByTen = ct.text(ct.must(sdk.Issue(ct.root, ct.analystAgent.Identity(), late)))
	ct.wrongRoot = ct.text(ct.must(sdk.Issue(ct.other, ct.analystAgent.Identity(), grant)))
	id2 := uint32(2)
	withID := grant
	withID.RootKeyID = &id2
	ct.withKeyID2 = ct.text(ct.must(sdk.Issue(ct.keyID2, ct.analystAgent.Identity(), withID)))

	// The planner's token with its last signature's first byte flipped.
	raw := ct.decode(ct.planner)
	raw[len(raw)-70] ^= 0x01
	ct.tampered = base64.URLEncoding.EncodeToString(raw)

	tok := ct.verified(ct.planner)
	attenuated, err := tok.Append(ct.block(`check if operation("read");`), nil)
	if err != nil {
		t.Fatal(err)
	}
	ct.plainAttenuated = ct.text(attenuated.Serialize())
	big := tok
	for len(big.Blocks()) < 5 {
		if big, err = big.Append(ct.block(`check if true;`), nil); err != nil {
			t.Fatal(err)
		}
	}
	ct.tooMany = ct.text(big.Serialize())

	var explosive strings.Builder
	for i := range 40 {
		fmt.Fprintf(&explosive, "n(%d);\n", i)
	}
	explosive.WriteString("triple($x, $y, $z) <- n($x), n($y), n($z);\n")
	exp, err := tok.Append(ct.block(explosive.String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	ct.explosive = ct.text(exp.Serialize())

	ct.researchRevocation = hex.EncodeToString(ct.verified(ct.research).Blocks()[1].RevocationID)
	return ct
}

func (ct *corpusTokens) key() *token.PrivateKey {
	k, err := token.GenerateKey(token.Ed25519, nil)
	if err != nil {
		ct.t.Fatal(err)
	}
	return k
}

func (ct *corpusTokens) agent(name string) *sdk.Agent {
	a, err := sdk.NewAgent(name, nil)
	if err != nil {
		ct.t.Fatal(err)
	}
	return a
}

func (ct *corpusTokens) must(data []byte, err error) []byte {
	ct.t.Helper()
	if err != nil {
		ct.t.Fatal(err)
	}
	return data
}

func (ct *corpusTokens) receive(a *sdk.Agent, data []byte) string {
	ct.t.Helper()
	if err := a.Receive(data); err != nil {
		ct.t.Fatal(err)
	}
	return ct.text(data)
}

func (ct *corpusTokens) text(data []byte) string { return base64.URLEncoding.EncodeToString(data) }

func (ct *corpusTokens) decode(text string) []byte {
	data, err := token.DecodeText(text, nil)
	if err != nil {
		ct.t.Fatal(err)
	}
	return data
}

func (ct *corpusTokens) verified(text string) *token.Token {
	tok, err := token.ParseText(text, ct.root.Public(), nil)
	if err != nil {
		ct.t.Fatal(err)
	}
	return tok
}

func (ct *corpusTokens) block(src string) *datalog.Program {
	p, err := datalog.ParseBlock(src, nil)
	if err != nil {
		ct.t.Fatal(err)
	}
	return p
}

// corpusCases are the corpus: every outcome and status, third-party
// blocks, budgets, revocation, expiry, bad headers, limits.
func corpusCases(ct *corpusTokens) []obj {
	root := ct.root.Public().String()
	guard := func(extra obj) obj {
		g := obj{
			"service":   "reports",
			"root_keys": arr{obj{"key": root}},
			"policy":    corpusPolicy,
			"audit":     obj{"host": true},
		}
		for k, v := range extra {
			g[k] = v
		}
		return g
	}
	bearer := func(text string) arr { return arr{"Bearer " + text} }
	req := func(auth arr, method, path string, extra obj) obj {
		r := obj{"request_id": "", "method": method, "path": path, "host": "reports.local",
			"time": corpusTime.Format(time.RFC3339)}
		if auth != nil {
			r["authorization"] = auth
		}
		for k, v := range extra {
			r[k] = v
		}
		return r
	}
	step := func(r obj, outcome string, status int) obj {
		return obj{"request": r, "expect": obj{"outcome": outcome, "status": status}}
	}
	cases := []obj{
		{"name": "allow-delegation-chain", "about": "each agent of a three-hop chain reads what its block allows; the chain and signers are in the audit record",
			"guard": guard(nil), "steps": arr{
				step(req(bearer(ct.planner), "POST", "/reports/q4/plan.txt", nil), "allow", 200),
				step(req(bearer(ct.research), "GET", "/reports/q3/data.csv", nil), "allow", 200),
				step(req(bearer(ct.summarizer), "GET", "/reports/q3/summary.txt", nil), "allow", 200),
			}},
		{"name": "deny-narrowed-block", "about": "a delegation block's check fails: the record names the block and the agent that wrote it",
			"guard": guard(nil), "steps": arr{
				step(req(bearer(ct.research), "PUT", "/reports/q3/data.csv", nil), "deny", 403),
				step(req(bearer(ct.summarizer), "GET", "/reports/q3/data.csv", nil), "deny", 403),
				step(req(bearer(ct.plainAttenuated), "DELETE", "/reports/q4/plan.txt", nil), "deny", 403),
			}},
		{"name": "deny-exposed-checks", "about": "with expose_failed_checks the body lists the failed checks",
			"guard": guard(obj{"expose_failed_checks": true}), "steps": arr{
				step(req(bearer(ct.research), "GET", "/reports/q4/plan.txt", nil), "deny", 403),
			}},
		{"name": "deny-no-policy-matches", "about": "no allow policy matches the request",
			"guard": guard(nil), "steps": arr{
				step(req(bearer(ct.planner), "GET", "/admin/users", nil), "deny", 403),
			}},
		{"name": "expired", "about": "an expired token is denied with reason expired; within the leeway it is allowed",
			"guard": guard(nil), "steps": arr{
				step(req(bearer(ct.expired), "GET", "/reports/q3/a.txt", nil), "deny", 403),
				step(req(bearer(ct.lateByTen), "GET", "/reports/q3/a.txt", nil), "deny", 403),
			}},
		{"name": "expired-within-leeway", "about": "a token expired ten seconds ago passes a thirty-second leeway",
			"guard": guard(obj{"leeway": "30s"}), "steps": arr{
				step(req(bearer(ct.lateByTen), "GET", "/reports/q3/a.txt", nil), "allow", 200),
			}},
		{"name": "invalid-headers", "about": "missing, foreign-scheme, empty, doubled and garbled Authorization headers",
			"guard": guard(nil), "steps": arr{
				step(req(nil, "GET", "/reports/q3/a.txt", nil), "invalid", 401),
				step(req(arr{"Basic dXNlcjpwYXNz"}, "GET", "/reports/q3/a.txt", nil), "invalid", 401),
				step(req(arr{"Bearer "}, "GET", "/reports/q3/a.txt", nil), "invalid", 401),
				step(req(arr{"Bearer " + ct.planner, "Bearer " + ct.research}, "GET", "/reports/q3/a.txt", nil), "invalid", 401),
				step(req(arr{"Bearer !!not-base64!!"}, "GET", "/reports/q3/a.txt", nil), "invalid", 401),
				step(req(arr{"Bearer " + ct.planner[:len(ct.planner)/2]}, "GET", "/reports/q3/a.txt", nil), "invalid", 401),
			}},
		{"name": "invalid-tokens", "about": "a token of another root key, a tampered signature",
			"guard": guard(nil), "steps": arr{
				step(req(bearer(ct.wrongRoot), "GET", "/reports/q3/a.txt", nil), "invalid", 401),
				step(req(bearer(ct.tampered), "GET", "/reports/q3/a.txt", nil), "invalid", 401),
			}},
		{"name": "too-many-blocks", "about": "a guard that takes at most four blocks refuses a token of five",
			"guard": guard(obj{"limits": obj{"max_blocks": 4}}), "steps": arr{
				step(req(bearer(ct.plainAttenuated), "GET", "/reports/q3/a.txt", nil), "allow", 200),
				step(req(bearer(ct.tooMany), "GET", "/reports/q3/a.txt", nil), "invalid", 401),
			}},
		{"name": "oversized-token", "about": "a token over the service's byte limit is refused before it is decoded",
			"guard": guard(obj{"limits": obj{"max_token_bytes": len(ct.decode(ct.planner))}}), "steps": arr{
				step(req(bearer(ct.planner), "GET", "/reports/q3/a.txt", nil), "allow", 200),
				step(req(bearer(ct.research), "GET", "/reports/q3/a.txt", nil), "invalid", 401),
			}},
		{"name": "key-rotation", "about": "a key set with ids: the token names its root key, the record says which; a token naming none is refused",
			"guard": guard(obj{"root_keys": arr{obj{"key": root, "id": 1}, obj{"key": ct.keyID2.Public().String(), "id": 2}}}), "steps": arr{
				step(req(bearer(ct.withKeyID2), "GET", "/reports/q3/a.txt", nil), "allow", 200),
				step(req(bearer(ct.planner), "GET", "/reports/q3/a.txt", nil), "invalid", 401),
			}},
		{"name": "revoked", "about": "revoking research's delegation cuts off research and the summarizer, not the planner",
			"guard": guard(obj{"revocations": obj{"ids": arr{ct.researchRevocation}}}), "steps": arr{
				step(req(bearer(ct.research), "GET", "/reports/q3/data.csv", nil), "revoked", 403),
				step(req(bearer(ct.summarizer), "GET", "/reports/q3/summary.txt", nil), "revoked", 403),
				step(req(bearer(ct.planner), "GET", "/reports/q3/data.csv", nil), "allow", 200),
			}},
		{"name": "over-budget", "about": "the summarizer's block allows two calls a minute; the third waits",
			"guard": guard(nil), "steps": arr{
				step(req(bearer(ct.summarizer), "GET", "/reports/q3/summary.txt", nil), "allow", 200),
				step(req(bearer(ct.summarizer), "GET", "/reports/q3/summary.txt", nil), "allow", 200),
				step(req(bearer(ct.summarizer), "GET", "/reports/q3/summary.txt", nil), "over_budget", 429),
				step(req(bearer(ct.research), "GET", "/reports/q3/summary.txt", nil), "allow", 200),
			}},
		{"name": "bad-requests", "about": "a method with no operation, a path that is not clean, a request the host could not map",
			"guard": guard(nil), "steps": arr{
				step(req(bearer(ct.planner), "TRACE", "/reports/q3/a.txt", nil), "bad_request", 400),
				step(req(bearer(ct.planner), "GET", "/reports/q3/../../admin", nil), "bad_request", 400),
				step(req(bearer(ct.planner), "GET", "/reports//q3", nil), "bad_request", 400),
				step(req(bearer(ct.planner), "POST", "/rpc", obj{"map_error": "unknown RPC method \"Drop\""}), "bad_request", 400),
				step(req(nil, "TRACE", "/reports/q3/a.txt", nil), "invalid", 401),
			}},
		{"name": "host-action-and-facts", "about": "the host maps the request itself and adds facts the policy reads",
			"guard": guard(obj{"policy": tenantPolicy, "params": obj{"tenant": "acme"}}), "steps": arr{
				step(req(bearer(ct.planner), "POST", "/rpc", obj{"operation": "read", "resource": "reports", "facts": arr{`tenant("acme")`, `member("acme")`}}), "allow", 200),
				step(req(bearer(ct.planner), "POST", "/rpc", obj{"operation": "read", "resource": "reports", "facts": arr{`tenant("globex")`, `member("acme")`}}), "deny", 403),
				step(req(bearer(ct.planner), "POST", "/rpc", obj{"operation": "write", "resource": "reports", "facts": arr{`tenant("acme")`, `member("acme")`}}), "deny", 403),
			}},
		{"name": "evaluation-limit", "about": "a block that makes the evaluation exceed its limits is the token's fault: 403, not 503",
			"guard": guard(nil), "steps": arr{
				step(req(bearer(ct.explosive), "GET", "/reports/q3/a.txt", nil), "error", 403),
			}},
		{"name": "audit-unwritable", "about": "an audit record that cannot be written fails closed: 503, and the handler does not run",
			"guard": guard(obj{"audit": obj{"file": "/dev/full"}}), "steps": arr{
				step(req(bearer(ct.planner), "GET", "/reports/q3/a.txt", nil), "error", 503),
			}},
		{"name": "request-ids", "about": "a plain X-Request-Id is kept in the headers, the body and the record",
			"guard": guard(nil), "steps": arr{
				step(req(bearer(ct.planner), "GET", "/reports/q3/a.txt", obj{"request_id": "call-7f3a"}), "allow", 200),
				step(req(bearer(ct.research), "DELETE", "/reports/q3/a.txt", obj{"request_id": "call-7f3b"}), "deny", 403),
			}},
	}
	for i, c := range cases {
		for j, s := range c["steps"].(arr) {
			r := s.(obj)["request"].(obj)
			if r["request_id"] == "" {
				r["request_id"] = fmt.Sprintf("%s-%d", c["name"], j+1)
			}
		}
		cases[i] = c
	}
	return cases
}
