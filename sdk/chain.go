package sdk

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// The facts of the delegation vocabulary. A block names the agent that
// holds the token from that block on, and the agent's public key, so that
// the next hop, signed with that key, is tied to the name:
//
//	agent("research");
//	agent_key("ed25519/7ab3...");
//	budget(5, "1m");
//
// These facts are read from each block's own source, never from the
// evaluated world: what a block says of itself is trusted by no other
// block, and the names serve the audit trail, not authorization.
const (
	factAgent    = "agent"
	factAgentKey = "agent_key"
	factBudget   = "budget"
)

// Hop is one block of a token's delegation chain, as the audit trail
// records it.
type Hop struct {
	// Block is the block's index: 0 for the authority block.
	Block int `json:"block"`
	// RevocationID is the block's revocation id in hex: revoking it cuts
	// off this hop and every token derived from it.
	RevocationID string `json:"revocation_id"`
	// Signer is the key of the agent (or third party) that signed the
	// block, for a third-party block; empty for the others.
	Signer string `json:"signer,omitempty"`
	// SignedBy is the name an earlier block gives to Signer, with
	// agent_key: the agent that narrowed the token at this hop.
	SignedBy string `json:"signed_by,omitempty"`
	// Agent is the agent the block hands the token to, from its agent
	// fact; empty when it names none, or when the block's author is not
	// established (see readChain).
	Agent string `json:"agent,omitempty"`
}

// Budget is a call budget a block declares with budget(calls, "period"):
// at most Calls authorized calls in any Period, shared by every token
// derived from the block.
type Budget struct {
	Calls  int
	Period time.Duration
}

// Budget bounds: a budget outside them makes the token invalid, so that a
// hostile block cannot make the budget store hold an unbounded log.
const (
	MaxBudgetCalls  = 100_000
	MinBudgetPeriod = time.Second
	MaxBudgetPeriod = 24 * time.Hour
	// MaxTokenBudgets bounds the budgets one token declares, in all its
	// blocks: each is counted, under the store's lock, on every call.
	MaxTokenBudgets = 16
)

// chain is what the guard reads from a verified token's blocks.
type chain struct {
	hops    []Hop
	json    json.RawMessage // hops, as audit records write them
	budgets []BudgetKey
}

// maxChainMemoBytes bounds the tokens a guard's chain memo keeps
// alive, by their estimated memory: as much as the default token cache.
const maxChainMemoBytes = DefaultCacheBytes

// chainMemo remembers the chain of each verified token, by the token's
// pointer: a token.Cache hands out the same *Token for the same bytes,
// so a repeated token is read once. As it holds the tokens, it counts
// their memory, and when that passes maxChainMemoBytes it starts over,
// which costs a re-read per token, never a wrong answer: a pointer is one
// token for as long as it is held here.
type chainMemo struct {
	mu     sync.RWMutex
	chains map[*token.Token]*chain
	bytes  int
}

func (m *chainMemo) get(tok *token.Token) (*chain, error) {
	m.mu.RLock()
	c, ok := m.chains[tok]
	m.mu.RUnlock()
	if ok {
		return c, nil
	}
	c, err := readChain(tok)
	if err != nil {
		return nil, err
	}
	if c.json, err = json.Marshal(c.hops); err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.chains == nil || m.bytes+tok.MemoryBytes() > maxChainMemoBytes {
		m.chains, m.bytes = make(map[*token.Token]*chain), 0
	}
	if _, ok := m.chains[tok]; !ok {
		m.chains[tok] = c
		m.bytes += tok.MemoryBytes()
	}
	m.mu.Unlock()
	return c, nil
}

// Chain is a verified token's delegation chain, as the audit trail
// records it: one Hop per block, the authority block first. A block's
// agent name counts only when its author is established (see readChain),
// so tok must come from verification with the root key. An error is a
// malformed budget, which makes the token invalid.
func Chain(tok *token.Token) ([]Hop, error) {
	c, err := readChain(tok)
	if err != nil {
		return nil, err
	}
	return c.hops, nil
}

// readChain reads the delegation facts of every block. A malformed
// budget is an error: the token claims a limit that cannot be enforced.
//
// Anyone holding a token can append a block, so a block's agent fact
// counts only when the block's author is established: the authority
// block (the root key signed it), or a third-party block signed by a key
// that an established block named with agent_key. Names of other blocks
// are dropped, so that a holder cannot pass for another agent in the
// audit trail or in Authorization.Agent. Budgets count in every block:
// they only restrict.
func readChain(tok *token.Token) (*chain, error) {
	blocks := tok.Blocks()
	c := &chain{hops: make([]Hop, len(blocks))}
	names := map[string]string{} // agent_key text to agent name, from established blocks
	for i, b := range blocks {
		hop := Hop{Block: b.Index, RevocationID: hex.EncodeToString(b.RevocationID)}
		established := i == 0
		if b.ExternalKey != nil {
			hop.Signer = b.ExternalKey.String()
			hop.SignedBy = names[hop.Signer]
			established = hop.SignedBy != ""
		}
		var name, key string
		n := 0
		for _, f := range b.Program.Facts {
			switch {
			case f.Name == factAgent && len(f.Terms) == 1:
				if s, ok := f.Terms[0].(datalog.String); ok && name == "" && checkName(string(s)) == nil {
					name = string(s)
				}
			case f.Name == factAgentKey && len(f.Terms) == 1:
				if s, ok := f.Terms[0].(datalog.String); ok && key == "" {
					key = string(s)
				}
			case f.Name == factBudget:
				if len(c.budgets) == MaxTokenBudgets {
					return nil, fmt.Errorf("block %d: %w: a token declares at most %d budgets", b.Index, ErrInvalidBudget, MaxTokenBudgets)
				}
				bud, err := budgetOf(f)
				if err != nil {
					return nil, fmt.Errorf("block %d: %w", b.Index, err)
				}
				c.budgets = append(c.budgets, BudgetKey{Key: fmt.Sprintf("%x/%d", b.RevocationID, n), Budget: bud})
				n++
			}
		}
		if established {
			hop.Agent = name
			if key != "" && name != "" {
				names[key] = name
			}
		}
		c.hops[i] = hop
	}
	return c, nil
}

// budgetOf reads budget(calls, "period").
func budgetOf(f datalog.Fact) (Budget, error) {
	if len(f.Terms) != 2 {
		return Budget{}, fmt.Errorf("%w: %s: want budget(calls, \"period\")", ErrInvalidBudget, f)
	}
	calls, ok1 := f.Terms[0].(datalog.Integer)
	period, ok2 := f.Terms[1].(datalog.String)
	if !ok1 || !ok2 {
		return Budget{}, fmt.Errorf("%w: %s: want budget(calls, \"period\")", ErrInvalidBudget, f)
	}
	d, err := time.ParseDuration(string(period))
	if err != nil {
		return Budget{}, fmt.Errorf("%w: %s: period: %w", ErrInvalidBudget, f, err)
	}
	b := Budget{Calls: int(calls), Period: d}
	if err := b.validate(); err != nil {
		return Budget{}, fmt.Errorf("%w: %s", err, f)
	}
	return b, nil
}

func (b Budget) validate() error {
	if b.Calls < 1 || b.Calls > MaxBudgetCalls {
		return fmt.Errorf("%w: calls must be 1 to %d", ErrInvalidBudget, MaxBudgetCalls)
	}
	if b.Period < MinBudgetPeriod || b.Period > MaxBudgetPeriod {
		return fmt.Errorf("%w: period must be %v to %v", ErrInvalidBudget, MinBudgetPeriod, MaxBudgetPeriod)
	}
	return nil
}

// fact is the budget as a block declares it.
func (b Budget) fact() datalog.Fact {
	return datalog.NewFact(factBudget, datalog.Integer(b.Calls), datalog.String(formatPeriod(b.Period)))
}

// formatPeriod writes a period as time.ParseDuration reads it, shortly:
// "1m", not "1m0s".
func formatPeriod(d time.Duration) string {
	s := d.String()
	for _, unit := range []string{"h0m0s", "m0s"} {
		if len(s) > len(unit) && s[len(s)-len(unit):] == unit {
			return s[:len(s)-len(unit)+1]
		}
	}
	return s
}
