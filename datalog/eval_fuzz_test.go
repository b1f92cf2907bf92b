package datalog

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// FuzzEvaluate parses a token block and an authorizer and evaluates them
// under tight limits: whatever the input, the result is a decision or a
// typed error, never a panic or a hang.
func FuzzEvaluate(f *testing.F) {
	if s, _, err := loadSamplesFile(); err == nil {
		for _, tc := range s.TestCases {
			for name, v := range tc.Validations {
				_ = name
				f.Add(tc.Token[0].Code, v.AuthorizerCode)
			}
		}
	}
	f.Add(`right("a"); r($x) <- right($x), $x.length() > 0;`, `resource("a"); allow if r($x), resource($x);`)
	f.Add(`edge(1, 2); edge(2, 3); p($x, $y) <- edge($x, $y); p($x, $z) <- p($x, $y), edge($y, $z);`, `check all p($x, $y), $x < $y; deny if p(3, 1); allow if true;`)
	f.Add(`check if [1, 2].any($x -> {$x}.contains(2));`, `allow if true;`)
	f.Fuzz(func(t *testing.T, block, authorizer string) {
		b, err := ParseBlock(block, nil)
		if err != nil {
			return
		}
		a, err := ParseAuthorizer(authorizer, nil)
		if err != nil {
			return
		}
		w := NewWorld(&Options{Limits: Limits{MaxFacts: 2000}, Externs: testExterns})
		if _, err := w.AddBlock(b, nil); err != nil {
			t.Fatalf("a parsed block was refused: %v", err)
		}
		if err := w.AddAuthorizer(a); err != nil {
			t.Fatalf("a parsed authorizer was refused: %v", err)
		}
		res, err := w.Authorize(context.Background())
		if err != nil {
			if !isEvaluationError(err) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		for _, c := range res.FailedChecks {
			_ = c.Check.String()
		}
		for _, g := range w.Facts() {
			for _, f := range g.Facts {
				if _, err := ParseFact(f.String(), nil); err != nil {
					t.Fatalf("derived fact %s does not parse back: %v", f, err)
				}
			}
		}
		compareFrozen(t, b, a)
	})
}

// compareFrozen authorizes a block and an authorizer in a fresh world,
// and in a world started from a frozen world of the block and the
// authorizer's rules, checks and policies, given the authorizer's facts:
// the two must agree, unless the step or time limit cut one short: the
// frozen world does part of the work before the request.
func compareFrozen(t *testing.T, block, authorizer *Program) {
	opts := &Options{Limits: Limits{MaxFacts: 2000}, Externs: testExterns}
	fresh := NewWorld(opts)
	fresh.AddBlock(block, nil)
	fresh.AddAuthorizer(authorizer)
	want := outcome(t, fresh)

	policy := *authorizer
	policy.Facts = nil
	w := NewWorld(opts)
	w.AddBlock(block, nil)
	w.AddAuthorizer(&policy)
	f, err := w.Freeze()
	// Twice: the second world is most likely the first, taken back and
	// reused.
	for i := range 2 {
		var got string
		if err != nil {
			got = "error: " + err.Error()
		} else {
			f.With(func(fw *World) error {
				for _, fact := range authorizer.Facts {
					fw.AddFact(fact)
				}
				got = outcome(t, fw)
				return nil
			})
		}
		budget := func(s string) bool {
			return strings.Contains(s, LimitSteps.String()) || strings.Contains(s, LimitTime.String())
		}
		if got != want && !budget(got) && !budget(want) {
			t.Fatalf("world %d from a frozen world decided otherwise:\n got %s\nwant %s", i, got, want)
		}
	}
}

func isEvaluationError(err error) bool {
	for _, e := range []error{ErrLimit, ErrInvalidType, ErrOverflow, ErrDivideByZero, ErrInvalidStack,
		ErrShadowedVariable, ErrUnknownVariable, ErrUndefinedExtern, ErrExtern, ErrInvalidBlockRule} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
