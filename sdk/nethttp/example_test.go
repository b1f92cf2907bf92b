package nethttp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/codios/codios/sdk"
	"github.com/codios/codios/sdk/nethttp"
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
	mw, err := nethttp.NewMiddleware(sdk.Config{
		Service:  "reports",
		RootKeys: root.Public(),
		Policy:   policy,
		Audit:    sdk.NewAuditWriter(io.Discard), // os.Stdout, or sdk.OpenAuditFile
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	handler := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello, %s", nethttp.FromContext(r.Context()).Agent())
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

// An agent's client sends its token with every call; PerCall narrows it
// to each call's method and path, for seconds.
func ExampleTransport() {
	root, _ := token.GenerateKey(token.Ed25519, nil)
	agent, _ := sdk.NewAgent("research", nil)
	data, _ := sdk.Issue(root, agent.Identity(), sdk.Grant{Source: `right("/reports/", {"read"});`, TTL: time.Hour})
	agent.Receive(data)

	// A service that shows what arrives.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := token.ParseText(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), root.Public(), nil)
		if err != nil {
			http.Error(w, err.Error(), 401)
			return
		}
		fmt.Fprintf(w, "%d blocks", len(tok.Blocks()))
	}))
	defer srv.Close()

	for _, perCall := range []bool{false, true} {
		client := &http.Client{Transport: nethttp.Transport(agent, &nethttp.TransportOptions{PerCall: perCall})}
		resp, err := client.Get(srv.URL + "/reports/q3/summary.txt")
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("per call %v: %s\n", perCall, body)
	}
	// Output:
	// per call false: 1 blocks
	// per call true: 2 blocks
}
