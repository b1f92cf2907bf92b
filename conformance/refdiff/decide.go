package refdiff

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// Decision is one implementation's decision of a case, in the JSON form
// the reference program writes.
type Decision struct {
	Outcome    string    `json:"outcome"` // "allow", "deny" or "error"
	Policy     *int      `json:"policy"`
	PolicyKind *string   `json:"policy_kind"` // "allow" or "deny"
	Checks     []CheckID `json:"checks"`
	// Error is the kind of an error outcome: "parse", "execution",
	// "limit", "format" or "other".
	Error string `json:"error"`
	// Stage and Detail say where and what, for the log only.
	Stage  string `json:"stage"`
	Detail string `json:"detail"`
	// Token is the minted token (hex), when the case minted one.
	Token string `json:"token"`
}

// CheckID names a failed check: its block (AuthorizerBlock for the
// authorizer's) and its index among the block's checks.
type CheckID struct {
	Block int
	Index int
}

func (c *CheckID) UnmarshalJSON(data []byte) error {
	var raw struct {
		Block json.RawMessage `json:"block"`
		Index int             `json:"index"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	c.Index = raw.Index
	if string(raw.Block) == `"authorizer"` {
		c.Block = int(datalog.AuthorizerBlock)
		return nil
	}
	return json.Unmarshal(raw.Block, &c.Block)
}

// Summary is what the comparison looks at: the outcome, the matched
// policy, the set of failed checks, and an error's kind.
func (d *Decision) Summary() string {
	switch d.Outcome {
	case "error":
		return "error " + d.Error
	case "allow", "deny":
		pol := "none"
		if d.Policy != nil && d.PolicyKind != nil {
			pol = fmt.Sprintf("%s#%d", *d.PolicyKind, *d.Policy)
		}
		checks := slices.Clone(d.Checks)
		slices.SortFunc(checks, func(a, b CheckID) int {
			if a.Block != b.Block {
				return a.Block - b.Block
			}
			return a.Index - b.Index
		})
		var cs []string
		for _, c := range checks {
			cs = append(cs, fmt.Sprintf("%d/%d", c.Block, c.Index))
		}
		return fmt.Sprintf("%s policy=%s failed=[%s]", d.Outcome, pol, strings.Join(cs, " "))
	}
	return "unknown " + d.Outcome
}

// Limits are the evaluation limits of a case, as Codios takes them.
func (c *Case) Limits() datalog.Limits {
	return datalog.Limits{MaxFacts: c.MaxFacts, MaxIterations: c.MaxIterations, MaxTime: time.Duration(c.MaxTimeMS) * time.Millisecond}
}

// DecideCodios decides a case with Codios: it mints, attenuates and
// authorizes the token the case describes, or, when the case gives one,
// parses the token's bytes and authorizes them.
func DecideCodios(c *Case) Decision {
	root, err := privateKey(c.Root)
	if err != nil {
		return failure("root", err)
	}
	limits := &token.Limits{Datalog: c.Limits()}
	var t *token.Token
	if c.Token != nil {
		data, err := hex.DecodeString(*c.Token)
		if err != nil {
			return failure("token", err)
		}
		if t, err = token.Parse(data, root.Public(), limits); err != nil {
			return failure("token", err)
		}
	} else {
		if t, err = mint(c, root); err != nil {
			var stage *stageError
			if errors.As(err, &stage) {
				return failure(stage.stage, stage.err)
			}
			return failure("mint", err)
		}
	}
	d := authorize(c, t)
	if c.Token == nil {
		d.Token = hex.EncodeToString(t.Serialize())
	}
	return d
}

type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.stage + ": " + e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

func mint(c *Case, root *token.PrivateKey) (*token.Token, error) {
	opts := &datalog.ParseOptions{Limits: c.Limits()}
	authority, err := datalog.ParseBlock(c.Authority, opts)
	if err != nil {
		return nil, &stageError{"block 0", err}
	}
	t, err := token.New(root, authority, nil)
	if err != nil {
		return nil, &stageError{"block 0", err}
	}
	for i, b := range c.Blocks {
		stage := fmt.Sprintf("block %d", i+1)
		p, err := datalog.ParseBlock(b.Source, opts)
		if err != nil {
			return nil, &stageError{stage, err}
		}
		if b.Key == nil {
			t, err = t.Append(p, nil)
		} else {
			t, err = appendThirdParty(t, p, *b.Key)
		}
		if err != nil {
			return nil, &stageError{stage, err}
		}
	}
	return t, nil
}

func appendThirdParty(t *token.Token, p *datalog.Program, secret string) (*token.Token, error) {
	key, err := privateKey(secret)
	if err != nil {
		return nil, err
	}
	req, err := t.ThirdPartyRequest()
	if err != nil {
		return nil, err
	}
	b, err := req.Sign(key, p)
	if err != nil {
		return nil, err
	}
	return t.AppendThirdParty(b, nil)
}

func authorize(c *Case, t *token.Token) Decision {
	a, err := token.ParseAuthorizer(c.Authorizer, nil, &token.AuthorizerOptions{Limits: c.Limits()})
	if err != nil {
		return failure("authorizer", err)
	}
	req := &token.Request{}
	if c.Time != "" {
		if req.Time, err = time.Parse(time.RFC3339, c.Time); err != nil {
			return failure("time", err)
		}
	}
	dec, err := a.Authorize(context.Background(), t, req)
	if err != nil {
		return failure("authorize", err)
	}
	d := Decision{Outcome: "deny"}
	if dec.Allowed {
		d.Outcome = "allow"
	}
	if dec.Policy != nil {
		i, kind := dec.Policy.Index, "allow"
		if dec.Policy.Policy.Kind == datalog.Deny {
			kind = "deny"
		}
		d.Policy, d.PolicyKind = &i, &kind
	}
	for _, f := range dec.FailedChecks {
		d.Checks = append(d.Checks, CheckID{Block: int(f.Block), Index: f.Index})
	}
	return d
}

func privateKey(secret string) (*token.PrivateKey, error) {
	b, err := hex.DecodeString(secret)
	if err != nil {
		return nil, err
	}
	return token.NewPrivateKey(token.Ed25519, b)
}

// PublicKeyHex returns the public key of an ed25519 secret, hex.
func PublicKeyHex(secret string) (string, error) {
	k, err := privateKey(secret)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(k.Public().Bytes()), nil
}

func failure(stage string, err error) Decision {
	return Decision{Outcome: "error", Error: errorKind(err), Stage: stage, Detail: err.Error()}
}

// errorKind sorts Codios's errors as the reference program sorts its own.
func errorKind(err error) string {
	var pe *datalog.ParseError
	var pes datalog.ParseErrors
	switch {
	case errors.As(err, &pe), errors.As(err, &pes):
		return "parse"
	case errors.Is(err, datalog.ErrLimit):
		return "limit"
	case errors.Is(err, token.ErrFormat):
		return "format"
	case errors.Is(err, datalog.ErrInvalidType), errors.Is(err, datalog.ErrOverflow),
		errors.Is(err, datalog.ErrDivideByZero), errors.Is(err, datalog.ErrInvalidStack),
		errors.Is(err, datalog.ErrShadowedVariable), errors.Is(err, datalog.ErrUnknownVariable),
		errors.Is(err, datalog.ErrUndefinedExtern), errors.Is(err, datalog.ErrExtern),
		errors.Is(err, datalog.ErrInvalidBlockRule):
		return "execution"
	}
	return "other"
}
