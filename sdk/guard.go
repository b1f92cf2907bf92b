package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/internal/decisionjson"
	"github.com/codios/codios/token"
)

// Guard makes a service's decisions, whatever carries the request: the
// net/http adapter (sdk/nethttp), the C ABI and the WebAssembly build
// that the Python and TypeScript SDKs call, or a host of the service's
// own. It takes a description of the request and returns the whole
// verdict: the outcome, the HTTP status, the headers and body of a
// refusal, and the audit record, which it has already given to the audit
// sink. A host only copies the verdict onto its response, so that every
// host decides alike. It is safe for concurrent use.
type Guard struct {
	cfg Config

	chains      chainMemo
	policies    sync.Map     // policy index to its *AuditPolicy, for audit records
	serviceFact datalog.Fact // service(name), the same for every request
}

// GuardRequest describes one request to the guard.
type GuardRequest struct {
	// Authorization is the request's Authorization header values as
	// received: none, one, or (refused) several.
	Authorization []string
	// RequestID is the request's X-Request-Id header; one that is empty,
	// long or not plain is replaced by a random id.
	RequestID string
	// Method, Path and Host are the request's: the facts method, path and
	// host. Path must be clean (no "." or ".." elements, no "//").
	Method, Path, Host string
	// Time is when the request arrived; zero means the guard's clock.
	Time time.Time
	// Action is the request in the policy's terms; nil means
	// MapOperation(Method, Path).
	Action *Action
	// MapError, when set, says the host could not map the request: it is
	// answered 400, after the token's own checks.
	MapError error
}

// Header is a header of a verdict's response.
type Header struct{ Name, Value string }

// Verdict is the guard's answer to a request.
type Verdict struct {
	// Outcome is one of the Outcome constants.
	Outcome string
	// Status is the HTTP status to answer with: 200 when allowed.
	Status int
	// Headers are the response headers to set, their names canonical:
	// X-Request-Id always, and on a refusal WWW-Authenticate (an invalid
	// token), Retry-After, Content-Type and Cache-Control.
	Headers []Header
	// Body is a refusal's JSON body, ending in a newline; nil when allowed.
	Body []byte
	// Record is the decision's audit record, given to the audit sink.
	Record AuditRecord
	// Auth is the authorization the handler runs under, when allowed.
	Auth *Authorization
}

// NewGuard checks the configuration.
func NewGuard(cfg Config) (*Guard, error) {
	if err := checkName(cfg.Service); err != nil {
		return nil, fmt.Errorf("sdk: service: %w", err)
	}
	if cfg.RootKeys == nil {
		return nil, errors.New("sdk: no root keys")
	}
	if cfg.Leeway < 0 || cfg.Leeway > MaxLeeway {
		return nil, fmt.Errorf("sdk: leeway %v not within 0 to %v", cfg.Leeway, MaxLeeway)
	}
	if cfg.Policy == nil {
		return nil, errors.New("sdk: no policy: compile one with token.ParseAuthorizer or LoadPolicy")
	}
	if cfg.Audit == nil {
		return nil, errors.New("sdk: no audit sink: give one (OpenAuditFile, NewAuditWriter; DiscardAudit in tests)")
	}
	g := &Guard{cfg: cfg, serviceFact: datalog.NewFact("service", datalog.String(cfg.Service))}
	if g.cfg.Cache == nil {
		g.cfg.Cache = token.NewCache(DefaultCacheBytes)
	}
	if g.cfg.Budgets == nil {
		g.cfg.Budgets = NewMemoryBudgets()
	}
	if g.cfg.Now == nil {
		g.cfg.Now = time.Now
	}
	return g, nil
}

// MapOperation is the default mapping of a request: GET and HEAD read,
// POST, PUT and PATCH write, DELETE deletes; the resource is the path.
// Other methods are refused.
func MapOperation(method, path string) (Action, error) {
	var op string
	switch method {
	case "GET", "HEAD":
		op = "read"
	case "POST", "PUT", "PATCH":
		op = "write"
	case "DELETE":
		op = "delete"
	default:
		return Action{}, fmt.Errorf("sdk: method %q has no operation", method)
	}
	return Action{Operation: op, Resource: path}, nil
}

// call is one request on its way through the guard.
type call struct {
	req   *GuardRequest
	now   time.Time // the request's time
	start time.Time // the guard's clock when the call began, for latency
	v     Verdict
	tok   *token.Token
	chain *chain
}

// Check decides a request, gives its record to the audit sink and
// returns the verdict. A refusal is a verdict, never an error.
func (g *Guard) Check(ctx context.Context, req *GuardRequest) Verdict {
	c := &call{req: req, start: g.cfg.Now()}
	c.now = req.Time
	if c.now.IsZero() {
		c.now = c.start
	}
	id := requestID(req.RequestID)
	c.v.Record = AuditRecord{
		Time:      c.now,
		RequestID: id,
		Service:   g.cfg.Service,
		Method:    req.Method,
		Path:      req.Path,
	}
	c.v.Headers = append(make([]Header, 0, 4), Header{"X-Request-Id", id})
	g.decide(ctx, c)
	return c.v
}

// decide fills in c's verdict.
func (g *Guard) decide(ctx context.Context, c *call) {
	text, err := bearer(c.req.Authorization)
	if err == nil {
		c.tok, err = g.cfg.Cache.ParseText(text, g.cfg.RootKeys, g.cfg.Limits)
	}
	if err != nil {
		g.refuse(ctx, c, 401, OutcomeInvalid, invalidReason(err))
		return
	}
	if id, ok := c.tok.RootKeyID(); ok {
		c.v.Record.RootKeyID = &id
	}
	if c.chain, err = g.chains.get(c.tok); err != nil {
		g.refuse(ctx, c, 401, OutcomeInvalid, err.Error())
		return
	}
	c.v.Record.Chain, c.v.Record.chainJSON = c.chain.hops, c.chain.json

	if g.cfg.Revocations != nil {
		for i, b := range c.tok.Blocks() {
			revoked, err := g.cfg.Revocations.Revoked(b.RevocationID)
			if err != nil {
				g.refuse(ctx, c, 503, OutcomeError, err.Error())
				return
			}
			if revoked {
				g.refuse(ctx, c, 403, OutcomeRevoked, fmt.Sprintf("block %d is revoked", i))
				return
			}
		}
	}

	var act Action
	switch {
	case c.req.MapError != nil:
		err = c.req.MapError
	case c.req.Action != nil:
		act = *c.req.Action
	default:
		act, err = MapOperation(c.req.Method, c.req.Path)
	}
	if err == nil && !isClean(c.req.Path) {
		err = fmt.Errorf("%w: %q", ErrBadPath, c.req.Path)
	}
	if err != nil {
		g.refuse(ctx, c, 400, OutcomeBadRequest, err.Error())
		return
	}
	req := &token.Request{Time: c.now.Add(-g.cfg.Leeway), Facts: g.requestFacts(c.req, act, len(c.chain.hops)-1)}
	d, err := g.cfg.Policy.Authorize(ctx, c.tok, req)
	switch {
	case errors.Is(err, datalog.ErrTimeLimit):
		// Time is wall-clock: on a busy server a cheap evaluation can
		// be descheduled past it. Refuse as overloaded, not as denied.
		c.v.Headers = append(c.v.Headers, Header{"Retry-After", "1"})
		g.refuse(ctx, c, 503, OutcomeError, err.Error())
		return
	case err != nil:
		g.refuse(ctx, c, 403, OutcomeError, err.Error())
		return
	}
	if d.Policy != nil {
		c.v.Record.Policy = g.auditPolicy(d.Policy)
	}
	if !d.Allowed {
		c.v.Record.FailedChecks = auditChecks(d.FailedChecks, c.chain.hops)
		g.refuse(ctx, c, 403, OutcomeDeny, "denied")
		return
	}

	if len(c.chain.budgets) > 0 {
		ok, wait, err := g.cfg.Budgets.Take(c.now, c.chain.budgets)
		if err != nil {
			g.refuse(ctx, c, 503, OutcomeError, err.Error())
			return
		}
		if !ok {
			secs := int64((wait + time.Second - 1) / time.Second)
			c.v.Headers = append(c.v.Headers, Header{"Retry-After", strconv.FormatInt(max(secs, 1), 10)})
			g.refuse(ctx, c, 429, OutcomeOverBudget, "call budget spent")
			return
		}
	}

	c.v.Record.Outcome = OutcomeAllow
	c.v.Record.LatencyMicros = g.micros(c.start)
	if err := g.cfg.Audit.Audit(ctx, &c.v.Record); err != nil {
		c.v.Outcome = OutcomeError
		g.answer(c, 503, errorBody{Error: "unavailable", Reason: "audit", RequestID: c.v.Record.RequestID})
		return
	}
	c.v.Outcome, c.v.Status = OutcomeAllow, 200
	c.v.Auth = &Authorization{RequestID: c.v.Record.RequestID, Token: c.tok, Decision: d, Chain: c.chain.hops, policy: g.cfg.Policy, req: *req}
}

// auditPolicy is a matched policy for audit records, made once per
// policy: the policies are fixed when the guard starts.
func (g *Guard) auditPolicy(p *datalog.MatchedPolicy) *AuditPolicy {
	if ap, ok := g.policies.Load(p.Index); ok {
		return ap.(*AuditPolicy)
	}
	ap := decisionjson.NewPolicy(p)
	g.policies.Store(p.Index, ap)
	return ap
}

// requestFacts are the facts of a request, for the policy and the
// token's checks.
func (g *Guard) requestFacts(r *GuardRequest, act Action, depth int) []datalog.Fact {
	// The facts and their terms in one allocation; the facts that never
	// change (the service, the usual methods) are made once.
	slab := new(struct {
		facts [7]datalog.Fact
		terms [6]datalog.Term
	})
	terms := slab.terms[:0]
	fact := func(name string, t datalog.Term) datalog.Fact {
		terms = append(terms, t)
		return datalog.NewFact(name, terms[len(terms)-1:len(terms):len(terms)]...)
	}
	facts := slab.facts[:0]
	if len(act.Facts) > 0 {
		facts = make([]datalog.Fact, 0, 7+len(act.Facts))
	}
	method, ok := methodFacts[r.Method]
	if !ok {
		method = fact("method", datalog.String(r.Method))
	}
	facts = append(facts,
		method,
		fact("path", datalog.String(r.Path)),
		fact("host", datalog.String(r.Host)),
		g.serviceFact,
		fact("delegation_depth", datalog.Integer(depth)),
	)
	if act.Operation != "" {
		facts = append(facts, fact("operation", datalog.String(act.Operation)))
	}
	if act.Resource != "" {
		facts = append(facts, fact("resource", datalog.String(act.Resource)))
	}
	return append(facts, act.Facts...)
}

// methodFacts are the method facts of the usual methods, shared by every
// request: facts are never changed once made.
var methodFacts = func() map[string]datalog.Fact {
	facts := map[string]datalog.Fact{}
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		facts[m] = datalog.NewFact("method", datalog.String(m))
	}
	return facts
}()

// errorBody is the JSON body of a refusal.
type errorBody struct {
	Error     string `json:"error"`
	Reason    string `json:"reason"`
	RequestID string `json:"request_id"`
	// Expired is when the token expired, RFC 3339, for a denial by an
	// expiry check: the holder can read it in its token anyway, and it
	// says what to do (get a new one).
	Expired      string       `json:"expired,omitempty"`
	FailedChecks []AuditCheck `json:"failed_checks,omitempty"`
}

// statusErrors are the error names of a refusal's body, by status: the
// status text in snake case.
var statusErrors = map[int]string{
	400: "bad_request",
	401: "unauthorized",
	403: "forbidden",
	429: "too_many_requests",
	503: "service_unavailable",
}

// refuse records a refused request and makes its answer.
func (g *Guard) refuse(ctx context.Context, c *call, status int, outcome, reason string) {
	rec := &c.v.Record
	rec.Outcome = outcome
	rec.Reason = reason
	rec.LatencyMicros = g.micros(c.start)
	c.v.Outcome = outcome
	body := errorBody{Error: statusErrors[status], RequestID: rec.RequestID}
	switch outcome {
	case OutcomeInvalid:
		body.Reason = "invalid_token"
		c.v.Headers = append(c.v.Headers, Header{"Www-Authenticate", `Bearer error="invalid_token"`})
	case OutcomeDeny:
		body.Reason = "denied"
		for _, fc := range rec.FailedChecks {
			if fc.Expired != "" {
				body.Reason, body.Expired = "expired", fc.Expired
				break
			}
		}
		if g.cfg.ExposeFailedChecks {
			body.FailedChecks = rec.FailedChecks
		}
	case OutcomeRevoked:
		body.Reason = "revoked"
	case OutcomeOverBudget:
		body.Reason = "budget"
	case OutcomeBadRequest:
		body.Reason = "bad_request"
	default:
		body.Reason = "error"
	}
	if err := g.cfg.Audit.Audit(ctx, rec); err != nil {
		status, body.Error, body.Reason = 503, "unavailable", "audit"
		c.v.Outcome = OutcomeError
	}
	g.answer(c, status, body)
}

// answer sets a refusal's status, body and headers.
func (g *Guard) answer(c *call, status int, body errorBody) {
	c.v.Status = status
	b, err := json.Marshal(body)
	if err != nil {
		panic(err) // strings and checks always encode
	}
	c.v.Body = append(b, '\n')
	c.v.Headers = append(c.v.Headers, Header{"Content-Type", "application/json"}, Header{"Cache-Control", "no-store"})
}

func (g *Guard) micros(start time.Time) float64 {
	return float64(g.cfg.Now().Sub(start).Nanoseconds()) / 1e3
}

// bearer returns the token of a request's Authorization header values.
func bearer(values []string) (string, error) {
	if len(values) == 0 {
		return "", ErrNoToken
	}
	if len(values) > 1 {
		return "", fmt.Errorf("%w: %d Authorization headers", ErrMalformedHeader, len(values))
	}
	scheme, text, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("%w: not a bearer token", ErrMalformedHeader)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return "", fmt.Errorf("%w: no token after Bearer", ErrMalformedHeader)
	}
	// Base64 decoding refuses inner spaces: two tokens fail there.
	return text, nil
}

// invalidReason says why a token was refused, in words that name the
// failure without echoing the token.
func invalidReason(err error) string {
	switch {
	case errors.Is(err, ErrNoToken):
		return "no bearer token"
	case errors.Is(err, ErrMalformedHeader):
		return err.Error()
	case errors.Is(err, token.ErrUnknownRootKey):
		return "unknown root key"
	case errors.Is(err, token.ErrInvalidSignature):
		return "signature does not verify"
	case errors.Is(err, token.ErrLimit):
		return "token over limits: " + err.Error()
	default:
		return "malformed token: " + err.Error()
	}
}

// auditChecks names each failed check's block and the agent that wrote
// it: the issuer for the authority block, for a delegation block the
// agent whose key signed it, or else the agent that held the token.
func auditChecks(failed []datalog.FailedCheck, hops []Hop) []AuditCheck {
	out := make([]AuditCheck, len(failed))
	for i, f := range failed {
		ac := decisionjson.NewCheck(f)
		switch b := int(f.Block); {
		case f.Block == datalog.AuthorizerBlock:
		case b == 0:
			ac.Agent = "issuer"
		case b < len(hops):
			ac.Agent = hops[b].SignedBy
			if ac.Agent == "" {
				ac.Agent = hops[b-1].Agent
			}
		}
		out[i] = ac
	}
	return out
}

// requestID is the request's own id when it is short and plain, or a new
// random one.
func requestID(id string) string {
	if id != "" && len(id) <= maxRequestID && checkName(id) == nil {
		return id
	}
	// 64 random bits: an id to correlate, not a secret, so the
	// runtime's generator (ChaCha8, seeded by the system) serves.
	const digits = "0123456789abcdef"
	var b [16]byte
	v := rand.Uint64()
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[v&15]
		v >>= 4
	}
	return string(b[:])
}

// isClean reports whether p is a clean absolute path: no "..", ".", or
// "//" elements, so that a prefix check on it means what it says. A
// trailing slash is allowed.
func isClean(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	trimmed := p
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		trimmed = p[:len(p)-1]
	}
	return path.Clean(trimmed) == trimmed
}
