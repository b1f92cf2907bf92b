package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/sdk"
	"github.com/codios/codios/sdk/nethttp"
	"github.com/codios/codios/token"
)

// reportsPolicy is the reports service's policy: a right on a path
// prefix for a set of operations.
const reportsPolicy = `
allow if right($prefix, $ops), resource($r), $r.starts_with($prefix),
         operation($op), $ops.contains($op);
`

var fixtureNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// delegation is the issue's chain: the issuer mints a token for the
// planner, the planner delegates read-only /reports/q3/ to research,
// research delegates one document with a budget of 2 calls a minute to
// the summarizer. The tokens are written to files in dir.
type delegation struct {
	dir                           string
	root                          *token.PrivateKey
	planner, research, summarizer *sdk.Agent
}

func newDelegation(t *testing.T) *delegation {
	t.Helper()
	d := &delegation{dir: t.TempDir()}
	var err error
	if d.root, err = token.GenerateKey(token.Ed25519, nil); err != nil {
		t.Fatal(err)
	}
	d.planner, d.research, d.summarizer = newSDKAgent(t, "planner"), newSDKAgent(t, "research"), newSDKAgent(t, "summarizer")
	id := uint32(7)
	data, err := sdk.Issue(d.root, d.planner.Identity(), sdk.Grant{
		Source: `right("/reports/", {"read", "write"});`, TTL: time.Hour, RootKeyID: &id, Now: fixtureNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	d.receive(t, d.planner, data)
	data, err = d.planner.Delegate(sdk.Delegation{
		To:     d.research.Identity(),
		Checks: `check if operation("read"), resource($r), $r.starts_with({prefix});`,
		Params: datalog.Params{"prefix": datalog.String("/reports/q3/")},
		TTL:    10 * time.Minute,
		Now:    fixtureNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	d.receive(t, d.research, data)
	data, err = d.research.Delegate(sdk.Delegation{
		To:     d.summarizer.Identity(),
		Checks: `check if resource("/reports/q3/summary.txt");`,
		TTL:    time.Minute,
		Budget: &sdk.Budget{Calls: 2, Period: time.Minute},
		Now:    fixtureNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	d.receive(t, d.summarizer, data)
	return d
}

func newSDKAgent(t *testing.T, name string) *sdk.Agent {
	t.Helper()
	a, err := sdk.NewAgent(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// receive gives the agent its token and writes it to the file named
// after the agent.
func (d *delegation) receive(t *testing.T, a *sdk.Agent, data []byte) {
	t.Helper()
	if err := a.Receive(data); err != nil {
		t.Fatal(err)
	}
	text, err := a.Token()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.tokenFile(a), []byte(text+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (d *delegation) tokenFile(a *sdk.Agent) string { return filepath.Join(d.dir, a.Name()+".token") }

// service is the reports service behind the middleware, with a clock
// that moves a second a call.
type service struct {
	mw  *nethttp.Middleware
	now time.Time
	n   int
}

func newService(t *testing.T, d *delegation, cfg sdk.Config) *service {
	t.Helper()
	s := &service{now: fixtureNow}
	cfg.Service = "reports"
	cfg.RootKeys = d.root.Public()
	cfg.Now = func() time.Time { return s.now }
	var err error
	if cfg.Policy, err = token.ParseAuthorizer(reportsPolicy, nil, nil); err != nil {
		t.Fatal(err)
	}
	if s.mw, err = nethttp.NewMiddleware(cfg, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// call sends one request through the middleware, in this goroutine, with
// the agent's token (none for a nil agent), and checks its status.
func (s *service) call(t *testing.T, a *sdk.Agent, method, path string, status int) {
	t.Helper()
	s.n++
	s.now = s.now.Add(time.Second)
	r := httptest.NewRequest(method, "http://reports.local"+path, nil)
	r.Header.Set("X-Request-Id", fmt.Sprintf("req-%d", s.n))
	name := "(no token)"
	if a != nil {
		name = a.Name()
		text, err := a.Token()
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+text)
	}
	w := httptest.NewRecorder()
	s.mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).ServeHTTP(w, r)
	if w.Code != status {
		t.Fatalf("%s %s %s: status %d, want %d: %s", name, method, path, w.Code, status, w.Body)
	}
}

// runCodios runs the command line in this process and returns its
// standard output, failing the test on any other exit status than want.
func runCodios(t *testing.T, want int, args ...string) string {
	t.Helper()
	var stdout, stderr strings.Builder
	if code := run(args, &stdout, &stderr); code != want {
		t.Fatalf("codios %s: exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, &stdout, &stderr)
	}
	return stdout.String()
}
