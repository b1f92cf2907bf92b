package sdk

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// The guard's own tests decide through the Guard; sdk/nethttp runs the
// same delegation chain through the net/http middleware.

// reportsPolicy is the reports service's policy in the tests.
const reportsPolicy = `
allow if right($prefix, $ops), resource($r), $r.starts_with($prefix),
         operation($op), $ops.contains($op);
`

// grantSource is what the issuer gives the planner.
const grantSource = `right("/reports/", {"read", "write"});`

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// fixture is an issuer, three agents holding a delegation chain, and a
// service's guard.
type fixture struct {
	root                          *token.PrivateKey
	planner, research, summarizer *Agent
	audit                         *memoryAudit
	guard                         *Guard
	now                           time.Time
	mu                            sync.Mutex
}

type memoryAudit struct {
	mu   sync.Mutex
	recs []AuditRecord
}

func (m *memoryAudit) Audit(_ context.Context, rec *AuditRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, *rec)
	return nil
}

func (m *memoryAudit) last(t testing.TB) AuditRecord {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.recs) == 0 {
		t.Fatal("no audit record")
	}
	return m.recs[len(m.recs)-1]
}

// allowRecords counts the allow records of an audit.
func (m *memoryAudit) allowRecords() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, rec := range m.recs {
		if rec.Outcome == OutcomeAllow {
			n++
		}
	}
	return n
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func newAgent(t testing.TB, name string) *Agent {
	t.Helper()
	a, err := NewAgent(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// newFixture mints the planner's token, delegates read-only /reports/q3
// to research, and one document with a budget of 5 calls a minute to the
// summarizer.
func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	root, err := token.GenerateKey(token.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{root: root, now: testNow, audit: &memoryAudit{}}
	f.planner = newAgent(t, "planner")
	f.research = newAgent(t, "research")
	f.summarizer = newAgent(t, "summarizer")
	data, err := Issue(root, f.planner.Identity(), Grant{Source: grantSource, TTL: time.Hour, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.planner.Receive(data); err != nil {
		t.Fatal(err)
	}
	data, err = f.planner.Delegate(Delegation{
		To:     f.research.Identity(),
		Checks: `check if operation("read"), resource($r), $r.starts_with({prefix});`,
		Params: datalog.Params{"prefix": datalog.String("/reports/q3/")},
		TTL:    10 * time.Minute,
		Now:    testNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.research.Receive(data); err != nil {
		t.Fatal(err)
	}
	data, err = f.research.Delegate(Delegation{
		To:     f.summarizer.Identity(),
		Checks: `check if resource("/reports/q3/summary.txt");`,
		TTL:    time.Minute,
		Budget: &Budget{Calls: 5, Period: time.Minute},
		Now:    testNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.summarizer.Receive(data); err != nil {
		t.Fatal(err)
	}
	if cfg.Service == "" {
		cfg.Service = "reports"
	}
	if cfg.RootKeys == nil {
		cfg.RootKeys = root.Public()
	}
	if cfg.Policy == nil {
		if cfg.Policy, err = token.ParseAuthorizer(reportsPolicy, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.Audit == nil {
		cfg.Audit = f.audit
	}
	cfg.Now = f.clock
	f.guard, err = NewGuard(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustToken(t testing.TB, a *Agent) string {
	t.Helper()
	text, err := a.Token()
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// do has the guard decide one request with the agent's token.
func (f *fixture) do(t testing.TB, a *Agent, method, path string) Verdict {
	t.Helper()
	text := ""
	if a != nil {
		text = mustToken(t, a)
	}
	return f.send(method, path, text)
}

// send has the guard decide one request with the token text, "" for
// none.
func (f *fixture) send(method, path, text string) Verdict {
	req := GuardRequest{Method: method, Path: path, Host: "reports.local"}
	if text != "" {
		req.Authorization = []string{"Bearer " + text}
	}
	return f.guard.Check(context.Background(), &req)
}

// call decides a GET of the summary with agent a's token, counts in
// served the calls allowed, and returns the status.
func (f *fixture) call(t *testing.T, a *Agent, served *int) int {
	t.Helper()
	v := f.do(t, a, "GET", "/reports/q3/summary.txt")
	if v.Auth != nil {
		*served++
	}
	return v.Status
}

// verified is the token agent a holds, verified with the fixture's root.
func (f *fixture) verified(t *testing.T, a *Agent) *token.Token {
	t.Helper()
	tok, err := token.ParseText(mustToken(t, a), f.root.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
