package token

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/codios/codios/token/internal/pb"
)

// denyScenarios are authority blocks and policies that deny: each policy
// would allow if a block it does not trust said the right fact.
var denyScenarios = []struct{ authority, policy string }{
	{`user("alice");`, `resource("file1"); allow if right("file1", "read");`},
	{`right("file1", "read");`, `resource("file2"); allow if resource($r), right($r, "read");`},
	{`right("file1", "read"); check if time($t), $t < 2020-01-01T00:00:00Z;`, `resource("file1"); allow if right("file1", "read");`},
	{`admin(false);`, `allow if admin(true); deny if true;`},
	{`user("alice");`, `allow if user("alice"), role("admin"); deny if true;`},
}

// randomBlock writes a first-party block: facts, rules and checks, some of
// them the facts the policies above wait for.
func randomBlock(r *rand.Rand) string {
	facts := []string{`right("file1", "read")`, `right("file2", "read")`, `admin(true)`, `role("admin")`,
		`resource("file1")`, `user("bob")`, `time(2019-01-01T00:00:00Z)`}
	var b strings.Builder
	if r.IntN(4) == 0 {
		b.WriteString("trusting previous;\n")
	}
	for range 1 + r.IntN(4) {
		fmt.Fprintf(&b, "%s;\n", facts[r.IntN(len(facts))])
	}
	if r.IntN(2) == 0 {
		b.WriteString(`right($r, "read") <- resource($r);` + "\n")
	}
	if r.IntN(2) == 0 {
		b.WriteString(`role("admin") <- user($u);` + "\n")
	}
	if r.IntN(3) == 0 {
		b.WriteString("check if true;\n")
	}
	return b.String()
}

// TestAppendNeverAllows: a block appended to a token, first-party or
// signed by a third party nobody trusts, never turns a deny into an allow.
func TestAppendNeverAllows(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	root, untrusted := mustKey(t, Ed25519), mustKey(t, Ed25519)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, sc := range denyScenarios {
		auth, err := ParseAuthorizer(sc.policy, nil, nil)
		if err != nil {
			t.Fatalf("scenario %d: %v", i, err)
		}
		base, err := New(root, mustBlock(t, sc.authority), nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := auth.Authorize(context.Background(), base, &Request{Time: now})
		if err != nil || d.Allowed {
			t.Fatalf("scenario %d: the base token must be denied: %v, %v", i, d, err)
		}
		for range 60 {
			tok := base
			var srcs []string
			for range 1 + r.IntN(3) {
				src := randomBlock(r)
				srcs = append(srcs, src)
				if r.IntN(3) == 0 {
					req, err := tok.ThirdPartyRequest()
					if err != nil {
						t.Fatal(err)
					}
					b, err := req.Sign(untrusted, mustBlock(t, src))
					if err != nil {
						t.Fatal(err)
					}
					tok, err = tok.AppendThirdParty(b, nil)
				} else {
					tok, err = tok.Append(mustBlock(t, src), nil)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			d, err := auth.Authorize(context.Background(), tok, &Request{Time: now})
			if err == nil && d.Allowed {
				t.Fatalf("scenario %d: appending blocks allowed a denied token:\n%s", i, strings.Join(srcs, "--\n"))
			}
		}
	}
}

// TestSealedCannotGrow: a sealed token refuses Append and third-party
// requests, and a block spliced into its bytes by hand does not verify.
func TestSealedCannotGrow(t *testing.T) {
	root := mustKey(t, Ed25519)
	base, err := New(root, mustBlock(t, `right("file1", "read");`), nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := base.Seal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sealed.Append(mustBlock(t, `check if true;`), nil); !errors.Is(err, ErrSealed) {
		t.Errorf("Append on a sealed token: %v, want ErrSealed", err)
	}
	if _, err := sealed.ThirdPartyRequest(); !errors.Is(err, ErrSealed) {
		t.Errorf("ThirdPartyRequest on a sealed token: %v, want ErrSealed", err)
	}
	// A third-party block signed for the unsealed token, then appended to
	// the sealed one.
	req, err := base.ThirdPartyRequest()
	if err != nil {
		t.Fatal(err)
	}
	tp, err := req.Sign(mustKey(t, Ed25519), mustBlock(t, `right("file2", "read");`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sealed.AppendThirdParty(tp, nil); !errors.Is(err, ErrSealed) {
		t.Errorf("AppendThirdParty on a sealed token: %v, want ErrSealed", err)
	}

	grown, err := base.Append(mustBlock(t, `right("file2", "read");`), nil)
	if err != nil {
		t.Fatal(err)
	}
	grownBytes := grown.Serialize()
	sealedBytes := sealed.Serialize()
	var g, s pb.Biscuit
	if err := pb.UnmarshalBiscuit(grownBytes, &g); err != nil {
		t.Fatal(err)
	}
	if err := pb.UnmarshalBiscuit(sealedBytes, &s); err != nil {
		t.Fatal(err)
	}
	// The grown token's block, under the sealed token's final signature.
	s.Blocks = g.Blocks
	spliced, err := s.MarshalVT()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(spliced, root.Public(), nil); err == nil {
		t.Error("a sealed token with a block spliced in verified")
	}
	for _, b := range [][]byte{sealedBytes, grownBytes} {
		if _, err := Parse(b, root.Public(), nil); err != nil {
			t.Fatalf("an untouched token does not verify: %v", err)
		}
	}
}
