package sdk

import (
	"fmt"
	"os"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// Defaults and bounds of a Guard.
const (
	// DefaultCacheBytes bounds the verified-token cache when Config gives
	// none, and the chains the guard remembers of its tokens.
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

// Config is a service's authorization set-up. Service, RootKeys, Policy
// and Audit are required. How a request becomes an Action is the host's
// business: GuardRequest.Action, or the net/http adapter's mapper
// (sdk/nethttp).
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

// LoadPolicy reads and compiles a service's policy from a .datalog file;
// params binds its parameters. Syntax errors name the file.
func LoadPolicy(file string, params datalog.Params) (*token.Authorizer, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("sdk: policy: %w", err)
	}
	return token.ParseAuthorizer(string(src), params, &token.AuthorizerOptions{Filename: file})
}
