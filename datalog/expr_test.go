package datalog

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// evalExpr parses src as an expression and evaluates it with no bindings.
func evalExpr(t *testing.T, w *World, src string) (Term, error) {
	t.Helper()
	c, err := ParseCheck("check if "+src, nil)
	if err != nil {
		t.Fatalf("parsing %q: %v", src, err)
	}
	if len(c.Queries) != 1 || len(c.Queries[0].Expressions) != 1 {
		t.Fatalf("%q is not one expression", src)
	}
	w.startWork(context.Background())
	comp := newExprCompiler(w.in, w.limits.MaxDepth)
	ops, err := comp.compile(c.Queries[0].Expressions[0].Ops, 0)
	if err != nil {
		return nil, err
	}
	v, err := w.ev.eval(ops, newBinding(comp.nslots))
	if err != nil {
		return nil, err
	}
	return w.in.term(v), nil
}

func TestExpressions(t *testing.T) {
	tests := []struct {
		expr string
		want string // the printed result, or the error's text
		err  error
	}{
		// integers
		{expr: "1 + 2 * 3 - 4 / 2", want: "5"},
		{expr: "7 / 2", want: "3"},
		{expr: "-7 / 2", want: "-3"},
		{expr: "9223372036854775807 + 1", err: ErrOverflow},
		{expr: "-9223372036854775808 - 1", err: ErrOverflow},
		{expr: "10000000000 * 10000000000", err: ErrOverflow},
		{expr: "-9223372036854775808 * -1", err: ErrOverflow},
		{expr: "-9223372036854775808 / -1", err: ErrOverflow},
		{expr: "1 / 0", err: ErrDivideByZero},
		{expr: "6 & 3", want: "2"},
		{expr: "6 | 3", want: "7"},
		{expr: "6 ^ 3", want: "5"},
		{expr: "1 | 2 ^ 3", want: "0"},
		{expr: "1 < 2", want: "true"},
		{expr: "2 <= 1", want: "false"},
		{expr: "1 < \"a\"", err: ErrInvalidType},
		// strict and lenient equality
		{expr: "1 === 1", want: "true"},
		{expr: "1 !== 2", want: "true"},
		{expr: "1 === \"1\"", err: ErrInvalidType},
		{expr: "1 !== true", err: ErrInvalidType},
		{expr: "null === null", want: "true"},
		{expr: "null === 1", err: ErrInvalidType},
		{expr: "1 == \"1\"", want: "false"},
		{expr: "1 != \"1\"", want: "true"},
		{expr: "null == null", want: "true"},
		{expr: "null != 1", want: "true"},
		{expr: "{1, 2} === {2, 1}", want: "true"},
		{expr: "[1, 2] === [2, 1]", want: "false"},
		{expr: "{\"a\": 1, 2: \"b\"} == {2: \"b\", \"a\": 1}", want: "true"},
		// booleans and laziness
		{expr: "!true", want: "false"},
		{expr: "!1", err: ErrInvalidType},
		{expr: "true && false", want: "false"},
		{expr: "false && 1 / 0 == 1", want: "false"},
		{expr: "true || 1 / 0 == 1", want: "true"},
		{expr: "false || 1 / 0 == 1", err: ErrDivideByZero},
		{expr: "1 && true", err: ErrInvalidType},
		// strings
		{expr: "\"abc\" + \"def\"", want: `"abcdef"`},
		{expr: "\"hello\".starts_with(\"he\")", want: "true"},
		{expr: "\"hello\".ends_with(\"lo\")", want: "true"},
		{expr: "\"hello\".contains(\"ell\")", want: "true"},
		{expr: "\"hello\".matches(\"^h.*o$\")", want: "true"},
		{expr: "\"hello\".matches(\"(\")", want: "false"},
		// Go's regexp is linear: the classic catastrophic pattern is not.
		{expr: "\"" + strings.Repeat("a", 5000) + "!\".matches(\"^(a+)+$\")", want: "false"},
		{expr: "\"é\".length()", want: "2"},
		{expr: "\"a\".starts_with(1)", err: ErrInvalidType},
		// bytes and dates
		{expr: "hex:0a0b.length()", want: "2"},
		{expr: "hex:0a == hex:0a", want: "true"},
		{expr: "2020-01-01T00:00:00Z < 2021-01-01T00:00:00+01:00", want: "true"},
		{expr: "2020-01-01T01:00:00+01:00 === 2020-01-01T00:00:00Z", want: "true"},
		// sets
		{expr: "{1, 2}.contains(1)", want: "true"},
		{expr: "{1, 2}.contains({1})", want: "true"},
		{expr: "{1, 2}.contains(null)", err: ErrInvalidType},
		{expr: "{1, 2}.union({3})", want: "{1, 2, 3}"},
		{expr: "{1, 2}.intersection({2, 3})", want: "{2}"},
		{expr: "{,}.length()", want: "0"},
		{expr: "{\"b\", \"a\"}.length()", want: "2"},
		{expr: "{1}.union([1])", err: ErrInvalidType},
		// arrays
		{expr: "[1, \"a\", null].contains(null)", want: "true"},
		{expr: "[1, 2, 3].starts_with([1, 2])", want: "true"},
		{expr: "[1, 2, 3].ends_with([2, 3])", want: "true"},
		{expr: "[1, 2].starts_with([1, 2, 3])", want: "false"},
		{expr: "[1, 2].get(1)", want: "2"},
		{expr: "[1, 2].get(-1)", want: "null"},
		{expr: "[1, 2].get(\"a\")", err: ErrInvalidType},
		{expr: "[[1], [2]].get(0)", want: "[1]"},
		// maps
		{expr: "{\"a\": 1}.get(\"a\")", want: "1"},
		{expr: "{\"a\": 1}.get(\"b\")", want: "null"},
		{expr: "{\"a\": 1}.contains(\"a\")", want: "true"},
		{expr: "{\"a\": 1}.contains(true)", want: "false"},
		{expr: "{\"a\": 1, 2: 3}.length()", want: "2"},
		{expr: "{\"a\": 1}.get(true)", err: ErrInvalidType},
		// closures
		{expr: "[1, 2, 3].all($x -> $x > 0)", want: "true"},
		{expr: "[1, 2, 3].any($x -> $x > 2)", want: "true"},
		{expr: "{,}.all($x -> false)", want: "true"},
		{expr: "[].any($x -> true)", want: "false"},
		{expr: "{\"a\": 1}.all($kv -> $kv.get(1) == 1)", want: "true"},
		{expr: "[1].all($x -> 1)", err: ErrInvalidType},
		{expr: "1.all($x -> true)", err: ErrInvalidType},
		{expr: "[1].any($x -> [2].any($x -> true))", err: ErrShadowedVariable},
		{expr: "[1].any($x -> true) && [2].any($x -> true)", want: "true"},
		// try_or
		{expr: "(1 / 0).try_or(7)", want: "7"},
		{expr: "(1 + 1).try_or(7)", want: "2"},
		{expr: "true.try_or(1 / 0)", err: ErrDivideByZero},
		// type()
		{expr: "1.type()", want: `"integer"`},
		{expr: "\"a\".type()", want: `"string"`},
		{expr: "(2020-01-01T00:00:00Z).type()", want: `"date"`},
		{expr: "hex:00.type()", want: `"bytes"`},
		{expr: "true.type()", want: `"bool"`},
		{expr: "{1}.type()", want: `"set"`},
		{expr: "null.type()", want: `"null"`},
		{expr: "[].type()", want: `"array"`},
		{expr: "{}.type()", want: `"map"`},
		// extern functions
		{expr: "1.extern::missing()", err: ErrUndefinedExtern},
		{expr: "\"a\".extern::test(\"a\")", want: `"equal strings"`},
		{expr: "1.extern::test(2)", err: ErrExtern},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			w := NewWorld(&Options{Externs: testExterns})
			got, err := evalExpr(t, w, tt.expr)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("got %v, %v; want error %v", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if s := termString(got); s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
}

func TestValueLimits(t *testing.T) {
	w := NewWorld(&Options{Limits: Limits{MaxValueBytes: 8, MaxRegexpBytes: 4}})
	if _, err := evalExpr(t, w, `"abcde" + "fghij"`); !errors.Is(err, ErrLimit) {
		t.Errorf("long concatenation: got %v, want a limit error", err)
	}
	if _, err := evalExpr(t, w, `"a".matches("aaaaa")`); !errors.Is(err, ErrLimit) {
		t.Errorf("long regexp: got %v, want a limit error", err)
	}
	if _, err := evalExpr(t, w, `(1 / 0).try_or(("abcde" + "fghij").length())`); !errors.Is(err, ErrLimit) {
		t.Errorf("try_or must not hide a limit: got %v", err)
	}
}

// TestCountedWork: operations on large values count steps in proportion
// to their size, so that an expression of a few opcodes cannot hide a
// large amount of work from the step limit.
func TestCountedWork(t *testing.T) {
	long := `"` + strings.Repeat("a", 60000) + `"`
	var set strings.Builder
	set.WriteString("{0")
	for i := 1; i < 5000; i++ {
		fmt.Fprintf(&set, ", %d", i)
	}
	set.WriteString("}")
	for _, tc := range []struct{ name, cheap, costly string }{
		{"contains", `"ab".contains("b")`, long + `.contains("b") || ` + long + `.contains("b")`},
		{"concatenation", `("a" + "b").length() == 2`, `(` + long + ` + "b").length() + (` + long + ` + "c").length() == 2`},
		{"regexp", `"ab".matches("a+b")`, long + `.matches("(a|b)*(a|b)*(a|b)*(a|b)*c")`},
		{"union", `{1}.union({2}).contains(2)`, set.String() + `.union({-1}).contains(-1)`},
		{"set in set", `{1, 2}.contains({1})`, set.String() + `.contains(` + set.String() + `)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := evalExpr(t, NewWorld(&Options{Limits: Limits{MaxSteps: 1000}}), tc.cheap); err != nil {
				t.Errorf("%s: %v", tc.cheap, err)
			}
			if _, err := evalExpr(t, NewWorld(&Options{Limits: Limits{MaxSteps: 1000}}), tc.costly); !errors.Is(err, ErrStepLimit) {
				t.Errorf("%s: got %v, want the step limit", tc.name, err)
			}
			if _, err := evalExpr(t, NewWorld(nil), tc.costly); err != nil {
				t.Errorf("%s, default limits: %v", tc.name, err)
			}
		})
	}
}

func TestEvaluationLimits(t *testing.T) {
	auth := func(t *testing.T, src string, limits Limits) error {
		t.Helper()
		p, err := ParseAuthorizer(src, nil)
		if err != nil {
			t.Fatal(err)
		}
		w := NewWorld(&Options{Limits: limits})
		if err := w.AddAuthorizer(p); err != nil {
			t.Fatal(err)
		}
		_, err = w.Authorize(context.Background())
		return err
	}
	// The transitive closure of a chain of 80 edges takes about 80 rounds
	// and derives about 3,200 facts.
	var chain strings.Builder
	for i := 0; i < 80; i++ {
		fmt.Fprintf(&chain, "edge(%d, %d);", i, i+1)
	}
	chain.WriteString("path($x, $y) <- edge($x, $y); path($x, $z) <- path($x, $y), edge($y, $z); allow if true;")
	counter := chain.String()
	kind := func(err error) LimitKind {
		var le *LimitError
		if !errors.As(err, &le) {
			return 0
		}
		return le.Kind
	}
	if err := auth(t, counter, Limits{}); err != nil {
		t.Errorf("chain within limits: %v", err)
	}
	if err := auth(t, counter, Limits{MaxIterations: 50, MaxFacts: 1000000}); kind(err) != LimitIterations || !errors.Is(err, ErrLimit) {
		t.Errorf("iterations: got %v", err)
	}
	if err := auth(t, counter, Limits{MaxIterations: 1000000, MaxFacts: 40}); kind(err) != LimitFacts {
		t.Errorf("facts: got %v", err)
	}
	if err := auth(t, counter, Limits{MaxSteps: 5000}); !errors.Is(err, ErrStepLimit) || kind(err) != LimitSteps {
		t.Errorf("steps: got %v", err)
	}
	// A join of a million matches derives only ten facts: the facts limit
	// does not see it, the step limit stops it, or with no step limit to
	// speak of, the time limit. (A tenth of the default step limit keeps
	// the test quick under -race.)
	blowup := "p(0); p(1); p(2); p(3); p(4); p(5); p(6); p(7); p(8); p(9);" +
		"q($a) <- p($a), p($b), p($c), p($d), p($e), p($f); allow if true;"
	if err := auth(t, blowup, Limits{MaxSteps: 100_000}); !errors.Is(err, ErrStepLimit) {
		t.Errorf("steps: got %v", err)
	}
	if err := auth(t, blowup, Limits{MaxTime: 2 * time.Millisecond, MaxSteps: math.MaxInt}); !errors.Is(err, ErrTimeLimit) || errors.Is(err, ErrStepLimit) {
		t.Errorf("time: got %v", err)
	}
	// A cancelled context stops the evaluation.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, _ := ParseAuthorizer(blowup, nil)
	w := NewWorld(nil)
	_ = w.AddAuthorizer(p)
	if _, err := w.Authorize(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
}

func TestLongLineExcerpt(t *testing.T) {
	src := "check if " + strings.Repeat("1 + ", 200) + "$x;"
	_, err := ParseBlock(src, nil)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v", err)
	}
	lines := strings.Split(pe.Error(), "\n")
	if len(lines) != 3 || len(lines[1]) > 2*excerptHalfWidth+8 {
		t.Fatalf("excerpt not cut: %q", pe.Error())
	}
	caret := strings.Index(lines[2], "^")
	if lines[1][caret] != '$' {
		t.Errorf("caret under %q, want under $x:\n%s", lines[1][caret], pe.Error())
	}
}
