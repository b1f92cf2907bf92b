package token

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codios/codios/datalog"
)

// decisionText is a decision and its world's facts as text.
func decisionText(d *Decision, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "allowed=%v", d.Allowed)
	if d.Policy != nil {
		fmt.Fprintf(&b, " policy %d", d.Policy.Index)
	}
	for _, c := range d.FailedChecks {
		fmt.Fprintf(&b, "\nfailed %s #%d: %s", c.Block, c.Index, c.Check)
	}
	for _, g := range d.Facts {
		for _, f := range g.Facts {
			fmt.Fprintf(&b, "\n%v %s", g.Origin, f)
		}
	}
	return b.String()
}

func requestFacts(resource, op string) []datalog.Fact {
	return []datalog.Fact{
		{Predicate: datalog.Predicate{Name: "resource", Terms: []datalog.Term{datalog.String(resource)}}},
		{Predicate: datalog.Predicate{Name: "operation", Terms: []datalog.Term{datalog.String(op)}}},
	}
}

// TestRepeatedTokenDecidesAsFresh authorizes one held token again and
// again (from its second call on, from a frozen world), against several
// authorizers in turn, and checks every decision against the same
// authorizer's that keeps no world, which loads every call from scratch.
func TestRepeatedTokenDecidesAsFresh(t *testing.T) {
	root := mustKey(t, Ed25519)
	held := standardToken(t, root)
	type pair struct{ cached, fresh *Authorizer }
	var auths []pair
	for _, src := range []string{
		`allow if right($r, $op), resource($r), operation($op);`,
		`deny if operation("write"); allow if user("alice");`,
		`check if agent("planner"); allow if right($r, "read"), resource($r);`,
		`allow if user("bob");`,
		`known($r) <- right($r, $op); allow if known($r), resource($r);`,
		`reject if resource("/tmp/file2"); allow if true;`,
	} {
		cached, err := ParseAuthorizer(src, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := ParseAuthorizer(src, nil, &AuthorizerOptions{CachedWorlds: -1})
		if err != nil {
			t.Fatal(err)
		}
		auths = append(auths, pair{cached, fresh})
	}
	rights, err := datalog.ParseRule(`can($r, $op) <- right($r, $op)`, nil)
	if err != nil {
		t.Fatal(err)
	}
	reqs := []*Request{
		{Time: requestTime, Facts: requestFacts("/tmp/file1", "read"), Explain: true},
		{Time: requestTime, Facts: requestFacts("/tmp/file1", "write"), Explain: true, Queries: []datalog.Rule{rights}},
		{Time: requestTime, Facts: requestFacts("/tmp/file2", "read"), Explain: true},
		{Time: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), Facts: requestFacts("/tmp/file1", "read"), Explain: true},
		{Facts: requestFacts("/tmp/file1", "read"), Queries: []datalog.Rule{rights}},
		nil,
		{Time: requestTime, Facts: requestFacts("/tmp/file1", "read"), Program: mustBlock(t, `check if user("alice");`), Explain: true},
	}
	ctx := context.Background()
	for round := range 3 {
		for ai, a := range auths {
			for ri, req := range reqs {
				want := decisionText(a.fresh.Authorize(ctx, held, req))
				got := decisionText(a.cached.Authorize(ctx, held, req))
				if got != want {
					t.Errorf("round %d, authorizer %d, request %d:\n got %s\nwant %s", round, ai, ri, got, want)
				}
			}
		}
	}
	for ai, a := range auths {
		if n := a.cached.worlds.len(); n != 1 {
			t.Errorf("authorizer %d keeps %d worlds, want 1", ai, n)
		}
		if n := a.fresh.worlds.len(); n != 0 {
			t.Errorf("authorizer %d, CachedWorlds -1, keeps %d worlds, want 0", ai, n)
		}
	}
}

// TestAuthorizeLeavesTokenUnchanged authorizes one token from 8
// goroutines with two authorizers, a token's first calls and its
// repeated ones alike: the token is a value, which no call writes (the
// race detector watches) and which is the same afterwards.
func TestAuthorizeLeavesTokenUnchanged(t *testing.T) {
	root := mustKey(t, Ed25519)
	tok := standardToken(t, root)
	before := *tok
	data := tok.Serialize()
	var auths []*Authorizer
	for _, src := range []string{standardPolicy, `allow if user("alice");`} {
		a, err := ParseAuthorizer(src, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		auths = append(auths, a)
	}
	want := make([]string, len(auths))
	for i, a := range auths {
		want[i] = decisionText(a.Authorize(context.Background(), tok, &Request{Time: requestTime, Explain: true}))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 20 {
				i := (g + k) % len(auths)
				got := decisionText(auths[i].Authorize(context.Background(), tok, &Request{Time: requestTime, Explain: true}))
				if got != want[i] {
					t.Errorf("goroutine %d, authorizer %d:\n got %s\nwant %s", g, i, got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
	if !reflect.DeepEqual(*tok, before) || string(tok.Serialize()) != string(data) {
		t.Error("authorizing the token changed it")
	}
}

// TestCachedWorldsBounded: an authorizer keeps no world for a token seen
// once, one for a token seen again, and no more than its size.
func TestCachedWorldsBounded(t *testing.T) {
	root := mustKey(t, Ed25519)
	a, err := ParseAuthorizer(standardPolicy, nil, &AuthorizerOptions{CachedWorlds: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Tokens of the same blocks share a world: these differ.
	var toks []*Token
	for i := range 6 {
		tok, err := New(root, mustBlock(t, standardAuthority+fmt.Sprintf("\nseq(%d);", i)), nil)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	ctx := context.Background()
	req := &Request{Time: requestTime}
	for _, tok := range toks {
		if d, err := a.Authorize(ctx, tok, req); err != nil || !d.Allowed {
			t.Fatalf("first call: %v, %v", d, err)
		}
	}
	if n := a.worlds.len(); n != 0 {
		t.Errorf("after one call per token: %d worlds, want 0", n)
	}
	for i, tok := range toks {
		if d, err := a.Authorize(ctx, tok, req); err != nil || !d.Allowed {
			t.Fatalf("second call: %v, %v", d, err)
		}
		if n, want := a.worlds.len(), min(i+1, 3); n != want {
			t.Errorf("after token %d's second call: %d worlds, want %d", i, n, want)
		}
	}
	if _, ok := a.worlds.entries[toks[0].content]; ok {
		t.Error("the least recently used token's world is still kept")
	}
	if _, ok := a.worlds.entries[toks[5].content]; !ok {
		t.Error("the last token's world is not kept")
	}
}

// TestDecisionIsPlainData: a decision is complete when Authorize
// returns; neither changing its request afterwards nor later calls
// change anything in it.
func TestDecisionIsPlainData(t *testing.T) {
	root := mustKey(t, Ed25519)
	tok := standardToken(t, root)
	a, err := ParseAuthorizer(`allow if right($r, $op), resource($r), operation($op);`, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rights, err := datalog.ParseRule(`can($r) <- right($r, "write")`, nil)
	if err != nil {
		t.Fatal(err)
	}
	// From scratch, then from a frozen world, whose world the next calls
	// reuse: every decision must stay as it was made.
	type made struct {
		d    *Decision
		text string
	}
	var all []made
	for call := range 4 {
		req := &Request{Time: requestTime, Facts: requestFacts("/tmp/file1", "read"), Explain: true, Queries: []datalog.Rule{rights}}
		d, err := a.Authorize(context.Background(), tok, req)
		if err != nil {
			t.Fatal(err)
		}
		want := decisionText(d, nil) + fmt.Sprint(d.Answers)
		if !d.Allowed || len(d.Facts) == 0 || len(d.Answers) != 1 || len(d.Answers[0]) != 1 {
			t.Fatalf("call %d: unexpected decision %s", call, want)
		}
		req.Time = time.Time{}
		req.Facts[0] = requestFacts("/elsewhere", "write")[0]
		req.Queries[0] = datalog.Rule{}
		all = append(all, made{d, want})
	}
	if _, err := a.Authorize(context.Background(), tok, &Request{Facts: requestFacts("/tmp/file2", "write"), Explain: true}); err != nil {
		t.Fatal(err)
	}
	for call, m := range all {
		if got := decisionText(m.d, nil) + fmt.Sprint(m.d.Answers); got != m.text {
			t.Errorf("call %d: the decision changed after it was made:\n got %s\nwant %s", call, got, m.text)
		}
	}
}

// TestFrozenWorldOfABadToken: a token whose block cannot be loaded is
// refused with the same error on every call.
func TestFrozenWorldOfABadToken(t *testing.T) {
	root := mustKey(t, Ed25519)
	tok, err := New(root, mustBlock(t, `check if [1].any($x -> [2].any($x -> true));`), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAuthorizer(`allow if true;`, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var first string
	for i := range 4 {
		d, err := a.Authorize(context.Background(), tok, nil)
		if err == nil {
			t.Fatalf("call %d: decision %v, want an error", i, d)
		}
		if i == 0 {
			first = err.Error()
		} else if err.Error() != first {
			t.Errorf("call %d: %v, want %s", i, err, first)
		}
	}
}
