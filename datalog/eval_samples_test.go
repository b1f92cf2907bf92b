package datalog

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/codios/codios/internal/samples"
)

// testExterns is the extern function of sample 35, as the samples define it.
var testExterns = map[string]ExternFunc{
	"test": func(left, right Term) (Term, error) {
		if right == nil {
			return left, nil
		}
		l, lok := left.(String)
		r, rok := right.(String)
		switch {
		case lok && rok && l == r:
			return String("equal strings"), nil
		case lok && rok:
			return String("different strings"), nil
		}
		return nil, errors.New("unsupported arguments")
	},
}

// TestEvaluateSamples runs every sample validation whose outcome is
// decided by Datalog (not by signatures) and compares the decision, the
// failed checks and the facts of the world with the reference's.
func TestEvaluateSamples(t *testing.T) {
	f := loadSamples(t)
	ran := 0
	for _, tc := range f.TestCases {
		for name, v := range tc.Validations {
			var want map[string]json.RawMessage
			if err := json.Unmarshal(v.Result, &want); err != nil {
				t.Fatal(err)
			}
			if e, ok := want["Err"]; ok && strings.Contains(string(e), "Format") {
				continue // a signature or format error: the token layer's
			}
			ran++
			t.Run(tc.Filename+"/"+name, func(t *testing.T) {
				want := normalizeJSON(t, v.Result)
				if got := evaluateSample(t, tc, v, nil); got != want {
					t.Errorf("result\n got %s\nwant %s", got, want)
				}
				// The same from the blocks and the authorizer
				// without its facts, frozen, the facts added to the
				// frozen world's. Two worlds in turn: the first must
				// leave the frozen world as it found it.
				var frozen *Frozen
				for i := range 2 {
					if got := evaluateSample(t, tc, v, &frozen); got != want {
						t.Errorf("frozen world's world %d: result\n got %s\nwant %s", i, got, want)
					}
				}
			})
		}
	}
	if ran == 0 {
		t.Fatal("no sample validations ran")
	}
}

// evaluateSample evaluates a sample validation in a world of its own or,
// with frozen, in a world started from *frozen, which it makes first if
// nil.
func evaluateSample(t *testing.T, tc samples.TestCase, v samples.Validation, frozen **Frozen) string {
	t.Helper()
	auth, err := ParseAuthorizer(v.AuthorizerCode, nil)
	if err != nil {
		t.Fatalf("authorizer: %v", err)
	}
	if frozen == nil {
		w, res := loadSample(t, tc, auth)
		if res != "" {
			return res
		}
		return decideSample(t, v, w)
	}
	facts := auth.Facts
	policy := *auth
	policy.Facts = nil
	if *frozen == nil {
		base, res := loadSample(t, tc, &policy)
		if res != "" {
			return res
		}
		if *frozen, err = base.Freeze(); err != nil {
			return normalize(t, fmt.Sprintf(`{"Err":{"Execution":%q}}`, executionName(t, err)))
		}
	}
	var res string
	(*frozen).With(func(w *World) error {
		for _, f := range facts {
			if err := w.AddFact(f); err != nil {
				t.Fatal(err)
			}
		}
		res = decideSample(t, v, w)
		return nil
	})
	return res
}

// decideSample authorizes a loaded world, and returns its result as the
// samples write it.
func decideSample(t *testing.T, v samples.Validation, w *World) string {
	res, err := w.Authorize(context.Background())
	if err != nil {
		return normalize(t, fmt.Sprintf(`{"Err":{"Execution":%q}}`, executionName(t, err)))
	}
	if v.World != nil {
		compareFacts(t, w, v.World)
	}
	if res.Allowed() {
		return normalize(t, fmt.Sprintf(`{"Ok":%d}`, res.Policy.Index))
	}
	var checks []string
	for _, c := range res.FailedChecks {
		if c.Block == AuthorizerBlock {
			checks = append(checks, fmt.Sprintf(`{"Authorizer":{"check_id":%d,"rule":%q}}`, c.Index, c.Check.String()))
		} else {
			checks = append(checks, fmt.Sprintf(`{"Block":{"block_id":%d,"check_id":%d,"rule":%q}}`, c.Block, c.Index, c.Check.String()))
		}
	}
	list := "[" + strings.Join(checks, ",") + "]"
	if res.Policy == nil {
		return normalize(t, `{"Err":{"FailedLogic":{"NoMatchingPolicy":{"checks":`+list+`}}}}`)
	}
	kind := "Allow"
	if res.Policy.Policy.Kind == Deny {
		kind = "Deny"
	}
	return normalize(t, fmt.Sprintf(`{"Err":{"FailedLogic":{"Unauthorized":{"policy":{%q:%d},"checks":%s}}}}`, kind, res.Policy.Index, list))
}

// loadSample adds a sample's blocks and the authorizer to a new world,
// or returns the sample's result if a block is refused.
func loadSample(t *testing.T, tc samples.TestCase, auth *Program) (*World, string) {
	t.Helper()
	w := NewWorld(&Options{Externs: testExterns})
	for i, b := range tc.Token {
		prog, err := parseUnsafe(b.Code)
		if err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		var key *PublicKey
		if b.ExternalKey != nil {
			k := parseKey(t, *b.ExternalKey)
			key = &k
		}
		if _, err := w.AddBlock(prog, key); err != nil {
			var re *RuleError
			if errors.As(err, &re) && errors.Is(err, ErrInvalidBlockRule) {
				return nil, normalize(t, fmt.Sprintf(`{"Err":{"FailedLogic":{"InvalidBlockRule":[0,%q]}}}`, re.Source))
			}
			t.Fatalf("block %d: %v", i, err)
		}
	}
	if err := w.AddAuthorizer(auth); err != nil {
		t.Fatal(err)
	}
	return w, ""
}

func executionName(t *testing.T, err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{
		{ErrInvalidType, "InvalidType"}, {ErrShadowedVariable, "ShadowedVariable"}, {ErrOverflow, "Overflow"},
		{ErrDivideByZero, "DivideByZero"}, {ErrUnknownVariable, "UnknownVariable"},
	} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	t.Fatalf("unexpected error: %v", err)
	return ""
}

func compareFacts(t *testing.T, w *World, want *samples.World) {
	t.Helper()
	var got []string
	for _, g := range w.Facts() {
		for _, f := range g.Facts {
			got = append(got, fmt.Sprint(g.Origin, " ", f))
		}
	}
	var exp []string
	for _, g := range want.Facts {
		var origin []BlockID
		for _, o := range g.Origin {
			if o == nil {
				origin = append(origin, AuthorizerBlock)
			} else {
				origin = append(origin, BlockID(*o))
			}
		}
		for _, f := range g.Facts {
			exp = append(exp, fmt.Sprint(origin, " ", f))
		}
	}
	slices.Sort(got)
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		t.Errorf("facts\n got %q\nwant %q", got, exp)
	}
}

func parseKey(t *testing.T, s string) PublicKey {
	alg, h, _ := strings.Cut(s, "/")
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	k := PublicKey{Algorithm: Ed25519, Key: b}
	if alg == "secp256r1" {
		k.Algorithm = Secp256r1
	}
	return k
}

func normalize(t *testing.T, s string) string { return normalizeJSON(t, json.RawMessage(s)) }

func normalizeJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v in %s", err, raw)
	}
	out, _ := json.Marshal(v)
	return string(out)
}
