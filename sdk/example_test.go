package sdk_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/codios/codios/sdk"
	"github.com/codios/codios/token"
)

// A service puts the middleware in front of its handler: every request
// is verified, authorized and audited before the handler runs.
func ExampleMiddleware() {
	root, _ := token.GenerateKey(token.Ed25519, nil) // the issuer's; the service has the public half

	policy, err := token.ParseAuthorizer(`allow if right($prefix, $ops), resource($r), $r.starts_with($prefix),
	                                               operation($op), $ops.contains($op);`, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	mw, err := sdk.NewMiddleware(sdk.Config{
		Service:  "reports",
		RootKeys: root.Public(),
		Policy:   policy,
		Audit:    sdk.NewAuditWriter(io.Discard), // os.Stdout, or sdk.OpenAuditFile
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	handler := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello, %s", sdk.FromContext(r.Context()).Agent())
	}))

	// An agent's call, with a token the issuer minted for it.
	agent, _ := sdk.NewAgent("planner", nil)
	data, _ := sdk.Issue(root, agent.Identity(), sdk.Grant{Source: `right("/reports/", {"read"});`, TTL: time.Hour})
	agent.Receive(data)
	for _, method := range []string{"GET", "PUT"} {
		text, _ := agent.Token()
		r := httptest.NewRequest(method, "/reports/q3", nil)
		r.Header.Set("Authorization", "Bearer "+text)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Println(method, w.Code)
	}
	// Output:
	// GET 200
	// PUT 403
}

// An agent delegates a narrower token to another, offline, and calls a
// service with its token on every request.
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
	client := &http.Client{Transport: research.Transport(&sdk.TransportOptions{PerCall: true})}
	_ = client // client.Get("http://reports.internal/reports/q3/summary.txt")

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
