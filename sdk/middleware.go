package sdk

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/codios/codios/datalog"
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
func MapMethod(r *http.Request) (Action, error) { return MapOperation(r.Method, r.URL.Path) }

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
// runs: an adapter of net/http over a Guard, which makes every decision.
// It is safe for concurrent use.
type Middleware struct {
	guard *Guard
	mapFn func(*http.Request) (Action, error)
}

// NewMiddleware checks the configuration and parses the policy, once.
func NewMiddleware(cfg Config) (*Middleware, error) {
	g, err := NewGuard(cfg)
	if err != nil {
		return nil, err
	}
	m := &Middleware{guard: g, mapFn: cfg.Map}
	if m.mapFn == nil {
		m.mapFn = MapMethod
	}
	return m, nil
}

// Guard is the guard that makes the middleware's decisions.
func (m *Middleware) Guard() *Guard { return m.guard }

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
		req := GuardRequest{
			Authorization: r.Header.Values("Authorization"),
			RequestID:     r.Header.Get("X-Request-Id"),
			Method:        r.Method,
			Path:          r.URL.Path,
			Host:          r.Host,
		}
		act, err := m.mapFn(r)
		if err != nil {
			req.MapError = err
		} else {
			req.Action = &act
		}
		v := m.guard.Check(r.Context(), &req)
		h := w.Header()
		for _, f := range v.Headers {
			h[f.Name] = append(h[f.Name], f.Value) // the names are canonical
		}
		if v.Auth == nil {
			w.WriteHeader(v.Status)
			_, _ = w.Write(v.Body) // the client may be gone; nothing to do
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), contextKey{}, v.Auth)))
	})
}
