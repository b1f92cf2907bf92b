package sdk_test

import (
	"fmt"
	"time"

	"github.com/codios/codios/sdk"
	"github.com/codios/codios/token"
)

// An agent delegates a narrower token to another, offline.
func ExampleAgent_Delegate() {
	root, _ := token.GenerateKey(token.Ed25519, nil)
	planner, _ := sdk.NewAgent("planner", nil)
	research, _ := sdk.NewAgent("research", nil)
	data, _ := sdk.Issue(root, planner.Identity(), sdk.Grant{Source: `right("/reports/", {"read", "write"});`, TTL: time.Hour})
	if err := planner.Receive(data); err != nil {
		fmt.Println(err)
		return
	}

	delegated, err := planner.Delegate(sdk.Delegation{
		To:     research.Identity(),
		Checks: `check if operation("read"), resource($r), $r.starts_with("/reports/q3/");`,
		TTL:    10 * time.Minute,
		Budget: &sdk.Budget{Calls: 100, Period: time.Minute},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := research.Receive(delegated); err != nil { // sent to the research agent
		fmt.Println(err)
		return
	}
	// research.Token() now goes in its calls' Authorization headers;
	// nethttp.Transport sends it from an http.Client.

	tok, _ := token.Parse(delegated, root.Public(), nil)
	hop := tok.Blocks()[1]
	fmt.Println(len(tok.Blocks()), "blocks; block 1 signed by the planner:", hop.ExternalKey.Equal(planner.Identity().Key))
	for _, f := range hop.Program.Facts {
		if f.Name != "agent_key" {
			fmt.Println(f)
		}
	}
	fmt.Println(hop.Program.Checks[0])
	// Output:
	// 2 blocks; block 1 signed by the planner: true
	// agent("research")
	// budget(100, "1m")
	// check if operation("read"), resource($r), $r.starts_with("/reports/q3/")
}
