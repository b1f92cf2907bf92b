package nethttp

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/sdk"
	"github.com/codios/codios/token"
)

// reportsPolicy is the reports service's policy in the tests.
const reportsPolicy = `
allow if right($prefix, $ops), resource($r), $r.starts_with($prefix),
         operation($op), $ops.contains($op);
`

// grantSource is what the issuer gives the planner.
const grantSource = `right("/reports/", {"read", "write"});`

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// fixture is an issuer, three agents holding a delegation chain, and a
// service behind the middleware.
type fixture struct {
	root                          *token.PrivateKey
	planner, research, summarizer *sdk.Agent
	audit                         *memoryAudit
	mw                            *Middleware
	now                           time.Time
	mu                            sync.Mutex
}

type memoryAudit struct {
	mu   sync.Mutex
	recs []sdk.AuditRecord
}

func (m *memoryAudit) Audit(_ context.Context, rec *sdk.AuditRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, *rec)
	return nil
}

func (m *memoryAudit) last(t testing.TB) sdk.AuditRecord {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.recs) == 0 {
		t.Fatal("no audit record")
	}
	return m.recs[len(m.recs)-1]
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func newAgent(t testing.TB, name string) *sdk.Agent {
	t.Helper()
	a, err := sdk.NewAgent(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// newFixture mints the planner's token, delegates read-only /reports/q3
// to research, and one document with a budget of 5 calls a minute to the
// summarizer.
func newFixture(t testing.TB, cfg sdk.Config) *fixture {
	t.Helper()
	root, err := token.GenerateKey(token.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{root: root, now: testNow, audit: &memoryAudit{}}
	f.planner = newAgent(t, "planner")
	f.research = newAgent(t, "research")
	f.summarizer = newAgent(t, "summarizer")
	data, err := sdk.Issue(root, f.planner.Identity(), sdk.Grant{Source: grantSource, TTL: time.Hour, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.planner.Receive(data); err != nil {
		t.Fatal(err)
	}
	data, err = f.planner.Delegate(sdk.Delegation{
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
	data, err = f.research.Delegate(sdk.Delegation{
		To:     f.summarizer.Identity(),
		Checks: `check if resource("/reports/q3/summary.txt");`,
		TTL:    time.Minute,
		Budget: &sdk.Budget{Calls: 5, Period: time.Minute},
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
	f.mw, err = NewMiddleware(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// okHandler answers 200 with the presenting agent's name.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	a := FromContext(r.Context())
	if a == nil {
		http.Error(w, "no authorization in context", 500)
		return
	}
	w.Write([]byte(a.Agent()))
})

// do sends one request through the middleware with the agent's token.
func (f *fixture) do(t testing.TB, a *sdk.Agent, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	text := ""
	if a != nil {
		var err error
		if text, err = a.Token(); err != nil {
			t.Fatal(err)
		}
	}
	return f.send(method, path, text)
}

func (f *fixture) send(method, path, text string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://reports.local"+path, nil)
	if text != "" {
		r.Header.Set("Authorization", "Bearer "+text)
	}
	w := httptest.NewRecorder()
	f.mw.Wrap(okHandler).ServeHTTP(w, r)
	return w
}

// errorBody is a refusal's JSON body, as a client reads it.
type errorBody struct {
	Error        string           `json:"error"`
	Reason       string           `json:"reason"`
	RequestID    string           `json:"request_id"`
	Expired      string           `json:"expired"`
	FailedChecks []sdk.AuditCheck `json:"failed_checks"`
}

func decodeBody(t *testing.T, w *httptest.ResponseRecorder) errorBody {
	t.Helper()
	var b errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	return b
}

func TestDelegationChainDecisions(t *testing.T) {
	f := newFixture(t, sdk.Config{})
	tests := []struct {
		agent        *sdk.Agent
		method, path string
		status       int
	}{
		{f.planner, "PUT", "/reports/q4/plan.txt", 200},
		{f.research, "GET", "/reports/q3/data.csv", 200},
		{f.research, "PUT", "/reports/q3/data.csv", 403},
		{f.research, "GET", "/reports/q4/data.csv", 403},
		{f.summarizer, "GET", "/reports/q3/summary.txt", 200},
		{f.summarizer, "PUT", "/reports/q3/summary.txt", 403},
		{f.summarizer, "GET", "/reports/q3/data.csv", 403},
	}
	for _, tt := range tests {
		w := f.do(t, tt.agent, tt.method, tt.path)
		if w.Code != tt.status {
			t.Errorf("%s %s %s: status %d, want %d (%s)", tt.agent.Name(), tt.method, tt.path, w.Code, tt.status, w.Body)
		}
		if w.Code == 200 && w.Body.String() != tt.agent.Name() {
			t.Errorf("%s: handler saw agent %q", tt.agent.Name(), w.Body)
		}
	}
}

func TestDenialNamesTheBlockAndAgent(t *testing.T) {
	f := newFixture(t, sdk.Config{ExposeFailedChecks: true})
	w := f.do(t, f.summarizer, "PUT", "/reports/q3/summary.txt")
	if w.Code != 403 {
		t.Fatalf("status %d", w.Code)
	}
	body := decodeBody(t, w)
	if body.Reason != "denied" || len(body.FailedChecks) != 1 {
		t.Fatalf("body %+v", body)
	}
	fc := body.FailedChecks[0]
	if fc.Block != 1 || fc.Agent != "planner" || !strings.Contains(fc.Source, `operation("read")`) {
		t.Errorf("failed check %+v: want block 1 by planner, the read-only check", fc)
	}
	rec := f.audit.last(t)
	if rec.Outcome != sdk.OutcomeDeny || len(rec.FailedChecks) != 1 || !reflect.DeepEqual(rec.FailedChecks[0], fc) {
		t.Errorf("audit %+v", rec)
	}

	// Without the opt-in the body keeps the policy to itself.
	f2 := newFixture(t, sdk.Config{})
	if b := decodeBody(t, f2.do(t, f2.summarizer, "PUT", "/reports/q3/summary.txt")); len(b.FailedChecks) != 0 {
		t.Errorf("failed checks exposed without opt-in: %+v", b)
	}
}

func TestAuditChain(t *testing.T) {
	f := newFixture(t, sdk.Config{})
	w := f.do(t, f.summarizer, "GET", "/reports/q3/summary.txt")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	rec := f.audit.last(t)
	if rec.Outcome != sdk.OutcomeAllow || rec.Service != "reports" || rec.Method != "GET" ||
		rec.Path != "/reports/q3/summary.txt" || rec.RequestID == "" || rec.Policy == nil || rec.Policy.Index != 0 || rec.Policy.Line != 2 || rec.Policy.Col != 1 {
		t.Errorf("record %+v", rec)
	}
	if w.Header().Get("X-Request-Id") != rec.RequestID {
		t.Errorf("X-Request-Id %q, record %q", w.Header().Get("X-Request-Id"), rec.RequestID)
	}
	want := []struct{ agent, signedBy, signer string }{
		{"planner", "", ""},
		{"research", "planner", f.planner.Identity().Key.String()},
		{"summarizer", "research", f.research.Identity().Key.String()},
	}
	if len(rec.Chain) != len(want) {
		t.Fatalf("chain %+v", rec.Chain)
	}
	tok, err := token.ParseText(mustToken(t, f.summarizer), f.root.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range rec.Chain {
		if h.Block != i || h.Agent != want[i].agent || h.SignedBy != want[i].signedBy || h.Signer != want[i].signer {
			t.Errorf("hop %d: %+v, want %+v", i, h, want[i])
		}
		if h.RevocationID != hex.EncodeToString(tok.RevocationIDs()[i]) {
			t.Errorf("hop %d: revocation id %s", i, h.RevocationID)
		}
	}
}

func mustToken(t testing.TB, a *sdk.Agent) string {
	t.Helper()
	text, err := a.Token()
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestInvalidTokens(t *testing.T) {
	f := newFixture(t, sdk.Config{})
	other, _ := token.GenerateKey(token.Ed25519, nil)
	foreign, err := sdk.Issue(other, f.planner.Identity(), sdk.Grant{Source: grantSource, TTL: time.Hour, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	good := mustToken(t, f.summarizer)
	raw, _ := token.DecodeText(good, nil)
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)/2] ^= 1
	tests := []struct {
		name   string
		header []string
	}{
		{"no header", nil},
		{"empty", []string{""}},
		{"basic scheme", []string{"Basic dXNlcjpwYXNz"}},
		{"bearer alone", []string{"Bearer"}},
		{"bearer space", []string{"Bearer   "}},
		{"two tokens", []string{"Bearer " + good + " " + good}},
		{"two headers", []string{"Bearer " + good, "Bearer " + good}},
		{"not base64", []string{"Bearer !!!"}},
		{"garbage", []string{"Bearer aGVsbG8gd29ybGQ="}},
		{"another root", []string{"Bearer " + base64.URLEncoding.EncodeToString(foreign)}},
		{"bit flipped", []string{"Bearer " + base64.URLEncoding.EncodeToString(flipped)}},
		{"truncated", []string{"Bearer " + base64.URLEncoding.EncodeToString(raw[:len(raw)-10])}},
		{"oversized", []string{"Bearer " + strings.Repeat("A", 400_000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/reports/q3/summary.txt", nil)
			for _, h := range tt.header {
				r.Header.Add("Authorization", h)
			}
			w := httptest.NewRecorder()
			f.mw.Wrap(okHandler).ServeHTTP(w, r)
			if w.Code != 401 {
				t.Fatalf("status %d, want 401", w.Code)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate %q", got)
			}
			if b := decodeBody(t, w); b.Reason != "invalid_token" || b.Error != "unauthorized" {
				t.Errorf("body %+v", b)
			}
			if rec := f.audit.last(t); rec.Outcome != sdk.OutcomeInvalid || rec.Reason == "" || len(rec.Chain) != 0 {
				t.Errorf("audit %+v", rec)
			}
		})
	}
}

func TestBadPaths(t *testing.T) {
	f := newFixture(t, sdk.Config{})
	for _, p := range []string{"/reports/q3/../q4/x", "/reports//q3/x", "/reports/./q3/x"} {
		r := httptest.NewRequest("GET", "http://reports.local/", nil)
		r.URL.Path = p
		r.Header.Set("Authorization", "Bearer "+mustToken(t, f.research))
		w := httptest.NewRecorder()
		f.mw.Wrap(okHandler).ServeHTTP(w, r)
		if w.Code != 400 {
			t.Errorf("%s: status %d, want 400", p, w.Code)
		}
	}
	if w := f.do(t, f.research, "OPTIONS", "/reports/q3/x"); w.Code != 400 {
		t.Errorf("OPTIONS: status %d, want 400 (no operation)", w.Code)
	}
}

func TestExpiryAndLeeway(t *testing.T) {
	f := newFixture(t, sdk.Config{})
	f.advance(2 * time.Minute) // the summarizer's minute is over, research's 10 are not
	if w := f.do(t, f.summarizer, "GET", "/reports/q3/summary.txt"); w.Code != 403 {
		t.Errorf("expired summarizer token: status %d, want 403", w.Code)
	}
	if w := f.do(t, f.research, "GET", "/reports/q3/summary.txt"); w.Code != 200 {
		t.Errorf("research token: status %d, want 200", w.Code)
	}

	// 30 s past expiry, within a leeway of a minute.
	g := newFixture(t, sdk.Config{Leeway: time.Minute})
	g.advance(90 * time.Second)
	if w := g.do(t, g.summarizer, "GET", "/reports/q3/summary.txt"); w.Code != 200 {
		t.Errorf("within leeway: status %d, want 200", w.Code)
	}
	policy, err := token.ParseAuthorizer(reportsPolicy, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMiddleware(sdk.Config{Service: "s", RootKeys: g.root.Public(), Policy: policy, Audit: sdk.DiscardAudit, Leeway: time.Hour}, nil); err == nil {
		t.Error("a leeway of an hour was accepted")
	}
}

func TestBudget(t *testing.T) {
	f := newFixture(t, sdk.Config{})
	for i := range 5 {
		if w := f.do(t, f.summarizer, "GET", "/reports/q3/summary.txt"); w.Code != 200 {
			t.Fatalf("call %d: status %d", i+1, w.Code)
		}
		f.advance(time.Second)
	}
	w := f.do(t, f.summarizer, "GET", "/reports/q3/summary.txt")
	if w.Code != 429 {
		t.Fatalf("sixth call: status %d, want 429", w.Code)
	}
	// The first call leaves the window 60 s after it: 55 s from now.
	if got := w.Header().Get("Retry-After"); got != "55" {
		t.Errorf("Retry-After %q, want 55", got)
	}
	if rec := f.audit.last(t); rec.Outcome != sdk.OutcomeOverBudget {
		t.Errorf("audit outcome %q", rec.Outcome)
	}
	// Denied calls do not count; the research token has no budget.
	if w := f.do(t, f.research, "GET", "/reports/q3/summary.txt"); w.Code != 200 {
		t.Errorf("research: status %d", w.Code)
	}
	// A child of the summarizer's token shares its budget: it cannot
	// escape it by attenuating.
	tok, _ := token.ParseText(mustToken(t, f.summarizer), f.root.Public(), nil)
	p, _ := datalog.ParseBlock(`check if operation("read");`, nil)
	child, err := tok.Append(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := f.send("GET", "/reports/q3/summary.txt", child.String()); w.Code != 429 {
		t.Errorf("child token: status %d, want 429", w.Code)
	}
	// A second before the window opens, still spent. (The window opening
	// is TestMemoryBudgets's: the summarizer's token expires with it.)
	f.advance(54 * time.Second)
	w = f.do(t, f.summarizer, "GET", "/reports/q3/summary.txt")
	if w.Code != 429 || w.Header().Get("Retry-After") != "1" {
		t.Errorf("at 59 s: status %d, Retry-After %q; want 429, 1", w.Code, w.Header().Get("Retry-After"))
	}
}

func TestRevocation(t *testing.T) {
	revoked := sdk.RevocationSet{}
	f := newFixture(t, sdk.Config{Revocations: revoked})
	tok, err := token.ParseText(mustToken(t, f.summarizer), f.root.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Revoke the planner's delegation to research: block 1.
	revoked[string(tok.RevocationIDs()[1])] = struct{}{}
	for _, a := range []*sdk.Agent{f.research, f.summarizer} {
		w := f.do(t, a, "GET", "/reports/q3/summary.txt")
		if w.Code != 403 || decodeBody(t, w).Reason != "revoked" {
			t.Errorf("%s: status %d %s, want 403 revoked", a.Name(), w.Code, w.Body)
		}
	}
	if w := f.do(t, f.planner, "GET", "/reports/q3/summary.txt"); w.Code != 200 {
		t.Errorf("planner: status %d, want 200", w.Code)
	}
	if rec := f.audit.last(t); rec.Outcome != sdk.OutcomeAllow {
		t.Errorf("audit %q", rec.Outcome)
	}
}

func TestHandlerQueriesTheWorld(t *testing.T) {
	f := newFixture(t, sdk.Config{})
	var got []datalog.Fact
	var qerr error
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := FromContext(r.Context())
		got, qerr = a.Query(r.Context(), `can($p, $ops) <- right($p, $ops)`, nil)
	})
	r := httptest.NewRequest("GET", "/reports/q3/summary.txt", nil)
	r.Header.Set("Authorization", "Bearer "+mustToken(t, f.summarizer))
	w := httptest.NewRecorder()
	f.mw.Wrap(h).ServeHTTP(w, r)
	if w.Code != 200 || qerr != nil {
		t.Fatalf("status %d, query error %v", w.Code, qerr)
	}
	if len(got) != 1 || got[0].String() != `can("/reports/", {"read", "write"})` {
		t.Errorf("query: %v", got)
	}
}

func TestAuditFailureFailsClosed(t *testing.T) {
	f := newFixture(t, sdk.Config{Audit: sdk.AuditFunc(func(context.Context, *sdk.AuditRecord) error {
		return context.DeadlineExceeded
	})})
	ran := false
	r := httptest.NewRequest("GET", "/reports/q3/summary.txt", nil)
	r.Header.Set("Authorization", "Bearer "+mustToken(t, f.summarizer))
	w := httptest.NewRecorder()
	f.mw.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true })).ServeHTTP(w, r)
	if w.Code != 503 || ran {
		t.Errorf("status %d, handler ran %v: want 503 and no handler", w.Code, ran)
	}
}

func TestConcurrentRequests(t *testing.T) {
	f := newFixture(t, sdk.Config{})
	agents := []*sdk.Agent{f.planner, f.research, f.summarizer}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				a := agents[(g+i)%len(agents)]
				w := f.do(t, a, "PUT", "/reports/q3/x.txt") // only the planner may write
				want := 403
				if a == f.planner {
					want = 200
				}
				if w.Code != want {
					errs <- a.Name() + ": " + w.Body.String()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	f.audit.mu.Lock()
	defer f.audit.mu.Unlock()
	if len(f.audit.recs) != 160 {
		t.Errorf("%d audit records, want 160", len(f.audit.recs))
	}
}

// TestAgentNamesCannotBeSpoofed: a holder appends blocks that claim
// other names; only blocks whose author the chain establishes name an
// agent.
func TestAgentNamesCannotBeSpoofed(t *testing.T) {
	f := newFixture(t, sdk.Config{})
	tok, err := token.ParseText(mustToken(t, f.summarizer), f.root.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := datalog.ParseBlock(`agent("planner"); agent_key("ed25519/00");`, nil)
	firstParty, err := tok.Append(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A third-party block signed by a key no block named.
	stranger, _ := token.GenerateKey(token.Ed25519, nil)
	req, _ := firstParty.ThirdPartyRequest()
	signed, err := req.Sign(stranger, p)
	if err != nil {
		t.Fatal(err)
	}
	both, err := firstParty.AppendThirdParty(signed, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		tok  *token.Token
	}{{"first-party block", firstParty}, {"unnamed key", both}} {
		w := f.send("GET", "/reports/q3/summary.txt", tt.tok.String())
		if w.Code != 200 || w.Body.String() != "summarizer" {
			t.Errorf("%s: %d, agent %q; want 200, summarizer", tt.name, w.Code, w.Body)
		}
		rec := f.audit.last(t)
		for _, h := range rec.Chain[3:] {
			if h.Agent != "" || h.SignedBy != "" {
				t.Errorf("%s: hop %+v names an agent", tt.name, h)
			}
		}
	}
}

// TestEvaluationLimits: a token over the facts or the step limit is
// refused (403); the wall-clock limit, which a busy server can hit on any
// call, answers 503 with Retry-After.
func TestEvaluationLimits(t *testing.T) {
	for _, tt := range []struct {
		limits datalog.Limits
		status int
	}{
		{datalog.Limits{MaxTime: time.Nanosecond}, 503},
		{datalog.Limits{MaxFacts: 2}, 403},
		{datalog.Limits{MaxSteps: 1}, 403},
	} {
		a, err := token.ParseAuthorizer(reportsPolicy, nil, &token.AuthorizerOptions{Limits: tt.limits})
		if err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, sdk.Config{Policy: a})
		w := f.do(t, f.planner, "GET", "/reports/x")
		if w.Code != tt.status {
			t.Errorf("%+v: status %d, want %d", tt.limits, w.Code, tt.status)
		}
		if tt.status == 503 && w.Header().Get("Retry-After") != "1" {
			t.Errorf("%+v: Retry-After %q", tt.limits, w.Header().Get("Retry-After"))
		}
		if rec := f.audit.last(t); rec.Outcome != sdk.OutcomeError || !strings.Contains(rec.Reason, "limit") {
			t.Errorf("%+v: audit %+v", tt.limits, rec)
		}
	}
}
