package token_test

import (
	"context"
	"fmt"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// An issuer mints a token, an agent narrows it offline, a service checks
// it on every call.
func Example() {
	root, _ := token.GenerateKey(token.Ed25519, nil)

	// The issuer: what the planner agent may do, until 2030.
	authority, _ := datalog.ParseBlock(`
		agent("planner");
		right("/reports/q3", "read");
		right("/reports/q3", "write");
		check if time($t), $t < 2030-01-01T00:00:00Z;
	`, nil)
	tok, _ := token.New(root, authority, nil)

	// The planner delegates read-only access: no key but the token's own.
	readOnly, _ := datalog.ParseBlock(`check if operation("read");`, nil)
	delegated, _ := tok.Append(readOnly, nil)
	bearer := delegated.String()

	// The service: its policy parsed once, every call verified and decided.
	policy, _ := token.ParseAuthorizer(`
		allow if right($r, $op), resource($r), operation($op);
	`, nil, nil)
	for _, op := range []string{"read", "write"} {
		t, err := token.ParseText(bearer, root.Public(), nil)
		if err != nil {
			fmt.Println("401:", err)
			continue
		}
		d, err := policy.Authorize(context.Background(), t, &token.Request{
			Time: time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC),
			Facts: []datalog.Fact{
				datalog.NewFact("resource", datalog.String("/reports/q3")),
				datalog.NewFact("operation", datalog.String(op)),
			},
		})
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("%s: allowed %v", op, d.Allowed)
		for _, c := range d.FailedChecks {
			fmt.Printf(", %s failed: %s", c.Block, c.Check)
		}
		fmt.Println()
	}
	// Output:
	// read: allowed true
	// write: allowed false, block 1 failed: check if operation("read")
}

// A third party vouches for a fact with a block it signs, without seeing
// the token; the service trusts that block through the third party's key.
func ExampleThirdPartyRequest_Sign() {
	root, _ := token.GenerateKey(token.Ed25519, nil)
	approver, _ := token.GenerateKey(token.Ed25519, nil)
	authority, _ := datalog.ParseBlock(`agent("research");`, nil)
	tok, _ := token.New(root, authority, nil)

	req, _ := tok.ThirdPartyRequest() // sent to the approver as bytes
	approval, _ := datalog.ParseBlock(`approved("research");`, nil)
	signed, _ := req.Sign(approver, approval) // sent back
	tok, _ = tok.AppendThirdParty(signed, nil)

	policy, _ := token.ParseAuthorizer(`allow if agent($a), approved($a) trusting authority, {approver};`,
		datalog.Params{"approver": approver.Public().Datalog()}, nil)
	d, _ := policy.Authorize(context.Background(), tok, nil)
	fmt.Println("allowed:", d.Allowed)
	// Output:
	// allowed: true
}
