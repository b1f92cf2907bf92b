package samples

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// The kinds of an [Outcome] that are not errors of the token itself.
const (
	KindOk               = "Ok"
	KindUnauthorized     = "FailedLogic/Unauthorized"
	KindNoMatchingPolicy = "FailedLogic/NoMatchingPolicy"
	KindInvalidBlockRule = "FailedLogic/InvalidBlockRule"
	// KindUnclassified is an error that no sentinel classifies.
	KindUnclassified = "Unclassified"
)

// Outcome is the result of one validation, as data: what the reference's
// Result<usize, error::Token> says, without its message text.
type Outcome struct {
	// Kind is the variant path: "Ok", "FailedLogic/Unauthorized",
	// "Format/Signature/InvalidSignature", "Execution/Overflow", ...
	Kind string
	// Policy is the matched policy, for Ok and Unauthorized.
	Policy *Policy
	// Checks are the failed checks, for Unauthorized and NoMatchingPolicy,
	// in the order the reference lists them.
	Checks []FailedCheck
	// Rule is the offending rule, for InvalidBlockRule.
	Rule *BlockRule
}

// Policy is a matched policy: its kind and its index among the
// authorizer's policies.
type Policy struct {
	Allow bool
	Index int
}

// FailedCheck is a check that failed: the authorizer's, or a block's.
type FailedCheck struct {
	Authorizer bool
	Block      int // when not Authorizer
	Check      int // index among its block's checks
	Rule       string
}

// BlockRule is a rule that a block may not hold, printed. The reference's
// InvalidBlockRule also has a number, which is always 0 (biscuit-rust,
// token/builder/authorizer.rs, load_and_translate_block): it is not
// compared.
type BlockRule struct {
	Rule string
}

var _ fmt.Stringer = Outcome{}

func (o Outcome) String() string {
	s := o.Kind
	if o.Policy != nil {
		kind := "Deny"
		if o.Policy.Allow {
			kind = "Allow"
		}
		s += fmt.Sprintf(" policy=%s(%d)", kind, o.Policy.Index)
	}
	for _, c := range o.Checks {
		if c.Authorizer {
			s += fmt.Sprintf(" [authorizer check %d: %s]", c.Check, c.Rule)
		} else {
			s += fmt.Sprintf(" [block %d check %d: %s]", c.Block, c.Check, c.Rule)
		}
	}
	if o.Rule != nil {
		s += fmt.Sprintf(" [rule: %s]", o.Rule.Rule)
	}
	return s
}

// OutcomeOf classifies what Codios returned: a decision, or the error of
// parsing or authorizing a token, through its sentinel errors.
func OutcomeOf(d *token.Decision, err error) Outcome {
	if err != nil {
		return errorOutcome(err)
	}
	var o Outcome
	if d.Policy != nil {
		o.Policy = &Policy{Allow: d.Policy.Policy.Kind == datalog.Allow, Index: d.Policy.Index}
	}
	for _, c := range d.FailedChecks {
		fc := FailedCheck{Authorizer: c.Block == datalog.AuthorizerBlock, Check: c.Index, Rule: c.Check.String()}
		if !fc.Authorizer {
			fc.Block = int(c.Block)
		}
		o.Checks = append(o.Checks, fc)
	}
	switch {
	case d.Allowed:
		o.Kind = KindOk
	case d.Policy != nil:
		o.Kind = KindUnauthorized
	default:
		o.Kind = KindNoMatchingPolicy
	}
	return o
}

// executionErrors maps the datalog package's evaluation errors to the
// reference's error::Expression variants, tested in this order.
var executionErrors = []struct {
	err  error
	name string
}{
	{datalog.ErrUndefinedExtern, "UndefinedExtern"},
	{datalog.ErrExtern, "ExternEvalError"},
	{datalog.ErrInvalidType, "InvalidType"},
	{datalog.ErrOverflow, "Overflow"},
	{datalog.ErrDivideByZero, "DivideByZero"},
	{datalog.ErrShadowedVariable, "ShadowedVariable"},
	{datalog.ErrUnknownVariable, "UnknownVariable"},
	{datalog.ErrInvalidStack, "InvalidStack"},
}

func errorOutcome(err error) Outcome {
	if errors.Is(err, datalog.ErrInvalidBlockRule) {
		o := Outcome{Kind: KindInvalidBlockRule}
		if re, ok := errors.AsType[*datalog.RuleError](err); ok {
			o.Rule = &BlockRule{Rule: re.Source}
		}
		return o
	}
	for _, e := range executionErrors {
		if errors.Is(err, e.err) {
			return Outcome{Kind: "Execution/" + e.name}
		}
	}
	switch {
	case errors.Is(err, token.ErrInvalidSignature):
		return Outcome{Kind: "Format/Signature/InvalidSignature"}
	case errors.Is(err, token.ErrInvalidKey):
		return Outcome{Kind: "Format/InvalidKey"}
	case errors.Is(err, token.ErrFormat):
		// The token package has one sentinel for every format error. The
		// samples' one format error besides signatures is a signature of
		// the wrong size, which Verify reports before decoding any block.
		return Outcome{Kind: "Format/BlockSignatureDeserializationError"}
	case errors.Is(err, datalog.ErrLimit):
		return Outcome{Kind: "RunLimit"}
	}
	return Outcome{Kind: KindUnclassified}
}

// ParseOutcome reads the result of a validation in samples.json: {"Ok": n}
// or {"Err": <error::Token>} as the reference's serde prints it.
func ParseOutcome(raw json.RawMessage) (Outcome, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return Outcome{}, fmt.Errorf("result: %w", err)
	}
	if ok, found := top["Ok"]; found {
		var i int
		if err := json.Unmarshal(ok, &i); err != nil {
			return Outcome{}, fmt.Errorf("result Ok: %w", err)
		}
		return Outcome{Kind: KindOk, Policy: &Policy{Allow: true, Index: i}}, nil
	}
	e, found := top["Err"]
	if !found || len(top) != 1 {
		return Outcome{}, fmt.Errorf("result: neither Ok nor Err: %s", raw)
	}
	name, inner, err := variant(e)
	if err != nil {
		return Outcome{}, err
	}
	switch name {
	case "FailedLogic":
		return parseLogic(inner)
	case "Execution":
		// A unit variant is a string; one with data, an object.
		var unit string
		if json.Unmarshal(inner, &unit) == nil {
			return Outcome{Kind: "Execution/" + unit}, nil
		}
		sub, _, err := variant(inner)
		if err != nil {
			return Outcome{}, err
		}
		return Outcome{Kind: "Execution/" + sub}, nil
	}
	// Format and the others: the path of variant names down to the first
	// value that is not a variant (a message, which is not compared).
	kind := name
	for {
		sub, next, err := variant(inner)
		if err != nil {
			break
		}
		kind += "/" + sub
		inner = next
	}
	return Outcome{Kind: kind}, nil
}

// variant decodes {"Name": value}, a serde enum variant with data.
func variant(raw json.RawMessage) (string, json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err == nil && len(m) == 1 {
		for k, v := range m {
			return k, v, nil
		}
	}
	return "", nil, fmt.Errorf("result: not an enum variant: %s", raw)
}

func parseLogic(raw json.RawMessage) (Outcome, error) {
	name, inner, err := variant(raw)
	if err != nil {
		return Outcome{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(inner))
	dec.DisallowUnknownFields()
	switch name {
	case "Unauthorized":
		var u struct {
			Policy map[string]int    `json:"policy"`
			Checks []json.RawMessage `json:"checks"`
		}
		if err := dec.Decode(&u); err != nil {
			return Outcome{}, fmt.Errorf("Unauthorized: %w", err)
		}
		o := Outcome{Kind: KindUnauthorized}
		if len(u.Policy) != 1 {
			return Outcome{}, fmt.Errorf("Unauthorized: policy %v", u.Policy)
		}
		for k, i := range u.Policy {
			if k != "Allow" && k != "Deny" {
				return Outcome{}, fmt.Errorf("Unauthorized: policy kind %q", k)
			}
			o.Policy = &Policy{Allow: k == "Allow", Index: i}
		}
		o.Checks, err = parseChecks(u.Checks)
		return o, err
	case "NoMatchingPolicy":
		var u struct {
			Checks []json.RawMessage `json:"checks"`
		}
		if err := dec.Decode(&u); err != nil {
			return Outcome{}, fmt.Errorf("NoMatchingPolicy: %w", err)
		}
		checks, err := parseChecks(u.Checks)
		return Outcome{Kind: KindNoMatchingPolicy, Checks: checks}, err
	case "InvalidBlockRule":
		var u []json.RawMessage
		if err := dec.Decode(&u); err != nil || len(u) != 2 {
			return Outcome{}, fmt.Errorf("InvalidBlockRule: %s", inner)
		}
		var r BlockRule
		if err := json.Unmarshal(u[1], &r.Rule); err != nil {
			return Outcome{}, fmt.Errorf("InvalidBlockRule: %w", err)
		}
		return Outcome{Kind: KindInvalidBlockRule, Rule: &r}, nil
	}
	return Outcome{Kind: "FailedLogic/" + name}, nil
}

func parseChecks(raws []json.RawMessage) ([]FailedCheck, error) {
	var checks []FailedCheck
	for _, raw := range raws {
		name, inner, err := variant(raw)
		if err != nil {
			return nil, err
		}
		var c struct {
			BlockID *int   `json:"block_id"`
			CheckID int    `json:"check_id"`
			Rule    string `json:"rule"`
		}
		if err := json.Unmarshal(inner, &c); err != nil {
			return nil, fmt.Errorf("failed check: %w", err)
		}
		fc := FailedCheck{Check: c.CheckID, Rule: c.Rule}
		switch {
		case name == "Authorizer" && c.BlockID == nil:
			fc.Authorizer = true
		case name == "Block" && c.BlockID != nil:
			fc.Block = *c.BlockID
		default:
			return nil, fmt.Errorf("failed check: %s", raw)
		}
		checks = append(checks, fc)
	}
	return checks, nil
}
