package token

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/codios/codios/datalog"
)

// Authorizer is a service's side of authorization: its policy (facts,
// rules, checks and allow/deny policies), compiled once and applied to
// every request, and the loaded worlds of the tokens it sees again (see
// [DefaultCachedWorlds]). It is safe for concurrent use.
type Authorizer struct {
	policy *datalog.Compiled
	opts   datalog.Options
	// timeFact is the last second's time fact: requests a second apart
	// or less share it.
	timeFact atomic.Pointer[datalog.Fact]
	worlds   worldCache
}

// AuthorizerOptions are the optional settings of an Authorizer.
type AuthorizerOptions struct {
	// Limits bounds every evaluation.
	Limits datalog.Limits
	// Externs are the functions extern::name calls reach.
	Externs map[string]datalog.ExternFunc
	// Filename names the policy's source in ParseAuthorizer's errors.
	Filename string
	// CachedWorlds is the number of repeated tokens whose loaded world
	// the authorizer keeps: 0 means DefaultCachedWorlds, a negative
	// number none.
	CachedWorlds int
	// CachedWorldBytes bounds the estimated memory of those worlds: 0
	// means DefaultCachedWorldBytes.
	CachedWorldBytes int
}

// NewAuthorizer compiles a parsed policy and returns its authorizer. An
// invalid fact, rule, check or policy is a [*datalog.RuleError]. The
// program is kept, not copied: do not change it afterwards.
func NewAuthorizer(policy *datalog.Program, opts *AuthorizerOptions) (*Authorizer, error) {
	if opts == nil {
		opts = &AuthorizerOptions{}
	}
	a := &Authorizer{opts: datalog.Options{Limits: opts.Limits, Externs: opts.Externs}}
	var err error
	if a.policy, err = datalog.Compile(policy, &a.opts); err != nil {
		return nil, err
	}
	switch {
	case opts.CachedWorlds == 0:
		a.worlds.size = DefaultCachedWorlds
	case opts.CachedWorlds > 0:
		a.worlds.size = opts.CachedWorlds
	}
	a.worlds.maxBytes = DefaultCachedWorldBytes
	if opts.CachedWorldBytes > 0 {
		a.worlds.maxBytes = opts.CachedWorldBytes
	}
	return a, nil
}

// ParseAuthorizer parses a policy's source and returns its authorizer.
func ParseAuthorizer(src string, params datalog.Params, opts *AuthorizerOptions) (*Authorizer, error) {
	popts := &datalog.ParseOptions{Params: params}
	if opts != nil {
		popts.Filename = opts.Filename
		popts.Limits = opts.Limits
	}
	p, err := datalog.ParseAuthorizer(src, popts)
	if err != nil {
		return nil, err
	}
	return NewAuthorizer(p, opts)
}

// Request is what one call brings to the authorizer besides the token,
// and what it asks of the decision besides its outcome.
type Request struct {
	// Time is the request's time, given as the fact time(...). The zero
	// time adds no fact.
	Time time.Time
	// Facts are the request's facts: resource, operation, and so on.
	Facts []datalog.Fact
	// Program holds more request-specific facts, rules, checks or
	// policies, evaluated as the authorizer's own.
	Program *datalog.Program

	// Explain asks for every fact of the evaluated world in the
	// decision, to explain it.
	Explain bool
	// Queries are rules to run against the evaluated world, as the
	// authorizer sees it: what may this token do? Their answers are the
	// decision's.
	Queries []datalog.Rule
}

// Decision is the outcome of authorizing one request. Deny is a decision,
// not an error. It is plain data, complete when Authorize returns.
type Decision struct {
	// Allowed is true when an allow policy matched and no check failed.
	Allowed bool
	// Policy is the policy that matched, or nil when none did.
	Policy *datalog.MatchedPolicy
	// FailedChecks lists every check that failed, the authorizer's first.
	FailedChecks []datalog.FailedCheck
	// Facts is every fact of the evaluated world with its origin, if the
	// request asked with Explain.
	Facts []datalog.FactGroup
	// Answers holds what each of the request's Queries derives, in order.
	Answers [][]datalog.Fact
}

// Authorize evaluates the token's blocks, the request and the policy. An
// error is bad input or an exhausted limit; a denial is a Decision.
func (a *Authorizer) Authorize(ctx context.Context, t *Token, req *Request) (*Decision, error) {
	return a.authorize(ctx, t.blocks, t.content, t.blockBytes, req)
}

// authorize is Authorize of a token's blocks, content and size on the
// wire.
func (a *Authorizer) authorize(ctx context.Context, blocks []*Block, content contentID, wire int, req *Request) (*Decision, error) {
	if req == nil || req.Program == nil {
		if f := a.worlds.frozen(a, blocks, content, wire); f != nil {
			var d *Decision
			err := f.With(func(w *datalog.World) error {
				if err := a.addRequest(w, req); err != nil {
					return err
				}
				var err error
				d, err = decide(ctx, w, req)
				return err
			})
			if err != nil {
				return nil, err
			}
			return d, nil
		}
	}
	w, err := a.load(blocks)
	if err != nil {
		return nil, err
	}
	if err := a.addRequest(w, req); err != nil {
		return nil, err
	}
	if err := w.AddCompiled(a.policy); err != nil {
		return nil, err
	}
	return decide(ctx, w, req)
}

// decide authorizes a loaded world, and answers what the request asks.
func decide(ctx context.Context, w *datalog.World, req *Request) (*Decision, error) {
	res, err := w.Authorize(ctx)
	if err != nil {
		return nil, err
	}
	d := &Decision{Allowed: res.Allowed(), Policy: res.Policy, FailedChecks: res.FailedChecks}
	if req == nil {
		return d, nil
	}
	if req.Explain {
		d.Facts = w.Facts()
	}
	for i, r := range req.Queries {
		facts, err := w.Query(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("query %d: %w", i, err)
		}
		d.Answers = append(d.Answers, facts)
	}
	return d, nil
}

// addRequest adds a request's time, facts and program to a world, before
// the service's policy.
func (a *Authorizer) addRequest(w *datalog.World, req *Request) error {
	if req == nil {
		return nil
	}
	if !req.Time.IsZero() {
		if err := w.AddFact(a.timeFactOf(req.Time)); err != nil {
			return err
		}
	}
	for _, f := range req.Facts {
		if err := w.AddFact(f); err != nil {
			return err
		}
	}
	if req.Program != nil {
		return w.AddAuthorizer(req.Program)
	}
	return nil
}

// load returns a new world holding a token's blocks.
func (a *Authorizer) load(blocks []*Block) (*datalog.World, error) {
	w := datalog.NewWorld(&a.opts)
	for _, b := range blocks {
		var key *datalog.PublicKey
		if b.ExternalKey != nil {
			k := b.ExternalKey.Datalog()
			key = &k
		}
		if _, err := w.AddBlock(b.Program, key); err != nil {
			return nil, fmt.Errorf("block %d: %w", b.Index, err)
		}
	}
	return w, nil
}

// timeFactOf is TimeFact(t), shared with the other requests of the same
// second: a fact is never changed once made.
func (a *Authorizer) timeFactOf(t time.Time) datalog.Fact {
	date := datalog.DateOf(t)
	if f := a.timeFact.Load(); f != nil {
		if d, _ := f.Terms[0].(datalog.Date); d == date {
			return *f
		}
	}
	f := TimeFact(t)
	a.timeFact.Store(&f)
	return f
}

// TimeFact is the fact time(t), t truncated to the second.
func TimeFact(t time.Time) datalog.Fact {
	return datalog.NewFact("time", datalog.DateOf(t))
}
