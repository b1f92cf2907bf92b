package datalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// sharedBlocks and sharedAuthorizer use what a template remaps: strings,
// byte strings, sets, arrays, maps, closures, rules and scopes.
var sharedBlocks = []string{
	`user("alice"); right("/a", "read"); right("/b", "write"); tags({"x", "y"}, [1, "z"], {"k": hex:0a});
	 can($r, $op) <- right($r, $op), $r.starts_with("/");
	 check if time($t), $t < 2030-01-01T00:00:00Z;`,
	`check if resource($r), ["/a", "/b"].contains($r), {"x"}.all($e -> $e.length() == 1);
	 derived("block1", $r) <- resource($r);`,
	`other($r) <- right($r, $op) trusting previous;
	 check if can("/a", "read") trusting authority;`,
}

const sharedAuthorizer = `resource("/a"); operation("read"); time(2029-01-01T00:00:00Z);
	seen($a) <- tags($s, $a, $m), $s.contains("x"), $a.get(1) == "z";
	check if seen([1, "z"]);
	allow if can($r, $op), resource($r), operation($op), {"k": hex:0a} === {"k": hex:0a};
	deny if true;`

// evalShared authorizes the programs in a new world, the authorizer
// compiled if c is not nil, and returns the result and every fact, as
// text.
func evalShared(t *testing.T, blocks []*Program, auth *Program, c *Compiled) string {
	w := NewWorld(nil)
	for _, b := range blocks {
		if _, err := w.AddBlock(b, nil); err != nil {
			t.Error(err)
			return ""
		}
	}
	add := func() error { return w.AddAuthorizer(auth) }
	if c != nil {
		add = func() error { return w.AddCompiled(c) }
	}
	if err := add(); err != nil {
		t.Error(err)
		return ""
	}
	res, err := w.Authorize(context.Background())
	if err != nil {
		t.Error(err)
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "allowed %v, policy %v, failed %v\n", res.Allowed(), res.Policy, res.FailedChecks)
	for _, g := range w.Facts() {
		fmt.Fprintf(&sb, "%v: %v\n", g.Origin, g.Facts)
	}
	return sb.String()
}

func parseShared(t *testing.T) ([]*Program, *Program) {
	t.Helper()
	var blocks []*Program
	for _, src := range sharedBlocks {
		p, err := ParseBlock(src, nil)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, p)
	}
	auth, err := ParseAuthorizer(sharedAuthorizer, nil)
	if err != nil {
		t.Fatal(err)
	}
	return blocks, auth
}

// TestSharedPrograms loads one compiled authorizer into many worlds at
// once, as a shared authorizer does, and checks that each decides as a
// world given the program itself.
func TestSharedPrograms(t *testing.T) {
	blocks, auth := parseShared(t)
	want := evalShared(t, blocks, auth, nil)
	if !strings.HasPrefix(want, "allowed true") || !strings.Contains(want, `seen([1, "z"])`) {
		t.Fatalf("unexpected baseline:\n%s", want)
	}
	c, err := Compile(auth, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if got := evalShared(t, blocks, auth, c); got != want {
					t.Errorf("compiled authorizer: got\n%s\nwant\n%s", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestCompiledUnderOtherLimits: a world whose depth limit is not the one
// a program was compiled under compiles it again, under its own.
func TestCompiledUnderOtherLimits(t *testing.T) {
	auth := mustParse(t, ParseAuthorizer, `allow if [[[1]]].length() == 1;`)
	c, err := Compile(auth, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWorld(&Options{Limits: Limits{MaxDepth: 2}})
	if err := w.AddCompiled(c); err != nil {
		t.Fatal(err)
	}
	var le *LimitError
	if _, err := w.Authorize(context.Background()); !errors.As(err, &le) && !errors.Is(err, ErrInvalidType) {
		t.Errorf("a program too deep for the world: %v, want an error", err)
	}
}

// TestCompileErrors: Compile refuses what a world would refuse at
// evaluation, placed in the authorizer.
func TestCompileErrors(t *testing.T) {
	for _, p := range []*Program{
		{Facts: []Fact{{Predicate{Name: "b", Terms: []Term{Variable("x")}}}}},
		{Rules: []Rule{{Head: Predicate{Name: "h", Terms: []Term{Variable("x")}}}}},
		{Checks: []Check{{Queries: []Body{{Predicates: []Predicate{{Name: "c", Terms: []Term{nil}}}}}}}},
	} {
		_, err := Compile(p, nil)
		var re *RuleError
		if !errors.As(err, &re) || re.Block != AuthorizerBlock {
			t.Errorf("%v: %v, want a *RuleError of the authorizer", p, err)
		}
	}
}

// TestAuthorizerErrorIndex checks that an error in one of several
// programs given to the authorizer is placed among all of them.
func TestAuthorizerErrorIndex(t *testing.T) {
	good, err := ParseAuthorizer(`a(1); a(2); r($x) <- a($x);`, nil)
	if err != nil {
		t.Fatal(err)
	}
	badFact := &Program{Facts: []Fact{
		{Predicate{Name: "b", Terms: []Term{Integer(1)}}},
		{Predicate{Name: "b", Terms: []Term{Variable("x")}}},
	}}
	badCheck := &Program{Checks: []Check{{Queries: []Body{{Predicates: []Predicate{{Name: "a", Terms: []Term{Variable("x")}}}}}}, {Queries: []Body{{Predicates: []Predicate{{Name: "c", Terms: []Term{nil}}}}}}}}
	tests := []struct {
		name  string
		parts []*Program
		what  string
		index int
	}{
		{"fact", []*Program{good, badFact}, "fact", 1 + 2 + 1},
		{"check", []*Program{good, badCheck}, "check", 1},
		{"check after fact", []*Program{badCheck, badFact}, "fact", 1 + 0 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWorld(nil)
			if err := w.AddFact(Fact{Predicate{Name: "f", Terms: []Term{String("x")}}}); err != nil {
				t.Fatal(err)
			}
			for _, p := range tt.parts {
				if err := w.AddAuthorizer(p); err != nil {
					t.Fatal(err)
				}
			}
			_, err := w.Authorize(context.Background())
			var re *RuleError
			if !errors.As(err, &re) || re.Block != AuthorizerBlock || re.What != tt.what || re.Index != tt.index {
				t.Errorf("got %v (%+v), want %s %d", err, re, tt.what, tt.index)
			}
		})
	}
}

// TestInternerGrows checks that strings and collections keep their ids
// when the interner moves from scanning to a map.
func TestInternerGrows(t *testing.T) {
	in := newInterner()
	var terms []Term
	for i := range 3 * max(maxScannedStrs, maxScannedComps) {
		s := String(fmt.Sprint("s", i))
		terms = append(terms, s, NewSet(s, Integer(i)), Array{Integer(i), s}, NewMap(MapEntry{Key: s, Value: Integer(i)}))
	}
	ids := make([]val, len(terms))
	for i, term := range terms {
		ids[i] = in.intern(term)
	}
	for i, term := range terms {
		if got := in.intern(term); got != ids[i] {
			t.Errorf("%v: id %v, then %v", term, ids[i], got)
		}
		if back := in.term(ids[i]); termString(back) != termString(term) {
			t.Errorf("%v: back as %v", term, back)
		}
	}
	if in.strIDs == nil || in.compIDs == nil {
		t.Error("the interner never built its maps")
	}
}
