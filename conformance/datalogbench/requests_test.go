package datalogbench

import (
	"context"
	"fmt"
	"time"

	"github.com/codios/codios/datalog"
)

// request is a benchmark request in source text: its blocks (the
// authority block first), the authorizer, and the facts the service adds
// for the request.
type request struct {
	name       string
	blocks     []string
	authorizer string
	facts      []string
}

// benchRequests are the requests of the evaluation benchmarks, each
// allowed by policy 0.
func benchRequests() []request {
	return []request{
		{name: "1000Facts", blocks: []string{factsBlock()}, authorizer: factsAuthorizer},
		{name: "1000Rules", blocks: []string{rulesBlock()}, authorizer: rulesAuthorizer},
		{
			name:       "StandardRequest",
			blocks:     []string{standardAuthority, standardHop1, standardHop2, standardHop3},
			authorizer: standardAuthorizer,
			facts:      []string{standardTime},
		},
	}
}

// answer is what an engine decided, in terms both engines share.
type answer struct {
	// policy is the index of the policy that matched, -1 for none.
	policy int
	// failed lists the failed checks in the order they were evaluated:
	// the authorizer's (block -1), the authority block's, then the other
	// blocks'.
	failed []failedCheck
	// facts counts the distinct facts of each predicate, given and
	// derived, across every world the engine evaluated.
	facts map[string]int
}

type failedCheck struct{ block, index int }

func (a answer) String() string {
	return fmt.Sprintf("policy %d, failed checks %v, facts %v", a.policy, a.failed, a.facts)
}

// codiosLimits are the default limits with more time: MaxTime is
// wall-clock time, and on a busy machine a run of a millisecond has been
// stalled past a second. Limits bound the work; they do not change it.
var codiosLimits = datalog.Limits{MaxTime: time.Minute}

// codiosRequest is a request for Codios, parsed once.
type codiosRequest struct {
	blocks     []*datalog.Program
	authorizer *datalog.Program
	facts      []datalog.Fact
}

func parseCodios(r request) (*codiosRequest, error) {
	c := &codiosRequest{}
	for i, src := range r.blocks {
		p, err := datalog.ParseBlock(src, &datalog.ParseOptions{Filename: fmt.Sprintf("%s block %d", r.name, i)})
		if err != nil {
			return nil, err
		}
		c.blocks = append(c.blocks, p)
	}
	p, err := datalog.ParseAuthorizer(r.authorizer, &datalog.ParseOptions{Filename: r.name + " authorizer"})
	if err != nil {
		return nil, err
	}
	c.authorizer = p
	for _, src := range r.facts {
		f, err := datalog.ParseFact(src, nil)
		if err != nil {
			return nil, err
		}
		c.facts = append(c.facts, f)
	}
	return c, nil
}

// authorize is Codios's per-request work: a new world, the blocks, the
// authorizer and the request's facts added, then Authorize, which runs
// the fixpoint, the checks and the policies.
func (c *codiosRequest) authorize() (*datalog.World, *datalog.Result, error) {
	w := datalog.NewWorld(&datalog.Options{Limits: codiosLimits})
	for _, p := range c.blocks {
		if _, err := w.AddBlock(p, nil); err != nil {
			return nil, nil, err
		}
	}
	if err := w.AddAuthorizer(c.authorizer); err != nil {
		return nil, nil, err
	}
	for _, f := range c.facts {
		if err := w.AddFact(f); err != nil {
			return nil, nil, err
		}
	}
	res, err := w.Authorize(context.Background())
	return w, res, err
}

func (c *codiosRequest) answer() (answer, error) {
	w, res, err := c.authorize()
	if err != nil {
		return answer{}, err
	}
	a := answer{policy: -1, facts: map[string]int{}}
	if res.Policy != nil {
		a.policy = res.Policy.Index
	}
	for _, f := range res.FailedChecks {
		a.failed = append(a.failed, failedCheck{int(f.Block), f.Index})
	}
	// A fact derived from two origins is listed once for each.
	seen := map[string]bool{}
	for _, g := range w.Facts() {
		for _, f := range g.Facts {
			if s := f.String(); !seen[s] {
				seen[s] = true
				a.facts[f.Name]++
			}
		}
	}
	return a, nil
}
