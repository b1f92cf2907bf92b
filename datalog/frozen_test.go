package datalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// outcome is a world's decision and facts as text, to compare the world
// a frozen world starts with one loaded from scratch.
func outcome(t *testing.T, w *World) string {
	t.Helper()
	res, err := w.Authorize(context.Background())
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	switch {
	case res.Allowed():
		b.WriteString("allow")
	case res.Policy != nil:
		fmt.Fprintf(&b, "policy %d %s", res.Policy.Index, res.Policy.Policy)
	default:
		b.WriteString("no policy")
	}
	for _, c := range res.FailedChecks {
		fmt.Fprintf(&b, "\nfailed %s #%d: %s", c.Block, c.Index, c.Check)
	}
	for _, g := range w.Facts() {
		for _, f := range g.Facts {
			fmt.Fprintf(&b, "\n%v %s", g.Origin, f)
		}
	}
	return b.String()
}

func mustParse(t testing.TB, parse func(string, *ParseOptions) (*Program, error), src string) *Program {
	t.Helper()
	p, err := parse(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// frozenCase is a token's blocks and a policy, authorized for several
// requests.
type frozenCase struct {
	blocks   []*Program
	policy   *Program
	requests [][]Fact
}

// direct authorizes request i in a world loaded from scratch, the
// request's facts first, as token.Authorizer adds them.
func (c *frozenCase) direct(t *testing.T, i int) string {
	w := NewWorld(nil)
	for _, b := range c.blocks {
		if _, err := w.AddBlock(b, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range c.requests[i] {
		if err := w.AddFact(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddAuthorizer(c.policy); err != nil {
		t.Fatal(err)
	}
	return outcome(t, w)
}

// freeze loads the blocks and the policy, compiled, and freezes them.
func (c *frozenCase) freeze(t *testing.T) *Frozen {
	w := NewWorld(nil)
	for _, b := range c.blocks {
		if _, err := w.AddBlock(b, nil); err != nil {
			t.Fatal(err)
		}
	}
	policy, err := Compile(c.policy, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddCompiled(policy); err != nil {
		t.Fatal(err)
	}
	f, err := w.Freeze()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fromFrozen authorizes request i in a world started from f, taken back
// when done, so that the next request may reuse it.
func (c *frozenCase) fromFrozen(t *testing.T, f *Frozen, i int) string {
	var out string
	f.With(func(w *World) error {
		for _, fact := range c.requests[i] {
			if err := w.AddFact(fact); err != nil {
				t.Fatal(err)
			}
		}
		out = outcome(t, w)
		return nil
	})
	return out
}

func fact(name string, terms ...Term) Fact { return Fact{Predicate{Name: name, Terms: terms}} }

// manyStrings returns n facts name(i, "prefix-i"), to push an interner
// or a relation past the sizes where it scans and onto its maps.
func manyStrings(name, prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s(%d, %q);\n", name, i, fmt.Sprintf("%s-%d", prefix, i))
	}
	return b.String()
}

// frozenCases are small and large: a frozen world's interner and relations
// both below and past the sizes at which maps take over, rules that
// derive into relations the frozen world already holds, collections, and
// requests that bring strings and collections new to the frozen world.
func frozenCases(t *testing.T) map[string]*frozenCase {
	request := func(resource, op string, extra ...Fact) []Fact {
		return append([]Fact{fact("resource", String(resource)), fact("operation", String(op))}, extra...)
	}
	big := manyStrings("owned", "doc", 40)
	return map[string]*frozenCase{
		"small": {
			blocks: []*Program{
				mustParse(t, ParseBlock, `right("/a", "read"); right("/a", "write"); check if time($t), $t < 2030-01-01T00:00:00Z;`),
				mustParse(t, ParseBlock, `check if operation("read");`),
			},
			policy: mustParse(t, ParseAuthorizer, `allow if right($r, $op), resource($r), operation($op);`),
			requests: [][]Fact{
				request("/a", "read", fact("time", DateOf(mustTime(t, "2028-01-01T00:00:00Z")))),
				request("/a", "write", fact("time", DateOf(mustTime(t, "2028-01-01T00:00:00Z")))),
				request("/b", "read"),
			},
		},
		"large": {
			blocks: []*Program{
				mustParse(t, ParseBlock, big+`
					right($d, "read") <- owned($i, $d);
					tags({"x", "y"}); tags({"y"}); tags({"z"}); tags({"w"}); tags({"v"}); tags({"u"}); tags({"t"}); tags({"s"}); tags({"r"});
					big($i) <- owned($i, $d), $i > 5;
					owned(100, $d) <- extra($d, $s);`),
				// Past maxScannedRelations, the frozen relations
				// are found through its map.
				mustParse(t, ParseBlock, `check if resource($r), $r.starts_with("doc-");
					check if tags($s), $s.contains("x");
					b0(0); b1(1); b2(2); b3(3); b4(4); b5(5); b6(6); b7(7); b8(8); b9(9);
					check if b7(7), b9($x), $x > 8;`),
			},
			policy: mustParse(t, ParseAuthorizer, manyStrings("owned", "svc", 20)+`
				right($d, "audit") <- owned($i, $d), operation("audit");
				deny if resource("doc-13");
				allow if right($r, $op), resource($r), operation($op);`),
			requests: [][]Fact{
				request("doc-3", "read"),
				request("doc-13", "read"),
				request("svc-4", "audit", fact("tags", NewSet(String("new"), String("x")))),
				request("nope", "read", manyFacts("extra", 30)...),
				request("doc-3", "read", manyPredicates(12)...), // past maxScannedRelations
			},
		},
	}
}

// manyPredicates returns n facts of n predicates new to the frozen world.
func manyPredicates(n int) []Fact {
	var fs []Fact
	for i := range n {
		fs = append(fs, fact(fmt.Sprintf("new%d", i), Integer(i)))
	}
	return fs
}

func manyFacts(name string, n int) []Fact {
	var fs []Fact
	for i := range n {
		fs = append(fs, fact(name, String(fmt.Sprintf("%s-%d", name, i)), NewSet(Integer(i), Integer(i+1))))
	}
	return fs
}

func TestFrozenWorldsDecideAsFreshWorlds(t *testing.T) {
	for name, c := range frozenCases(t) {
		t.Run(name, func(t *testing.T) {
			s := c.freeze(t)
			// Twice over, so that a world that changed the frozen world
			// shows in the next.
			for round := range 2 {
				for i := range c.requests {
					want := c.direct(t, i)
					if got := c.fromFrozen(t, s, i); got != want {
						t.Errorf("round %d, request %d:\n got %s\nwant %s", round, i, got, want)
					}
				}
			}
		})
	}
}

func TestFrozenConcurrentWorlds(t *testing.T) {
	for name, c := range frozenCases(t) {
		t.Run(name, func(t *testing.T) {
			want := make([]string, len(c.requests))
			for i := range c.requests {
				want[i] = c.direct(t, i)
			}
			s := c.freeze(t)
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					for k := range 20 {
						i := (g + k) % len(c.requests)
						if got := c.fromFrozen(t, s, i); got != want[i] {
							t.Errorf("goroutine %d, request %d:\n got %s\nwant %s", g, i, got, want[i])
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestFrozenWorldQuery queries worlds from a frozen world, each given back
// after its query and most likely reused by the next.
func TestFrozenWorldQuery(t *testing.T) {
	c := frozenCases(t)["large"]
	s := c.freeze(t)
	r, err := ParseRule(`can($d) <- right($d, "audit"), $d.starts_with("svc-1")`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		var facts []Fact
		err := s.With(func(w *World) error {
			if err := w.AddFact(fact("operation", String("audit"))); err != nil {
				return err
			}
			var err error
			facts, err = w.Query(context.Background(), r)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(facts) != 11 { // svc-1, svc-10 ... svc-19
			t.Errorf("world %d: query found %d facts, want 11: %v", i, len(facts), facts)
		}
	}
}

func TestFrozenMisuse(t *testing.T) {
	c := frozenCases(t)["small"]
	w := NewWorld(nil)
	if _, err := w.AddBlock(c.blocks[0], nil); err != nil {
		t.Fatal(err)
	}
	s, err := w.Freeze()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddFact(fact("x")); !errors.Is(err, ErrWorldRan) {
		t.Errorf("AddFact on a spent world: %v, want ErrWorldRan", err)
	}
	if _, err := w.Authorize(context.Background()); err == nil {
		t.Error("a spent world authorized")
	}
	if _, err := w.Freeze(); !errors.Is(err, ErrWorldRan) {
		t.Errorf("second Freeze: %v, want ErrWorldRan", err)
	}
	compiled, err := Compile(c.policy, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.With(func(sw *World) error {
		if _, err := sw.AddBlock(c.blocks[1], nil); !errors.Is(err, ErrFrozenWorld) {
			t.Errorf("AddBlock on a frozen world's world: %v, want ErrFrozenWorld", err)
		}
		if err := sw.AddAuthorizer(c.policy); !errors.Is(err, ErrFrozenWorld) {
			t.Errorf("AddAuthorizer on a frozen world's world: %v, want ErrFrozenWorld", err)
		}
		if err := sw.AddCompiled(compiled); !errors.Is(err, ErrFrozenWorld) {
			t.Errorf("AddCompiled on a frozen world's world: %v, want ErrFrozenWorld", err)
		}
		if _, err := sw.Freeze(); !errors.Is(err, ErrFrozenWorld) {
			t.Errorf("Freeze of a frozen world's world: %v, want ErrFrozenWorld", err)
		}
		return nil
	})
	// A bad request fact is refused with its index among the request's.
	err = s.With(func(sw *World) error {
		sw.AddFact(fact("ok", Integer(1)))
		sw.AddFact(fact("bad", Variable("x")))
		_, err := sw.Authorize(context.Background())
		return err
	})
	var re *RuleError
	if !errors.As(err, &re) || re.Index != 1 || !errors.Is(err, ErrInvalidType) {
		t.Errorf("bad request fact: %v, want an ErrInvalidType RuleError at index 1", err)
	}
}

func TestFrozenLoadError(t *testing.T) {
	w := NewWorld(nil)
	b := &Program{Checks: []Check{{Queries: []Body{{Predicates: []Predicate{{Name: "p", Terms: []Term{nil}}}}}}}}
	if _, err := w.AddBlock(b, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Freeze(); !errors.Is(err, ErrInvalidType) {
		t.Errorf("Freeze of a block with a nil term: %v, want ErrInvalidType", err)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// TestTimeLimitOfShortEvaluations: an evaluation too short to read the
// clock as it goes is still held to its time limit at the end, from a
// frozen world too.
func TestTimeLimitOfShortEvaluations(t *testing.T) {
	opts := &Options{Limits: Limits{MaxTime: time.Nanosecond}}
	load := func() *World {
		w := NewWorld(opts)
		if _, err := w.AddBlock(mustParse(t, ParseBlock, `right("a"); check if right("a");`), nil); err != nil {
			t.Fatal(err)
		}
		if err := w.AddAuthorizer(mustParse(t, ParseAuthorizer, `allow if right($r);`)); err != nil {
			t.Fatal(err)
		}
		return w
	}
	f, err := load().Freeze()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := load().Authorize(context.Background()); !errors.Is(err, ErrTimeLimit) {
		t.Errorf("fresh: %v, want the time limit", err)
	}
	err = f.With(func(w *World) error {
		_, err := w.Authorize(context.Background())
		return err
	})
	if !errors.Is(err, ErrTimeLimit) {
		t.Errorf("frozen: %v, want the time limit", err)
	}
}
