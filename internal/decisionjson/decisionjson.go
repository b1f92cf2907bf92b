// Package decisionjson is the one JSON form of an authorization decision:
// what "codios authorize --json" prints, what the playground's API answers
// and what an audit record of the sdk holds. A decision is its outcome,
// the matched policy, every failed check and the token's blocks.
//
// A Check and a Policy encode themselves by appending ([Check.AppendJSON],
// [Policy.AppendJSON]) rather than through reflection: the sdk's
// middleware writes one audit line per request, and those lines go
// through the same encoder as everything else. They decode with
// encoding/json as usual.
package decisionjson

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// Decision is a decision in JSON.
type Decision struct {
	// Allowed is true when an allow policy matched and no check failed.
	Allowed bool `json:"allowed"`
	// Policy is the matched policy, null when none matched.
	Policy *Policy `json:"policy"`
	// FailedChecks are every failed check, the authorizer's first; never
	// null.
	FailedChecks []Check `json:"failed_checks"`
	// Blocks are the token's blocks, authority first.
	Blocks []Block `json:"blocks,omitempty"`
}

// Policy is the policy that matched.
type Policy struct {
	// Index is the policy's place among the authorizer's policies; -1
	// when an old audit log kept the policy's source alone.
	Index int `json:"index"`
	// Kind is "allow" or "deny".
	Kind string `json:"kind"`
	// Source is the policy's canonical Datalog.
	Source string `json:"source"`
	Position
}

// Check is a check that failed.
type Check struct {
	// Block is the check's block, -1 for the authorizer's own checks.
	Block int `json:"block"`
	// Index is the check's place among its block's checks.
	Index int `json:"index"`
	// Agent names who wrote the block, when the caller knows it: the sdk
	// does from the token's delegation chain, the playground from its
	// editors.
	Agent string `json:"agent,omitempty"`
	// Source is the check's canonical Datalog.
	Source string `json:"source"`
	Position
	// Missing, when the decision is explained, are the check's
	// predicates that no fact of the world matches.
	Missing []string `json:"missing,omitempty"`
	// Expired is set when the check is an expiry check (token.ExpiredAt):
	// the time, RFC 3339, at which the token expired.
	Expired string `json:"expired,omitempty"`
}

// Position is where a check or a policy is in its source: absent for
// one decoded from a token, which keeps no source.
type Position struct {
	// File names the source when the caller knows it: the CLI's policy
	// file.
	File string `json:"file,omitempty"`
	// Line and Col count from 1; zero when unknown.
	Line int `json:"line,omitempty"`
	Col  int `json:"col,omitempty"`
}

func positionOf(p datalog.Pos) Position { return Position{Line: p.Line, Col: p.Column} }

// At is file:line:col, line:col without a file, or "" when unknown.
func (p Position) At() string {
	if p.Line <= 0 {
		return ""
	}
	s := strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
	if p.File != "" {
		s = p.File + ":" + s
	}
	return s
}

func (p *Position) appendJSON(b []byte) []byte {
	if p.File != "" {
		b = AppendString(append(b, `,"file":`...), p.File)
	}
	if p.Line > 0 {
		b = strconv.AppendInt(append(b, `,"line":`...), int64(p.Line), 10)
		b = strconv.AppendInt(append(b, `,"col":`...), int64(p.Col), 10)
	}
	return b
}

// Block is a block of the token.
type Block struct {
	Index int `json:"index"`
	// Signer says who vouches for the block, as token.Block.SignedBy
	// names it.
	Signer string `json:"signer"`
	// ExternalKey is a third-party block's key.
	ExternalKey string `json:"external_key,omitempty"`
}

// New is d in JSON, with the blocks of t when t is not nil.
func New(d *token.Decision, t *token.Token) *Decision {
	out := &Decision{Allowed: d.Allowed, FailedChecks: make([]Check, len(d.FailedChecks))}
	if d.Policy != nil {
		out.Policy = NewPolicy(d.Policy)
	}
	for i, fc := range d.FailedChecks {
		out.FailedChecks[i] = NewCheck(fc)
	}
	if t != nil {
		for i, b := range t.Blocks() {
			jb := Block{Index: i, Signer: b.SignedBy()}
			if b.ExternalKey != nil {
				jb.ExternalKey = b.ExternalKey.String()
			}
			out.Blocks = append(out.Blocks, jb)
		}
	}
	return out
}

// NewPolicy is a matched policy in JSON.
func NewPolicy(p *datalog.MatchedPolicy) *Policy {
	kind := "deny"
	if p.Policy.Kind == datalog.Allow {
		kind = "allow"
	}
	return &Policy{Index: p.Index, Kind: kind, Source: p.Policy.String(), Position: positionOf(p.Policy.Pos)}
}

// NewCheck is a failed check in JSON.
func NewCheck(fc datalog.FailedCheck) Check {
	c := Check{Block: int(fc.Block), Index: fc.Index, Source: fc.Check.String(), Position: positionOf(fc.Check.Pos)}
	if at, ok := token.ExpiredAt(fc.Check); ok {
		c.Expired = at.Format(time.RFC3339)
	}
	return c
}

// Describe is the check for a person: its source, and for an expiry
// check first that the token expired, and when.
func (c *Check) Describe() string {
	if c.Expired != "" {
		return "the token expired at " + c.Expired + ": " + c.Source
	}
	return c.Source
}

// Where names the check's block as people read it: "block 1",
// "authorizer".
func (c *Check) Where() string { return datalog.BlockID(c.Block).String() }

// AppendJSON appends p's JSON object to b.
func (p *Policy) AppendJSON(b []byte) []byte {
	b = strconv.AppendInt(append(b, `{"index":`...), int64(p.Index), 10)
	b = AppendString(append(b, `,"kind":`...), p.Kind)
	b = AppendString(append(b, `,"source":`...), p.Source)
	b = p.Position.appendJSON(b)
	return append(b, '}')
}

// MarshalJSON is AppendJSON, for encoding/json.
func (p Policy) MarshalJSON() ([]byte, error) { return p.AppendJSON(nil), nil }

// UnmarshalJSON reads a policy object or, as audit logs before policies
// were objects held it, the policy's source alone.
func (p *Policy) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		*p = Policy{Index: -1}
		return json.Unmarshal(data, &p.Source)
	}
	type plain Policy // without its methods
	return json.Unmarshal(data, (*plain)(p))
}

// AppendJSON appends c's JSON object to b.
func (c *Check) AppendJSON(b []byte) []byte {
	b = strconv.AppendInt(append(b, `{"block":`...), int64(c.Block), 10)
	b = strconv.AppendInt(append(b, `,"index":`...), int64(c.Index), 10)
	if c.Agent != "" {
		b = AppendString(append(b, `,"agent":`...), c.Agent)
	}
	b = AppendString(append(b, `,"source":`...), c.Source)
	b = c.Position.appendJSON(b)
	if c.Expired != "" {
		b = AppendString(append(b, `,"expired":`...), c.Expired)
	}
	if len(c.Missing) > 0 {
		b = append(b, `,"missing":[`...)
		for i, m := range c.Missing {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, m)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// MarshalJSON is AppendJSON, for encoding/json.
func (c Check) MarshalJSON() ([]byte, error) { return c.AppendJSON(nil), nil }

// AppendChecks appends a JSON array of checks to b.
func AppendChecks(b []byte, checks []Check) []byte {
	b = append(b, '[')
	for i := range checks {
		if i > 0 {
			b = append(b, ',')
		}
		b = checks[i].AppendJSON(b)
	}
	return append(b, ']')
}

// AppendString appends s as a JSON string: printable ASCII directly,
// anything else (quotes, control characters, other UTF-8, invalid bytes)
// through encoding/json, which escapes it.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
