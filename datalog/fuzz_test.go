package datalog

import (
	"errors"
	"reflect"
	"testing"

	"github.com/codios/codios/internal/samples"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParseBlock checks, for any source, that ParseBlock does not panic or
// hang, that an error is ParseErrors or a *LimitError, and that a parsed
// block prints to text that parses to the same block and prints the same.
// The single-statement parsers are held to the same on the same input.
func FuzzParseBlock(f *testing.F) {
	addParseSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		checkParse(t, src, ParseBlock, (*Program).String)
		checkStatementParsers(t, src)
	})
}

// FuzzParseAuthorizer is FuzzParseBlock for ParseAuthorizer, printing
// with both String and authorizerString.
func FuzzParseAuthorizer(f *testing.F) {
	addParseSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		checkParse(t, src, ParseAuthorizer, (*Program).String)
		checkParse(t, src, ParseAuthorizer, (*Program).authorizerString)
	})
}

// addParseSeeds seeds a parser fuzz target with every block and
// authorizer of the samples (when they are found), and with the sources of
// the parser's own tests, good and bad.
func addParseSeeds(f *testing.F) {
	if s, _, err := samples.Load(); err == nil {
		for _, tc := range s.TestCases {
			for _, b := range tc.Token {
				f.Add(b.Code)
			}
			for _, v := range tc.Validations {
				f.Add(v.AuthorizerCode)
			}
		}
	}
	for _, src := range roundTripSources {
		f.Add(src)
	}
	for _, src := range authorizerRoundTripSources {
		f.Add(src)
	}
	for _, tc := range parseTermTests {
		f.Add("f(" + tc.src + ");")
	}
	for _, tc := range parseExpressionTests {
		f.Add("check if v($a, $b, $c), " + tc.src + ";")
	}
	for _, tc := range parseErrorTests {
		if len(tc.src) < 1<<10 {
			f.Add(tc.src)
		}
	}
	for _, src := range []string{
		"f(1); g(2)",
		"trusting(1); trusting authority;",
		"f({true}, {hex:}, {null});",
		"f(9999-12-31T23:59:59+00:00, 1970-01-01T00:00:00+00:00);",
		"check if ((((((((((((((((((((1))))))))))))))))))));",
		"f([[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]);",
		"check if !!!!!!!!!!!!!!!!!!!!!!!!true;",
		"check if 1.try_or(2).try_or(3), [1].all($x -> [2].any($y -> $x < $y));",
		"check if \"a\".extern::f().extern::g(1);",
		"/* unterminated",
		"\"unterminated",
		"r($x) <- f($x), $x.matches(\"a\\\\b\");",
	} {
		f.Add(src)
	}
}

// checkParse parses src, and if that succeeds prints the program, parses
// the text and prints it again.
func checkParse(t *testing.T, src string, parse func(string, *ParseOptions) (*Program, error), printer func(*Program) string) {
	prog, err := parse(src, nil)
	if err != nil {
		checkParseError(t, err)
		return
	}
	text := printer(prog)
	again, err := parse(text, nil)
	if err != nil {
		t.Fatalf("source\n%s\nprinted\n%s\nwhich does not parse: %v", src, text, err)
	}
	if text2 := printer(again); text2 != text {
		t.Fatalf("source\n%s\nprinted\n%s\nthen\n%s", src, text, text2)
	}
	// go-cmp takes time exponential in the nesting of slices of
	// interfaces (f([[[[...]]]]) at depth 20 takes a minute), so the
	// programs are compared with reflect and diffed only to report.
	if !reflect.DeepEqual(withoutPositions(prog), withoutPositions(again)) {
		t.Fatalf("source\n%s\nprinted\n%s\nwhich parses differently (-first +second):\n%s", src, text, cmp.Diff(prog, again, cmpopts.IgnoreTypes(Pos{})))
	}
}

// checkStatementParsers runs the single-statement parsers on src, with
// the same properties as checkParse.
func checkStatementParsers(t *testing.T, src string) {
	for _, parse := range []func(string) (string, error){
		func(s string) (string, error) { f, err := ParseFact(s, nil); return f.String(), err },
		func(s string) (string, error) { r, err := ParseRule(s, nil); return r.String(), err },
		func(s string) (string, error) { c, err := ParseCheck(s, nil); return c.String(), err },
		func(s string) (string, error) { p, err := ParsePolicy(s, nil); return p.String(), err },
		func(s string) (string, error) {
			v, err := ParseTerm(s, nil)
			if err != nil {
				return "", err
			}
			return termString(v), nil
		},
	} {
		text, err := parse(src)
		if err != nil {
			checkParseError(t, err)
			continue
		}
		text2, err := parse(text)
		if err != nil {
			t.Fatalf("source\n%s\nprinted\n%s\nwhich does not parse: %v", src, text, err)
		}
		if text2 != text {
			t.Fatalf("source\n%s\nprinted\n%s\nthen\n%s", src, text, text2)
		}
	}
}

func checkParseError(t *testing.T, err error) {
	var limitErr *LimitError
	if errors.As(err, &limitErr) {
		return
	}
	list, ok := err.(ParseErrors)
	if !ok {
		t.Fatalf("error is a %T, not ParseErrors or *LimitError: %v", err, err)
	}
	if len(list) == 0 || len(list) > DefaultLimits().MaxParseErrors {
		t.Fatalf("%d errors, want 1 to %d: %v", len(list), DefaultLimits().MaxParseErrors, err)
	}
	var pe *ParseError
	if !errors.Is(err, ErrSyntax) || !errors.As(err, &pe) {
		t.Fatalf("error is not ErrSyntax and a *ParseError: %v", err)
	}
	for _, e := range list {
		if e.Line < 1 || e.Col < 1 {
			t.Fatalf("error at line %d, column %d: %v", e.Line, e.Col, e)
		}
	}
}
