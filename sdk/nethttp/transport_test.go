package nethttp

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/codios/codios/sdk"
)

// TestTransport runs a real server on loopback: the agent's client sends
// its token, and per-call tokens work for their call only.
func TestTransport(t *testing.T) {
	f := newFixture(t, sdk.Config{})
	var seen []string
	srv := httptest.NewServer(f.mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		io.WriteString(w, FromContext(r.Context()).Agent())
	})))
	defer srv.Close()
	get := func(c *http.Client, method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	plain := &http.Client{Transport: Transport(f.research, nil)}
	if code, body := get(plain, "GET", "/reports/q3/a.csv"); code != 200 || body != "research" {
		t.Fatalf("plain transport: %d %q", code, body)
	}
	perCall := &http.Client{Transport: Transport(f.research, &TransportOptions{PerCall: true, CallTTL: 10 * time.Second, Now: f.clock})}
	if code, _ := get(perCall, "GET", "/reports/q3/b.csv"); code != 200 {
		t.Fatalf("per-call transport: %d", code)
	}
	leaked := seen[len(seen)-1]
	if leaked == seen[0] {
		t.Fatal("per-call transport sent the agent's own token")
	}
	// The leaked per-call token is worth that one request, for seconds.
	if w := f.send("GET", "/reports/q3/b.csv", leaked); w.Code != 200 {
		t.Errorf("leaked token, same call: %d, want 200", w.Code)
	}
	if w := f.send("GET", "/reports/q3/a.csv", leaked); w.Code != 403 {
		t.Errorf("leaked token, other path: %d, want 403", w.Code)
	}
	if w := f.send("HEAD", "/reports/q3/b.csv", leaked); w.Code != 403 {
		t.Errorf("leaked token, other method: %d, want 403", w.Code)
	}
	f.advance(11 * time.Second)
	if w := f.send("GET", "/reports/q3/b.csv", leaked); w.Code != 403 {
		t.Errorf("leaked token, expired: %d, want 403", w.Code)
	}
	// The agent's own token is untouched by per-call narrowing.
	if code, _ := get(plain, "GET", "/reports/q3/c.csv"); code != 200 {
		t.Errorf("agent's token after per-call use: %d", code)
	}
	noToken := &http.Client{Transport: Transport(newAgent(t, "nobody"), nil)}
	if _, err := noToken.Get(srv.URL + "/reports/q3/a.csv"); !errors.Is(err, sdk.ErrNoTokenHeld) {
		t.Errorf("agent without a token: %v, want ErrNoTokenHeld", err)
	}
}
