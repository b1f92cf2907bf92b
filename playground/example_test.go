package playground_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/codios/codios/playground"
)

// The playground is an http.Handler: serve it, on loopback, and call its
// API as the page does. A source with a syntax error gets its line and
// column.
func ExampleNew() {
	h, err := playground.New(&playground.Options{PoliciesDir: "../policies"})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	src := `{"kind": "block", "source": "right(\"/reports\", \"read\");\ncheck if operation(\"read\";"}`
	resp, err := http.Post(srv.URL+"/api/parse", "application/json", strings.NewReader(src))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(resp.Status, "\n", string(body))
	// Output:
	// 200 OK
	// {"diagnostics":[{"line":2,"col":26,"message":"expected ',' or ')' in the terms of operation, found ';'"}]}
}
