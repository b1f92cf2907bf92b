package datalog

import (
	"context"
	"errors"
	"strings"
	"testing"
)

var keyA = PublicKey{Algorithm: Ed25519, Key: []byte(strings.Repeat("a", 32))}

// authorize evaluates blocks (a nil key for first-party blocks) and an
// authorizer, and returns the decision as text: "allow", or "deny" with
// the failed checks.
func authorize(t *testing.T, blocks []string, keys []*PublicKey, authorizer string) string {
	t.Helper()
	w := NewWorld(nil)
	for i, src := range blocks {
		p, err := ParseBlock(src, &ParseOptions{Params: Params{}})
		if err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		var key *PublicKey
		if i < len(keys) {
			key = keys[i]
		}
		if _, err := w.AddBlock(p, key); err != nil {
			t.Fatal(err)
		}
	}
	a, err := ParseAuthorizer(authorizer, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddAuthorizer(a); err != nil {
		t.Fatal(err)
	}
	res, err := w.Authorize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Allowed() {
		return "allow"
	}
	var out []string
	if res.Policy == nil {
		out = append(out, "no policy")
	} else if res.Policy.Policy.Kind == Deny {
		out = append(out, "deny policy")
	}
	for _, c := range res.FailedChecks {
		out = append(out, c.Block.String()+": "+c.Check.String())
	}
	return strings.Join(out, "; ")
}

// TestFailedCheckPosition checks that the position of a parsed check and
// of a parsed policy reaches the result.
func TestFailedCheckPosition(t *testing.T) {
	w := NewWorld(nil)
	block, err := ParseBlock("f(1);\n  check if f(2);\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddBlock(block, nil); err != nil {
		t.Fatal(err)
	}
	a, err := ParseAuthorizer("check if f(1);\n\n allow if true;", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddAuthorizer(a); err != nil {
		t.Fatal(err)
	}
	res, err := w.Authorize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.FailedChecks) != 1 || res.FailedChecks[0].Check.Pos.String() != "2:3" {
		t.Errorf("failed checks %+v, want one at 2:3", res.FailedChecks)
	}
	if res.Policy == nil || res.Policy.Policy.Pos.String() != "3:2" {
		t.Errorf("matched policy %+v, want one at 3:2", res.Policy)
	}
}

func TestScopes(t *testing.T) {
	keyText := keyA.String()
	tests := []struct {
		name       string
		blocks     []string
		keys       []*PublicKey
		authorizer string
		want       string
	}{
		{
			name:       "an attenuation block cannot widen the authority",
			blocks:     []string{`right("a");`, `right("b");`},
			authorizer: `resource("b"); allow if right($r), resource($r);`,
			want:       "no policy",
		},
		{
			name:       "an attenuation block cannot feed the authority's rules",
			blocks:     []string{`can($r) <- right($r);`, `right("b");`},
			authorizer: `resource("b"); allow if can($r), resource($r);`,
			want:       "no policy",
		},
		{
			name:       "a block sees the authority and the authorizer",
			blocks:     []string{`right("a");`, `check if right($r), resource($r);`},
			authorizer: `resource("a"); allow if true;`,
			want:       "allow",
		},
		{
			name:       "a block does not see the block before it by default",
			blocks:     []string{`right("a");`, `extra("a");`, `check if extra($r), resource($r);`},
			authorizer: `resource("a"); allow if true;`,
			want:       `block 2: check if extra($r), resource($r)`,
		},
		{
			name:       "trusting previous on a check",
			blocks:     []string{`right("a");`, `extra("a");`, `check if extra($r), resource($r) trusting previous;`},
			authorizer: `resource("a"); allow if true;`,
			want:       "allow",
		},
		{
			name:       "trusting previous for a whole block",
			blocks:     []string{`right("a");`, `extra("a");`, "trusting previous;\nok($r) <- extra($r);\ncheck if ok($r), resource($r);"},
			authorizer: `resource("a"); allow if true;`,
			want:       "allow",
		},
		{
			name:       "trusting previous in the authorizer means nothing",
			blocks:     []string{`right("a");`, `extra("a");`},
			authorizer: `allow if extra("a") trusting previous;`,
			want:       "no policy",
		},
		{
			name:       "trusting a key sees the blocks it signed",
			blocks:     []string{`right("a");`, `group("admin");`},
			keys:       []*PublicKey{nil, &keyA},
			authorizer: `allow if group("admin") trusting ` + keyText + `;`,
			want:       "allow",
		},
		{
			name:       "without trusting the key, a third-party block is not seen",
			blocks:     []string{`right("a");`, `group("admin");`},
			keys:       []*PublicKey{nil, &keyA},
			authorizer: `allow if group("admin");`,
			want:       "no policy",
		},
		{
			name:       "trusting a key does not trust first-party blocks",
			blocks:     []string{`right("a");`, `group("admin");`},
			authorizer: `allow if group("admin") trusting ` + keyText + `;`,
			want:       "no policy",
		},
		{
			name:       "trusting with scopes drops the default authority",
			blocks:     []string{`right("a");`, `group("admin");`},
			keys:       []*PublicKey{nil, &keyA},
			authorizer: `allow if right("a"), group("admin") trusting ` + keyText + `;`,
			want:       "no policy",
		},
		{
			name:       "trusting authority and a key",
			blocks:     []string{`right("a");`, `group("admin");`},
			keys:       []*PublicKey{nil, &keyA},
			authorizer: `allow if right("a"), group("admin") trusting authority, ` + keyText + `;`,
			want:       "allow",
		},
		{
			// both("a") comes from blocks 0, 1 and 2: a check of block 2
			// that does not trust block 1 cannot see it, nor can the
			// authorizer.
			name:       "a derived fact carries the origins it came from",
			blocks:     []string{`right("a");`, `mine("a");`, `both($r) <- right($r), mine($r) trusting previous; check if both("a");`},
			authorizer: `allow if both("a") trusting previous;`,
			want:       `no policy; block 2: check if both("a")`,
		},
		{
			name:       "check all fails without a match",
			blocks:     []string{`right("a");`},
			authorizer: `check all op($o), $o == "read"; allow if true;`,
			want:       `authorizer: check all op($o), $o == "read"`,
		},
		{
			name:       "check all fails on one bad match",
			blocks:     []string{`right("a");`},
			authorizer: `op("read"); op("write"); check all op($o), $o == "read"; allow if true;`,
			want:       `authorizer: check all op($o), $o == "read"`,
		},
		{
			name:       "reject if",
			blocks:     []string{`right("a");`, `reject if resource("secret");`},
			authorizer: `resource("secret"); allow if true;`,
			want:       `block 1: reject if resource("secret")`,
		},
		{
			name:       "the first matching policy decides",
			blocks:     []string{`right("a");`},
			authorizer: `deny if right("a"); allow if true;`,
			want:       "deny policy",
		},
		{
			name:       "failed checks are listed authorizer first, then by block",
			blocks:     []string{`check if a(1);`, `check if b(1);`},
			authorizer: `check if c(1); allow if true;`,
			want:       `authorizer: check if c(1); block 0: check if a(1); block 1: check if b(1)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := authorize(t, tt.blocks, tt.keys, tt.authorizer); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestWorldMisuse(t *testing.T) {
	w := NewWorld(nil)
	if _, err := w.AddBlock(&Program{Policies: []Policy{{Kind: Allow, Queries: []Body{{}}}}}, nil); err == nil {
		t.Error("a block with a policy was accepted")
	}
	unsafe := Rule{Head: Predicate{Name: "p", Terms: []Term{Variable("x")}}}
	if _, err := w.AddBlock(&Program{Rules: []Rule{unsafe}}, nil); !errors.Is(err, ErrInvalidBlockRule) {
		t.Errorf("unsafe rule: got %v", err)
	}
	bad := &Program{Facts: []Fact{{Predicate{Name: "p", Terms: []Term{Set{Variable("x")}}}}}}
	if _, err := w.AddBlock(bad, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background()); !errors.Is(err, ErrInvalidType) {
		t.Errorf("variable inside a set: got %v", err)
	}
	if _, err := w.AddBlock(&Program{}, nil); !errors.Is(err, ErrWorldRan) {
		t.Errorf("after Run: got %v", err)
	}
	for _, limit := range []int{3, 1000} {
		w = NewWorld(&Options{Limits: Limits{MaxBlocks: limit}})
		max := min(limit, 126)
		for i := 0; i < max; i++ {
			if _, err := w.AddBlock(&Program{}, nil); err != nil {
				t.Fatal(err)
			}
		}
		var le *LimitError
		if _, err := w.AddBlock(&Program{}, nil); !errors.As(err, &le) || le.Kind != LimitBlocks || le.Max != int64(max) {
			t.Errorf("MaxBlocks %d: block %d: got %v", limit, max, err)
		}
	}
}

func TestQuery(t *testing.T) {
	auth, _ := ParseBlock(`right("a", "read"); right("b", "write"); can($r) <- right($r, "read");`, nil)
	extra, _ := ParseBlock(`right("c", "read");`, nil)
	w := NewWorld(nil)
	w.AddBlock(auth, nil)
	w.AddBlock(extra, nil)
	q, _ := ParseRule(`r($r, $op) <- right($r, $op)`, nil)
	facts, err := w.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range facts {
		got = append(got, f.String())
	}
	if want := `r("a", "read") r("b", "write")`; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s (block 1's fact is not trusted)", got, want)
	}
	q, _ = ParseRule(`r($r) <- right($r, "read") trusting previous`, nil)
	if facts, _ = w.Query(context.Background(), q); len(facts) != 0 {
		t.Errorf("a trusting clause replaces the defaults, and previous means nothing for the authorizer: got %v", facts)
	}
	q, _ = ParseRule(`r($r) <- can($r)`, nil)
	if facts, _ = w.Query(context.Background(), q); len(facts) != 1 || facts[0].String() != `r("a")` {
		t.Errorf("derived facts: got %v", facts)
	}
}
