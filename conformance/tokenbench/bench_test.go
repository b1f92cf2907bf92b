package tokenbench

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	biscuit "github.com/biscuit-auth/biscuit-go/v2"
	bgdatalog "github.com/biscuit-auth/biscuit-go/v2/datalog"
	"github.com/biscuit-auth/biscuit-go/v2/parser"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// The standard request. Hop 2's list is a set ({...}), the form both
// engines read (biscuit-go v2.2.0 has no arrays); contains gives the same
// answer. The token is minted with signature version 0, the only one
// biscuit-go verifies, so that both parse the very same bytes.
const (
	authority = `user("alice");
right("/tmp/file1", "read");
right("/tmp/file1", "write");
right("/tmp/file2", "read");
agent("planner");
check if time($t), $t < 2030-01-01T00:00:00Z;`
	policy = `resource("/tmp/file1");
operation("read");
allow if right($r, $op), resource($r), operation($op);`
)

var hops = []string{
	`check if operation("read");
check if resource($r), $r.starts_with("/tmp/");`,
	`check if resource($r), {"/tmp/file1", "/tmp/file2"}.contains($r);
check if time($t), $t < 2029-06-01T00:00:00Z;`,
	`check if resource("/tmp/file1"), operation("read");`,
}

var (
	requestTime = time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
	rootSeed    = []byte("codios tokenbench root key seed!")
)

// mint returns the serialized token of n blocks: the authority block, then
// the hops in order, repeated.
func mint(tb testing.TB, n int) ([]byte, token.PublicKey) {
	tb.Helper()
	root, err := token.NewPrivateKey(token.Ed25519, rootSeed)
	if err != nil {
		tb.Fatal(err)
	}
	opts := &token.BlockOptions{LegacySignature: true}
	parse := func(src string) *datalog.Program {
		p, err := datalog.ParseBlock(src, nil)
		if err != nil {
			tb.Fatal(err)
		}
		return p
	}
	tok, err := token.New(root, parse(authority), opts)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 1; i < n; i++ {
		if tok, err = tok.Append(parse(hops[(i-1)%len(hops)]), opts); err != nil {
			tb.Fatal(err)
		}
	}
	data := tok.Serialize()
	return data, root.Public()
}

// mintFleet returns n distinct 4-block tokens of the standard request, as
// the Rust anchor (shared/anchors/biscuit-rust) builds its fleet: the
// authority block and hops 1 and 2 minted once, so that every token
// shares their bytes, then hop 3 appended n times, each append signing
// with a key pair of its own.
func mintFleet(tb testing.TB, n int) ([][]byte, token.PublicKey) {
	tb.Helper()
	prefixData, root := mint(tb, 3)
	prefix, err := token.Parse(prefixData, root, nil)
	if err != nil {
		tb.Fatal(err)
	}
	hop3, err := datalog.ParseBlock(hops[2], nil)
	if err != nil {
		tb.Fatal(err)
	}
	fleet := make([][]byte, n)
	for i := range fleet {
		// Each hop 3 its own, as a per-call block is: the same Datalog,
		// a context of its own, so no two tokens share a world.
		tok, err := prefix.Append(hop3, &token.BlockOptions{LegacySignature: true, Context: fmt.Sprint("call ", i)})
		if err != nil {
			tb.Fatal(err)
		}
		fleet[i] = tok.Serialize()
	}
	return fleet, root
}

// codios is a service in Codios: the policy parsed once. It keeps no
// loaded world of a token it sees again: biscuit-go evaluates every call
// from scratch, and so does a token never seen.
type codios struct {
	a    *token.Authorizer
	root token.PublicKey
	req  *token.Request
}

func newCodios(tb testing.TB, root token.PublicKey) *codios {
	a, err := token.ParseAuthorizer(policy, nil, &token.AuthorizerOptions{Limits: datalog.Limits{MaxTime: time.Minute}, CachedWorlds: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return &codios{a: a, root: root, req: &token.Request{Time: requestTime}}
}

func (c *codios) decide(data []byte) (bool, error) {
	tok, err := token.Parse(data, c.root, nil)
	if err != nil {
		return false, err
	}
	d, err := c.a.Authorize(context.Background(), tok, c.req)
	if err != nil {
		return false, err
	}
	return d.Allowed, nil
}

// biscuitGo is the same service in biscuit-go: the policy parsed once,
// the time fact built once.
type biscuitGo struct {
	policy biscuit.ParsedAuthorizer
	root   ed25519.PublicKey
	now    biscuit.Fact
}

func newBiscuitGo(tb testing.TB) *biscuitGo {
	blk, err := parser.FromStringBlock(`resource("/tmp/file1"); operation("read");`)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := parser.FromStringPolicy(`allow if right($r, $op), resource($r), operation($op)`)
	if err != nil {
		tb.Fatal(err)
	}
	now := biscuit.Fact{Predicate: biscuit.Predicate{Name: "time", IDs: []biscuit.Term{biscuit.Date(requestTime)}}}
	return &biscuitGo{
		policy: biscuit.ParsedAuthorizer{Block: blk, Policies: []biscuit.Policy{p}},
		root:   ed25519.NewKeyFromSeed(rootSeed).Public().(ed25519.PublicKey),
		now:    now,
	}
}

func (g *biscuitGo) decide(data []byte) (bool, error) {
	tok, err := biscuit.Unmarshal(data)
	if err != nil {
		return false, err
	}
	// Authorizer verifies the signatures. Its time limit is raised from
	// 2 ms, which a loaded machine can exceed.
	a, err := tok.Authorizer(g.root, biscuit.WithWorldOptions(bgdatalog.WithMaxDuration(time.Minute)))
	if err != nil {
		return false, err
	}
	a.AddAuthorizer(g.policy)
	a.AddFact(g.now)
	if err := a.Authorize(); err != nil {
		return false, err
	}
	return true, nil
}

var lengths = []int{4, 10, 30}

// TestSameDecision: both engines allow the same token bytes, and both
// refuse them with a write request (a read-only hop); both allow the
// tokens of a fleet.
func TestSameDecision(t *testing.T) {
	for _, n := range lengths {
		data, root := mint(t, n)
		c, g := newCodios(t, root), newBiscuitGo(t)
		if ok, err := c.decide(data); !ok || err != nil {
			t.Errorf("%d blocks: Codios %v, %v", n, ok, err)
		}
		if ok, err := g.decide(data); !ok || err != nil {
			t.Errorf("%d blocks: biscuit-go %v, %v", n, ok, err)
		}
	}
	fleet, root := mintFleet(t, 2)
	c, g := newCodios(t, root), newBiscuitGo(t)
	for i, data := range fleet {
		if ok, err := c.decide(data); !ok || err != nil {
			t.Errorf("fleet token %d: Codios %v, %v", i, ok, err)
		}
		if ok, err := g.decide(data); !ok || err != nil {
			t.Errorf("fleet token %d: biscuit-go %v, %v", i, ok, err)
		}
	}
}

// BenchmarkEd25519Verify is one signature, the floor: a token of n blocks
// costs at least n of these when verified one by one.
func BenchmarkEd25519Verify(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 200)
	sig := ed25519.Sign(priv, msg)
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkFullPath is the per-call path from bytes to a decision:
// parse, verify every signature, authorize with the policy parsed once.
// Codios's signature cache is off, so that it verifies every signature on
// every call, as biscuit-go does.
func BenchmarkFullPath(b *testing.B) {
	defer withSignatureCache(0)()
	for _, n := range lengths {
		data, root := mint(b, n)
		c, g := newCodios(b, root), newBiscuitGo(b)
		for _, impl := range []struct {
			name   string
			decide func([]byte) (bool, error)
		}{{"codios", c.decide}, {"biscuitgo", g.decide}} {
			b.Run(fmt.Sprintf("blocks=%d/impl=%s", n, impl.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if ok, err := impl.decide(data); !ok || err != nil {
						b.Fatal(ok, err)
					}
				}
			})
		}
	}
}

// withSignatureCache sizes Codios's signature cache (0: none) until the
// function it returns restores the size before.
func withSignatureCache(entries int) func() {
	old := token.SetSignatureCacheSize(entries)
	return func() { token.SetSignatureCacheSize(old) }
}

// BenchmarkFleet is a fleet of narrowed tokens: 1,000 distinct 4-block
// tokens of the standard request that share their first three blocks
// (mintFleet), each decided from its bytes, one after another; ns/op is
// one token. Codios's signature cache is new for each pass over the
// fleet: each token pays for its last block and its proof, the shared
// blocks are verified once per pass. biscuit-go verifies every block of
// every token.
func BenchmarkFleet(b *testing.B) {
	fleet, root := mintFleet(b, 1000)
	c, g := newCodios(b, root), newBiscuitGo(b)
	defer withSignatureCache(0)()
	for _, impl := range []struct {
		name   string
		decide func([]byte) (bool, error)
	}{{"codios", c.decide}, {"biscuitgo", g.decide}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i%len(fleet) == 0 {
					token.SetSignatureCacheSize(token.DefaultSignatureCacheSize)
				}
				if ok, err := impl.decide(fleet[i%len(fleet)]); !ok || err != nil {
					b.Fatal(ok, err)
				}
				i++
			}
		})
	}
}
