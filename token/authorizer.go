package token

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/codios/codios/datalog"
)

// Authorizer is a service's side of authorization: its policy (facts,
// rules, checks and allow/deny policies), parsed once and applied to every
// request. It is safe for concurrent use.
type Authorizer struct {
	policy  *datalog.Program
	limits  datalog.Limits
	externs map[string]datalog.ExternFunc
	// timeFact is the last second's time fact: requests a second apart
	// or less share it.
	timeFact atomic.Pointer[datalog.Fact]
}

// AuthorizerOptions are the optional settings of an Authorizer.
type AuthorizerOptions struct {
	// Limits bounds every evaluation.
	Limits datalog.Limits
	// Externs are the functions extern::name calls reach.
	Externs map[string]datalog.ExternFunc
	// Filename names the policy's source in ParseAuthorizer's errors.
	Filename string
}

// NewAuthorizer returns an authorizer for a parsed policy. The program is
// kept, not copied: do not change it afterwards.
func NewAuthorizer(policy *datalog.Program, opts *AuthorizerOptions) *Authorizer {
	if opts == nil {
		opts = &AuthorizerOptions{}
	}
	datalog.Reuse(policy) // compiled once, by the first request
	return &Authorizer{policy: policy, limits: opts.Limits, externs: opts.Externs}
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
	return NewAuthorizer(p, opts), nil
}

// Request is what one call brings to the authorizer besides the token.
type Request struct {
	// Time is the request's time, given as the fact time(...). The zero
	// time adds no fact.
	Time time.Time
	// Facts are the request's facts: resource, operation, and so on.
	Facts []datalog.Fact
	// Program holds more request-specific facts, rules, checks or
	// policies, evaluated as the authorizer's own.
	Program *datalog.Program
}

// Decision is the outcome of authorizing one request. Deny is a decision,
// not an error.
type Decision struct {
	// Allowed is true when an allow policy matched and no check failed.
	Allowed bool
	// Policy is the policy that matched, or nil when none did.
	Policy *datalog.MatchedPolicy
	// FailedChecks lists every check that failed, the authorizer's first.
	FailedChecks []datalog.FailedCheck

	// world is the evaluated world of a token authorized from scratch. A
	// token authorized from a snapshot gave its world back for the next
	// request: Facts and Query, which few calls ask, evaluate the same
	// request again from snap.
	world *datalog.World
	auth  *Authorizer
	snap  *datalog.Snapshot
	req   *Request
}

// Authorize evaluates the token's blocks, the request and the policy. An
// error is bad input or an exhausted limit; a denial is a Decision. The
// decision's Facts and Query read req again: leave it unchanged while
// the decision is in use.
func (a *Authorizer) Authorize(ctx context.Context, t *Token, req *Request) (*Decision, error) {
	if req == nil || req.Program == nil {
		if snap := a.snapshotOf(t); snap != nil {
			w := snap.World()
			defer w.Release()
			if err := a.addRequest(w, req); err != nil {
				return nil, err
			}
			res, err := w.Authorize(ctx)
			if err != nil {
				return nil, err
			}
			return &Decision{Allowed: res.Allowed(), Policy: res.Policy, FailedChecks: res.FailedChecks, auth: a, snap: snap, req: req}, nil
		}
	}
	w, err := a.load(t)
	if err != nil {
		return nil, err
	}
	if err := a.addRequest(w, req); err != nil {
		return nil, err
	}
	if err := w.AddAuthorizer(a.policy); err != nil {
		return nil, err
	}
	res, err := w.Authorize(ctx)
	if err != nil {
		return nil, err
	}
	return &Decision{Allowed: res.Allowed(), Policy: res.Policy, FailedChecks: res.FailedChecks, world: w}, nil
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

// load returns a new world holding the token's blocks.
func (a *Authorizer) load(t *Token) (*datalog.World, error) {
	w := datalog.NewWorld(&datalog.Options{Limits: a.limits, Externs: a.externs})
	for _, b := range t.blocks {
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

// evaluated returns the decision's evaluated world; Release it after use.
func (d *Decision) evaluated(ctx context.Context) (*datalog.World, error) {
	if d.world != nil {
		return d.world, nil
	}
	w := d.snap.World()
	if err := d.auth.addRequest(w, d.req); err != nil {
		w.Release()
		return nil, err
	}
	if err := w.Run(ctx); err != nil {
		w.Release()
		return nil, err
	}
	return w, nil
}

// Facts returns every fact of the evaluated world with its origin, to
// explain a decision; nil if evaluating it again for the purpose failed
// (its time limit, say).
func (d *Decision) Facts() []datalog.FactGroup {
	w, err := d.evaluated(context.Background())
	if err != nil {
		return nil
	}
	defer w.Release()
	return w.Facts()
}

// Query returns what a rule derives from the evaluated world, as the
// authorizer sees it: what may this token do?
func (d *Decision) Query(ctx context.Context, r datalog.Rule) ([]datalog.Fact, error) {
	w, err := d.evaluated(ctx)
	if err != nil {
		return nil, err
	}
	defer w.Release()
	return w.Query(ctx, r)
}
