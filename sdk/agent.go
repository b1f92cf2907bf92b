package sdk

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// maxNameBytes bounds agent and service names.
const maxNameBytes = 64

// Identity is who an agent is: its name and its public key. The agent
// that delegates to it writes both into the delegation block.
type Identity struct {
	Name string
	Key  token.PublicKey
}

// Grant is what an issuer gives an agent in its authority block.
type Grant struct {
	// Source is the authority block's Datalog: rights, tenant, checks.
	Source string
	// Params binds Source's {name} parameters.
	Params datalog.Params
	// TTL is how long the token lives; required.
	TTL time.Duration
	// Budget, if set, is a call budget for the whole token.
	Budget *Budget
	// RootKeyID names the root key, for services holding a KeySet.
	RootKeyID *uint32
	// Now is the issuing time; zero means time.Now.
	Now time.Time
}

// Issue mints a token for an agent: the grant's Datalog, the agent's
// name and key, and the expiry check. It is the issuer's side, and the
// only place a root private key is needed.
func Issue(root *token.PrivateKey, to Identity, g Grant) ([]byte, error) {
	if g.TTL <= 0 {
		return nil, fmt.Errorf("sdk: issuing for %q: TTL must be positive", to.Name)
	}
	p, err := datalog.ParseBlock(g.Source, &datalog.ParseOptions{Params: g.Params})
	if err != nil {
		return nil, fmt.Errorf("sdk: issuing for %q: %w", to.Name, err)
	}
	if err := hopFacts(p, to, g.Budget, expiry(g.Now, g.TTL)); err != nil {
		return nil, fmt.Errorf("sdk: issuing for %q: %w", to.Name, err)
	}
	tok, err := token.New(root, p, &token.BlockOptions{RootKeyID: g.RootKeyID})
	if err != nil {
		return nil, fmt.Errorf("sdk: issuing for %q: %w", to.Name, err)
	}
	return tok.Serialize(), nil
}

// Delegation is what an agent hands another: restricting checks, a
// shorter life, and optionally a call budget.
type Delegation struct {
	// To is the agent that receives the token.
	To Identity
	// Checks is Datalog that narrows the token: checks (and rules and
	// facts, which no other block trusts). Empty means no more checks
	// than the expiry.
	Checks string
	// Params binds Checks's {name} parameters.
	Params datalog.Params
	// TTL is how long the delegated token lives; required. The earliest
	// expiry in the chain wins, so it can only shorten the token's life.
	TTL time.Duration
	// Budget, if set, caps the calls of the delegated token and of every
	// token derived from it.
	Budget *Budget
	// Now is the delegation time; zero means time.Now.
	Now time.Time
}

// AgentOptions are the optional settings of an Agent.
type AgentOptions struct {
	// Rand is the source of the agent's key and of its blocks' keys; nil
	// means crypto/rand.
	Rand io.Reader
	// Limits bounds the tokens the agent receives.
	Limits *token.Limits
}

// Agent is one agent instance: a name, a key pair of its own made when
// the instance starts (never stored, never sent), and the token it holds.
// Delegating and narrowing are offline: no server is contacted. It is
// safe for concurrent use.
type Agent struct {
	name string
	key  *token.PrivateKey
	opts AgentOptions

	mu  sync.RWMutex
	tok *token.Unverified
}

// NewAgent starts an agent instance with a fresh Ed25519 key pair. It
// holds no token until Receive.
func NewAgent(name string, opts *AgentOptions) (*Agent, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	a := &Agent{name: name}
	if opts != nil {
		a.opts = *opts
	}
	key, err := token.GenerateKey(token.Ed25519, a.opts.Rand)
	if err != nil {
		return nil, fmt.Errorf("sdk: agent %q: %w", name, err)
	}
	a.key = key
	return a, nil
}

// Identity is the agent's name and public key, for whoever delegates to
// it.
func (a *Agent) Identity() Identity { return Identity{Name: a.name, Key: a.key.Public()} }

// Name is the agent's name.
func (a *Agent) Name() string { return a.name }

// Receive takes the token the agent was given, in wire bytes or base64
// text. It checks the token's structure, not its signatures: the agent
// may not hold the root key, and the service verifies every call anyway.
func (a *Agent) Receive(data []byte) error {
	raw, err := tokenBytes(data, a.opts.Limits)
	if err != nil {
		return fmt.Errorf("sdk: agent %q: %w", a.name, err)
	}
	u, err := token.ParseUnverified(raw, a.opts.Limits)
	if err != nil {
		return fmt.Errorf("sdk: agent %q: %w", a.name, err)
	}
	a.mu.Lock()
	a.tok = u
	a.mu.Unlock()
	return nil
}

// Token is the token the agent holds, in base64 text, as it goes in an
// Authorization header.
func (a *Agent) Token() (string, error) {
	u, err := a.held()
	if err != nil {
		return "", err
	}
	data := u.Serialize()
	return encodeText(data), nil
}

// Delegate hands a narrower token to another agent: it appends a block
// naming the receiver and its key, the expiry, the budget and the
// restricting checks, signed as a third-party block with this agent's
// own key, so the hop is tied to the agent that narrowed the token. It
// returns the new token's wire bytes; the agent's own token is unchanged.
func (a *Agent) Delegate(d Delegation) ([]byte, error) {
	u, err := a.held()
	if err != nil {
		return nil, err
	}
	if d.TTL <= 0 {
		return nil, fmt.Errorf("sdk: %q delegating to %q: TTL must be positive", a.name, d.To.Name)
	}
	p, err := datalog.ParseBlock(d.Checks, &datalog.ParseOptions{Params: d.Params})
	if err != nil {
		return nil, fmt.Errorf("sdk: %q delegating to %q: %w", a.name, d.To.Name, err)
	}
	if err := hopFacts(p, d.To, d.Budget, expiry(d.Now, d.TTL)); err != nil {
		return nil, fmt.Errorf("sdk: %q delegating to %q: %w", a.name, d.To.Name, err)
	}
	req, err := u.ThirdPartyRequest()
	if err != nil {
		return nil, fmt.Errorf("sdk: %q delegating to %q: %w", a.name, d.To.Name, err)
	}
	signed, err := req.Sign(a.key, p)
	if err != nil {
		return nil, fmt.Errorf("sdk: %q delegating to %q: %w", a.name, d.To.Name, err)
	}
	next, err := u.AppendThirdParty(signed, &token.BlockOptions{Rand: a.opts.Rand})
	if err != nil {
		return nil, fmt.Errorf("sdk: %q delegating to %q: %w", a.name, d.To.Name, err)
	}
	return next.Serialize(), nil
}

// CallToken is the held token narrowed to one call: a first-party block
// that allows only method on path, until expires. A token leaked from
// one call is then worth that call, for seconds. Like Delegate it is
// offline; it costs a block and a signature. The net/http adapter's
// transport sends one per call when asked to (sdk/nethttp).
func (a *Agent) CallToken(method, path string, expires time.Time) (string, error) {
	u, err := a.held()
	if err != nil {
		return "", err
	}
	next, err := u.Append(callBlock(method, path, expires), &token.BlockOptions{Rand: a.opts.Rand})
	if err != nil {
		return "", err
	}
	data := next.Serialize()
	return encodeText(data), nil
}

// callBlock is a block that allows one method on one path, until
// expires.
func callBlock(method, path string, expires time.Time) *datalog.Program {
	p := &datalog.Program{}
	c, err := datalog.ParseCheck(`check if method({method}), path({path})`, &datalog.ParseOptions{
		Params: datalog.Params{"method": datalog.String(method), "path": datalog.String(path)},
	})
	if err != nil {
		panic("sdk: per-call check does not parse: " + err.Error())
	}
	p.Checks = append(p.Checks, c, token.ExpiryCheck(expires))
	return p
}

func (a *Agent) held() (*token.Unverified, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.tok == nil {
		return nil, fmt.Errorf("%w: agent %q", ErrNoTokenHeld, a.name)
	}
	return a.tok, nil
}

// hopFacts adds to p what every hop's block says: the receiving agent,
// its key, the budget, and the expiry.
func hopFacts(p *datalog.Program, to Identity, b *Budget, expires time.Time) error {
	if err := checkName(to.Name); err != nil {
		return err
	}
	p.Facts = append(p.Facts, datalog.NewFact(factAgent, datalog.String(to.Name)))
	if len(to.Key.Bytes()) != 0 {
		p.Facts = append(p.Facts, datalog.NewFact(factAgentKey, datalog.String(to.Key.String())))
	}
	if b != nil {
		if err := b.validate(); err != nil {
			return err
		}
		p.Facts = append(p.Facts, b.fact())
	}
	p.Checks = append(p.Checks, token.ExpiryCheck(expires))
	return nil
}

func expiry(now time.Time, ttl time.Duration) time.Time {
	if now.IsZero() {
		now = time.Now()
	}
	return now.Add(ttl)
}

// checkName accepts names that print plainly in an audit trail.
func checkName(name string) error {
	if name == "" || len(name) > maxNameBytes {
		return fmt.Errorf("%w: %q: want 1 to %d bytes", ErrInvalidName, name, maxNameBytes)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '.' || r == '_' || r == '-' || r == ':' || r == '@'
		if !ok {
			return fmt.Errorf("%w: %q: only letters, digits and ._-:@", ErrInvalidName, name)
		}
	}
	return nil
}
