package token

import (
	"context"
	"fmt"
	"strings"
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
	for _, g := range d.Facts() {
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
// again (from its second call on, from a snapshot), against several
// authorizers in turn, more than a token keeps snapshots for, and checks
// every decision against a copy of the token authorized once.
func TestRepeatedTokenDecidesAsFresh(t *testing.T) {
	root := mustKey(t, Ed25519)
	held := standardToken(t, root)
	data := held.Serialize()
	var auths []*Authorizer
	for _, src := range []string{
		`allow if right($r, $op), resource($r), operation($op);`,
		`deny if operation("write"); allow if user("alice");`,
		`check if agent("planner"); allow if right($r, "read"), resource($r);`,
		`allow if user("bob");`,
		`known($r) <- right($r, $op); allow if known($r), resource($r);`,
		`reject if resource("/tmp/file2"); allow if true;`,
	} {
		a, err := ParseAuthorizer(src, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		auths = append(auths, a)
	}
	reqs := []*Request{
		{Time: requestTime, Facts: requestFacts("/tmp/file1", "read")},
		{Time: requestTime, Facts: requestFacts("/tmp/file1", "write")},
		{Time: requestTime, Facts: requestFacts("/tmp/file2", "read")},
		{Time: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), Facts: requestFacts("/tmp/file1", "read")},
		{Facts: requestFacts("/tmp/file1", "read")},
		nil,
		{Time: requestTime, Facts: requestFacts("/tmp/file1", "read"), Program: mustBlock(t, `check if user("alice");`)},
	}
	ctx := context.Background()
	for round := range 3 {
		for ai, a := range auths {
			for ri, req := range reqs {
				fresh, err := Parse(data, root.Public(), nil)
				if err != nil {
					t.Fatal(err)
				}
				want := decisionText(a.Authorize(ctx, fresh, req))
				got := decisionText(a.Authorize(ctx, held, req))
				if got != want {
					t.Errorf("round %d, authorizer %d, request %d:\n got %s\nwant %s", round, ai, ri, got, want)
				}
			}
		}
	}
	snaps := held.snapshots.Load()
	if snaps == nil || len(*snaps) != maxTokenSnapshots {
		t.Fatalf("the held token keeps %v snapshots, want %d", snaps, maxTokenSnapshots)
	}
	for _, s := range *snaps {
		if s.snap == nil {
			t.Error("a snapshot failed to load")
		}
	}
}

// TestSnapshotOfABadToken: a token whose block cannot be loaded is
// refused with the same error on every call.
func TestSnapshotOfABadToken(t *testing.T) {
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
