package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/internal/decisionjson"
	"github.com/codios/codios/token"
)

// Defaults and bounds of a Middleware.
const (
	// DefaultCacheBytes bounds the verified-token cache when Config gives
	// none, and the chains the middleware remembers of its tokens.
	DefaultCacheBytes = token.DefaultCacheBytes
	// MaxLeeway bounds the clock-skew leeway: more would keep expired
	// tokens alive.
	MaxLeeway = 5 * time.Minute
	// maxRequestID bounds a request id taken from X-Request-Id.
	maxRequestID = 64
)

// Action is what a request asks to do, in the policy's terms: the facts
// operation(Operation) and resource(Resource), and any more the service
// adds.
type Action struct {
	Operation string
	Resource  string
	Facts     []datalog.Fact
}

// MapMethod is the default request mapper: GET and HEAD read, POST, PUT
// and PATCH write, DELETE deletes; the resource is the request path.
// Other methods are refused.
func MapMethod(r *http.Request) (Action, error) {
	var op string
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		op = "read"
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		op = "write"
	case http.MethodDelete:
		op = "delete"
	default:
		return Action{}, fmt.Errorf("sdk: method %q has no operation", r.Method)
	}
	return Action{Operation: op, Resource: r.URL.Path}, nil
}

// Config is a service's authorization set-up. Service, RootKeys, Policy
// and Audit are required.
type Config struct {
	// Service is the service's name: the fact service(Service), and the
	// audit records' service.
	Service string
	// RootKeys verify tokens: a token.PublicKey, or a token.KeySet whose
	// ids let keys rotate with an overlap.
	RootKeys token.RootKeys
	// Policy is the service's policy, compiled once by the caller:
	// token.ParseAuthorizer for source, LoadPolicy for a file. The caller
	// so sees the policy's syntax errors where it writes it, and chooses
	// its limits and extern functions.
	Policy *token.Authorizer
	// Audit receives a record of every decision: OpenAuditFile,
	// NewAuditWriter, or the service's own sink. It is never chosen for
	// the service, so that no log file appears where nobody looks for it.
	Audit AuditSink

	// Map turns a request into an Action; nil means MapMethod. An error
	// answers 400.
	Map func(*http.Request) (Action, error)

	// Cache remembers verified tokens; nil means a new cache of
	// DefaultCacheBytes.
	Cache *token.Cache
	// Limits bounds the tokens accepted; nil means token.DefaultLimits().
	Limits *token.Limits

	// Revocations, if set, refuses tokens with a revoked block.
	Revocations Revocations
	// Budgets counts calls under the budgets tokens declare; nil means a
	// new MemoryBudgets.
	Budgets BudgetStore

	// Leeway is subtracted from the request time given to the policy, so
	// that an expiry check tolerates a clock ahead of the issuer's by up
	// to Leeway. At most MaxLeeway.
	Leeway time.Duration
	// ExposeFailedChecks puts the failed checks in a denial's body. They
	// tell a caller what the policy wants, so it is off by default; they
	// are always in the audit record.
	ExposeFailedChecks bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Middleware authorizes every request to a service before its handler
// runs. It is safe for concurrent use.
type Middleware struct {
	cfg Config

	chains      chainMemo
	policies    sync.Map     // policy index to its *AuditPolicy, for audit records
	serviceFact datalog.Fact // service(name), the same for every request
}

// NewMiddleware checks the configuration and parses the policy, once.
func NewMiddleware(cfg Config) (*Middleware, error) {
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
	m := &Middleware{cfg: cfg, serviceFact: datalog.NewFact("service", datalog.String(cfg.Service))}
	if m.cfg.Map == nil {
		m.cfg.Map = MapMethod
	}
	if m.cfg.Cache == nil {
		m.cfg.Cache = token.NewCache(DefaultCacheBytes)
	}
	if m.cfg.Budgets == nil {
		m.cfg.Budgets = NewMemoryBudgets()
	}
	if m.cfg.Now == nil {
		m.cfg.Now = time.Now
	}
	return m, nil
}

// LoadPolicy reads and compiles a service's policy from a .datalog file;
// params binds its parameters. Syntax errors name the file.
func LoadPolicy(file string, params datalog.Params) (*token.Authorizer, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("sdk: policy: %w", err)
	}
	return token.ParseAuthorizer(string(src), params, &token.AuthorizerOptions{Filename: file})
}

// Authorization is what the middleware decided for a request, in the
// request's context for the handler: FromContext.
type Authorization struct {
	RequestID string
	Token     *token.Token
	Decision  *token.Decision
	// Chain is the token's delegation chain, authority block first.
	Chain []Hop

	// policy and req made the decision; Query asks them again.
	policy *token.Authorizer
	req    token.Request
}

type contextKey struct{}

// FromContext returns the authorization of the request whose context
// this is: nil outside a handler the middleware wraps.
func FromContext(ctx context.Context) *Authorization {
	a, _ := ctx.Value(contextKey{}).(*Authorization)
	return a
}

// Agent is the agent that presented the token: the last agent the chain
// names, or "" when no block names one.
func (a *Authorization) Agent() string {
	for i := len(a.Chain) - 1; i >= 0; i-- {
		if a.Chain[i].Agent != "" {
			return a.Chain[i].Agent
		}
	}
	return ""
}

// Query evaluates a rule in the world the decision was made in, made
// again for the purpose: what else may this token do? The rule is
// Datalog source with parameters.
func (a *Authorization) Query(ctx context.Context, rule string, params datalog.Params) ([]datalog.Fact, error) {
	r, err := datalog.ParseRule(rule, &datalog.ParseOptions{Params: params})
	if err != nil {
		return nil, err
	}
	req := a.req
	req.Queries = []datalog.Rule{r}
	d, err := a.policy.Authorize(ctx, a.Token, &req)
	if err != nil {
		return nil, err
	}
	return d.Answers[0], nil
}

// Wrap returns next behind the middleware.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth, ok := m.authorize(w, r)
		if ok {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), contextKey{}, auth)))
		}
	})
}

// call is one request on its way through the middleware.
type call struct {
	start time.Time
	rec   AuditRecord
	tok   *token.Token
	chain *chain
}

// authorize decides a request. When it refuses the request it has
// answered it; when it allows, the caller runs the handler.
func (m *Middleware) authorize(w http.ResponseWriter, r *http.Request) (*Authorization, bool) {
	c := &call{start: m.cfg.Now()}
	c.rec = AuditRecord{
		Time:      c.start,
		RequestID: requestID(r),
		Service:   m.cfg.Service,
		Method:    r.Method,
		Path:      r.URL.Path,
	}
	w.Header()["X-Request-Id"] = []string{c.rec.RequestID} // the key is canonical

	text, err := bearer(r)
	if err == nil {
		c.tok, err = m.cfg.Cache.ParseText(text, m.cfg.RootKeys, m.cfg.Limits)
	}
	if err != nil {
		m.refuse(w, r, c, http.StatusUnauthorized, OutcomeInvalid, invalidReason(err))
		return nil, false
	}
	if id, ok := c.tok.RootKeyID(); ok {
		c.rec.RootKeyID = &id
	}
	if c.chain, err = m.chains.get(c.tok); err != nil {
		m.refuse(w, r, c, http.StatusUnauthorized, OutcomeInvalid, err.Error())
		return nil, false
	}
	c.rec.Chain, c.rec.chainJSON = c.chain.hops, c.chain.json

	if m.cfg.Revocations != nil {
		for i, b := range c.tok.Blocks() {
			revoked, err := m.cfg.Revocations.Revoked(b.RevocationID)
			if err != nil {
				m.refuse(w, r, c, http.StatusServiceUnavailable, OutcomeError, err.Error())
				return nil, false
			}
			if revoked {
				m.refuse(w, r, c, http.StatusForbidden, OutcomeRevoked, fmt.Sprintf("block %d is revoked", i))
				return nil, false
			}
		}
	}

	act, err := m.cfg.Map(r)
	if err == nil && !isClean(r.URL.Path) {
		err = fmt.Errorf("%w: %q", ErrBadPath, r.URL.Path)
	}
	if err != nil {
		m.refuse(w, r, c, http.StatusBadRequest, OutcomeBadRequest, err.Error())
		return nil, false
	}
	req := &token.Request{Time: c.start.Add(-m.cfg.Leeway), Facts: m.requestFacts(r, act, len(c.chain.hops)-1)}
	d, err := m.cfg.Policy.Authorize(r.Context(), c.tok, req)
	switch {
	case errors.Is(err, datalog.ErrTimeLimit):
		// Time is wall-clock: on a busy server a cheap evaluation can
		// be descheduled past it. Refuse as overloaded, not as denied.
		w.Header().Set("Retry-After", "1")
		m.refuse(w, r, c, http.StatusServiceUnavailable, OutcomeError, err.Error())
		return nil, false
	case err != nil:
		m.refuse(w, r, c, http.StatusForbidden, OutcomeError, err.Error())
		return nil, false
	}
	if d.Policy != nil {
		c.rec.Policy = m.auditPolicy(d.Policy)
	}
	if !d.Allowed {
		c.rec.FailedChecks = auditChecks(d.FailedChecks, c.chain.hops)
		m.refuse(w, r, c, http.StatusForbidden, OutcomeDeny, "denied")
		return nil, false
	}

	if len(c.chain.budgets) > 0 {
		ok, wait, err := m.cfg.Budgets.Take(c.start, c.chain.budgets)
		if err != nil {
			m.refuse(w, r, c, http.StatusServiceUnavailable, OutcomeError, err.Error())
			return nil, false
		}
		if !ok {
			secs := int64((wait + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
			m.refuse(w, r, c, http.StatusTooManyRequests, OutcomeOverBudget, "call budget spent")
			return nil, false
		}
	}

	c.rec.Outcome = OutcomeAllow
	c.rec.LatencyMicros = m.micros(c.start)
	if err := m.cfg.Audit.Audit(r.Context(), &c.rec); err != nil {
		writeError(w, http.StatusServiceUnavailable, errorBody{Error: "unavailable", Reason: "audit", RequestID: c.rec.RequestID})
		return nil, false
	}
	return &Authorization{RequestID: c.rec.RequestID, Token: c.tok, Decision: d, Chain: c.chain.hops, policy: m.cfg.Policy, req: *req}, true
}

// auditPolicy is a matched policy for audit records, made once per
// policy: the policies are fixed when the middleware starts.
func (m *Middleware) auditPolicy(p *datalog.MatchedPolicy) *AuditPolicy {
	if ap, ok := m.policies.Load(p.Index); ok {
		return ap.(*AuditPolicy)
	}
	ap := decisionjson.NewPolicy(p)
	m.policies.Store(p.Index, ap)
	return ap
}

// requestFacts are the facts of a request, for the policy and the
// token's checks.
func (m *Middleware) requestFacts(r *http.Request, act Action, depth int) []datalog.Fact {
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
		fact("path", datalog.String(r.URL.Path)),
		fact("host", datalog.String(r.Host)),
		m.serviceFact,
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
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions} {
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

// refuse answers a refused request and records it.
func (m *Middleware) refuse(w http.ResponseWriter, r *http.Request, c *call, status int, outcome, reason string) {
	c.rec.Outcome = outcome
	c.rec.Reason = reason
	c.rec.LatencyMicros = m.micros(c.start)
	body := errorBody{Error: strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_")), RequestID: c.rec.RequestID}
	switch outcome {
	case OutcomeInvalid:
		body.Reason = "invalid_token"
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	case OutcomeDeny:
		body.Reason = "denied"
		for _, fc := range c.rec.FailedChecks {
			if fc.Expired != "" {
				body.Reason, body.Expired = "expired", fc.Expired
				break
			}
		}
		if m.cfg.ExposeFailedChecks {
			body.FailedChecks = c.rec.FailedChecks
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
	if err := m.cfg.Audit.Audit(r.Context(), &c.rec); err != nil {
		status, body.Error, body.Reason = http.StatusServiceUnavailable, "unavailable", "audit"
	}
	writeError(w, status, body)
}

func writeError(w http.ResponseWriter, status int, body errorBody) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client may be gone; nothing to do
}

func (m *Middleware) micros(start time.Time) float64 {
	return float64(m.cfg.Now().Sub(start).Nanoseconds()) / 1e3
}

// bearer returns the token of the request's Authorization header.
func bearer(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
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

// requestID is the request's X-Request-Id when it is short and plain, or
// a new random one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= maxRequestID && checkName(id) == nil {
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
