package datalogbench

import (
	"slices"
	"testing"

	bparser "github.com/biscuit-auth/biscuit-go/v2/parser"
	"github.com/codios/codios/datalog"
)

// BenchmarkParseBlock parses a typical block (5 facts, 3 checks) from
// source text to each engine's parsed form: Codios's ParseBlock;
// biscuit-go's parser with its grammar built once and reused
// (parser.New().Block); and biscuit-go's FromStringBlock, which builds the
// grammar on every call.
func BenchmarkParseBlock(b *testing.B) {
	b.Run("impl=codios", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := datalog.ParseBlock(typicalBlock, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=biscuitgo", func(b *testing.B) {
		p := bparser.New()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Block(typicalBlock, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=biscuitgo-newparser", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bparser.FromStringBlock(typicalBlock); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEvaluate1000Facts evaluates 1,000 facts, a three-way join rule,
// 10 checks and an allow policy.
func BenchmarkEvaluate1000Facts(b *testing.B) { benchEvaluate(b, "1000Facts") }

// BenchmarkEvaluate1000Rules evaluates 1,000 rules, which derive 1,500
// facts, a check and an allow policy.
func BenchmarkEvaluate1000Rules(b *testing.B) { benchEvaluate(b, "1000Rules") }

// BenchmarkStandardRequestDatalog evaluates the standard request's 4
// blocks, its authorizer and its time fact.
func BenchmarkStandardRequestDatalog(b *testing.B) { benchEvaluate(b, "StandardRequest") }

// benchEvaluate times one request, its programs parsed outside the timed
// loop, on each engine. Each sub-benchmark first checks that its engine
// allows the request, by policy 0, so that none measures a failure.
//
//   - impl=codios: NewWorld, AddBlock for each block, AddAuthorizer,
//     AddFact, Authorize: Codios's whole per-request evaluation, loading
//     (interning) the parsed programs included.
//   - impl=biscuitgo: biscuit-go's datalog package, the programs already
//     converted to its interned terms: NewWorld, AddFact and AddRule, Run,
//     QueryRule for each check and policy, a cloned world for each block
//     after the first (see authorizeWorld).
//   - impl=biscuitgo-authorizer: biscuit-go's public API on a token built
//     in memory: NewVerifier, AddAuthorizer, AddFact, Authorize, which also
//     converts the token's blocks to the authorizer's symbols. Signatures
//     and the token's decoding are not in it (Biscuit.Authorizer would
//     verify the signatures first).
func benchEvaluate(b *testing.B, name string) {
	i := slices.IndexFunc(benchRequests(), func(r request) bool { return r.name == name })
	if i < 0 {
		b.Fatalf("no request %s", name)
	}
	r := benchRequests()[i]
	c, err := parseCodios(r)
	if err != nil {
		b.Fatal(err)
	}
	g, err := parseBiscuitGo(r)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("impl=codios", func(b *testing.B) {
		_, res, err := c.authorize()
		if err != nil {
			b.Fatal(err)
		}
		if !res.Allowed() || res.Policy.Index != 0 {
			b.Fatalf("want allow by policy 0, got policy %v, failed checks %v", res.Policy, res.FailedChecks)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := c.authorize(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=biscuitgo", func(b *testing.B) {
		a, _, err := g.authorizeWorld()
		if err != nil {
			b.Fatal(err)
		}
		if a.policy != 0 || len(a.failed) > 0 {
			b.Fatalf("want allow by policy 0, got policy %d, failed checks %v", a.policy, a.failed)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := g.authorizeWorld(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=biscuitgo-authorizer", func(b *testing.B) {
		if err := g.authorizeToken(); err != nil {
			b.Fatalf("want allow, got %v", err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := g.authorizeToken(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
