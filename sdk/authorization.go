package sdk

import (
	"context"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// Authorization is what the guard decided for an allowed request: the
// Verdict's Auth, which a host hands to the service's handler (the
// net/http adapter puts it in the request's context).
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
