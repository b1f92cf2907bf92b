package token

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"

	"github.com/codios/codios/datalog"
)

// BenchmarkEd25519Verify is the floor of verification: one signature.
func BenchmarkEd25519Verify(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 200)
	sig := ed25519.Sign(priv, msg)
	b.ReportAllocs()
	defer cpuMetric(b)()
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkStandardRequest is the whole per-call path of a service on
// the standard request: parse the token's bytes, verify its four
// signatures, decode its blocks, evaluate them with the service's policy
// (parsed once) and the request's time, and decide. The caches are off
// (signatures, decoded blocks, the authorizer's worlds): every call
// verifies every signature, decodes every block and evaluates from
// scratch, as a token never seen before costs.
func BenchmarkStandardRequest(b *testing.B) {
	useSignatureCache(b, nil)
	root := mustKey(b, Ed25519)
	data := standardToken(b, root).Serialize()
	a, err := ParseAuthorizer(standardPolicy, nil, &AuthorizerOptions{CachedWorlds: -1})
	if err != nil {
		b.Fatal(err)
	}
	req := &Request{Time: requestTime}
	ctx := context.Background()
	pub := root.Public()
	b.ReportAllocs()
	defer cpuMetric(b)()
	for b.Loop() {
		tok, err := Parse(data, pub, nil)
		if err != nil {
			b.Fatal(err)
		}
		d, err := a.Authorize(ctx, tok, req)
		if err != nil || !d.Allowed {
			b.Fatal(d, err)
		}
	}
}

// BenchmarkStandardRequestUnseen is BenchmarkStandardRequest with the
// caches on, as a service runs: 1,000 distinct standard tokens that share
// nothing (each minted with key pairs of its own, and an authority block
// whose context is its own, so no two load the same world), parsed and
// authorized one after another, the signature cache new for each pass.
// Every signature, block and world misses, so this is what a token never
// seen costs, the caches' bookkeeping included.
func BenchmarkStandardRequestUnseen(b *testing.B) {
	root := mustKey(b, Ed25519)
	tokens := make([][]byte, 1000)
	for i := range tokens {
		tok, err := New(root, mustBlock(b, standardAuthority), &BlockOptions{Context: fmt.Sprint("token ", i)})
		if err != nil {
			b.Fatal(err)
		}
		for _, hop := range standardHops {
			if tok, err = tok.Append(mustBlock(b, hop), nil); err != nil {
				b.Fatal(err)
			}
		}
		tokens[i] = tok.Serialize()
	}
	benchDistinct(b, root.Public(), tokens)
}

// BenchmarkFleet is a fleet of narrowed tokens, as agents that narrow
// their token per call present them: 1,000 distinct 4-block tokens of the
// standard request that share their first three blocks, byte for byte,
// each with hop 3 appended by a key pair of its own (standardFleet). Each
// is parsed from bytes and authorized, one after another; ns/op is one
// token. The signature cache is new for each pass over the fleet, so that
// no token's own signature is found in it: each pays for its last block
// and its proof, and the prefix is verified once per pass.
func BenchmarkFleet(b *testing.B) {
	root := mustKey(b, Ed25519)
	benchDistinct(b, root.Public(), standardFleet(b, root, 1000))
}

// benchDistinct parses and authorizes distinct tokens one after another,
// with the standard policy and the caches on as a service has them; ns/op
// is one token. The signature cache is new for each pass over the tokens,
// so that no token finds its own signatures in it.
func benchDistinct(b *testing.B, root PublicKey, tokens [][]byte) {
	a, err := ParseAuthorizer(standardPolicy, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	req := &Request{Time: requestTime}
	ctx := context.Background()
	useSignatureCache(b, nil)
	i := 0
	b.ReportAllocs()
	defer cpuMetric(b)()
	for b.Loop() {
		if i%len(tokens) == 0 {
			signatures.Store(newSignatureCache(DefaultSignatureCacheSize))
		}
		tok, err := Parse(tokens[i%len(tokens)], root, nil)
		if err != nil {
			b.Fatal(err)
		}
		d, err := a.Authorize(ctx, tok, req)
		if err != nil || !d.Allowed {
			b.Fatal(d, err)
		}
		i++
	}
}

// BenchmarkStandardSignatures is the cryptography of the standard
// request alone: its four signatures verified in a batch and its proof
// checked (the proof's key derived from its seed), from bytes already
// split into blocks, the signature cache off. It bounds how fast the
// whole request of a token never seen before can be.
func BenchmarkStandardSignatures(b *testing.B) {
	useSignatureCache(b, nil)
	root := mustKey(b, Ed25519)
	data := standardToken(b, root).Serialize()
	u, err := ParseUnverified(data, nil)
	if err != nil {
		b.Fatal(err)
	}
	pub := root.Public()
	b.ReportAllocs()
	defer cpuMetric(b)()
	for b.Loop() {
		if _, err := u.verifySignatures(pub, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStandardAuthorize is the Datalog part alone: a verified,
// decoded token authorized again.
func BenchmarkStandardAuthorize(b *testing.B) {
	root := mustKey(b, Ed25519)
	tok := standardToken(b, root)
	a, _ := ParseAuthorizer(standardPolicy, nil, nil)
	req := &Request{Time: requestTime}
	ctx := context.Background()
	b.ReportAllocs()
	defer cpuMetric(b)()
	for b.Loop() {
		d, err := a.Authorize(ctx, tok, req)
		if err != nil || !d.Allowed {
			b.Fatal(d, err)
		}
	}
}

// BenchmarkStandardRequestCached is a repeated standard token: the cache
// spares the signatures, the Datalog runs on every call.
func BenchmarkStandardRequestCached(b *testing.B) {
	root := mustKey(b, Ed25519)
	data := standardToken(b, root).Serialize()
	a, _ := ParseAuthorizer(standardPolicy, nil, nil)
	req := &Request{Time: requestTime}
	ctx := context.Background()
	pub := root.Public()
	c := NewCache(DefaultCacheBytes)
	b.ReportAllocs()
	defer cpuMetric(b)()
	for b.Loop() {
		tok, err := c.Parse(data, pub, nil)
		if err != nil {
			b.Fatal(err)
		}
		d, err := a.Authorize(ctx, tok, req)
		if err != nil || !d.Allowed {
			b.Fatal(d, err)
		}
	}
}

// BenchmarkAttenuate parses one block's source, appends it and serializes.
func BenchmarkAttenuate(b *testing.B) {
	root := mustKey(b, Ed25519)
	tok := standardToken(b, root)
	b.ReportAllocs()
	defer cpuMetric(b)()
	for b.Loop() {
		p, err := datalog.ParseBlock(standardHops[1], nil)
		if err != nil {
			b.Fatal(err)
		}
		n, err := tok.Append(p, nil)
		if err != nil {
			b.Fatal(err)
		}
		n.Serialize()
	}
}

// BenchmarkLongToken is a 30-block token, verified and authorized from
// bytes, the signature cache off: the hops repeat in order.
func BenchmarkLongToken(b *testing.B) {
	useSignatureCache(b, nil)
	for _, n := range []int{4, 10, 30} {
		b.Run(fmt.Sprintf("blocks=%d", n), func(b *testing.B) {
			root := mustKey(b, Ed25519)
			tok, _ := New(root, mustBlock(b, standardAuthority), nil)
			for i := 1; i < n; i++ {
				tok, _ = tok.Append(mustBlock(b, standardHops[(i-1)%len(standardHops)]), nil)
			}
			data := tok.Serialize()
			a, _ := ParseAuthorizer(standardPolicy, nil, &AuthorizerOptions{CachedWorlds: -1})
			req := &Request{Time: requestTime}
			b.ReportAllocs()
			defer cpuMetric(b)()
			for b.Loop() {
				t, err := Parse(data, root.Public(), nil)
				if err != nil {
					b.Fatal(err)
				}
				d, err := a.Authorize(context.Background(), t, req)
				if err != nil || !d.Allowed {
					b.Fatal(d, err)
				}
			}
		})
	}
}
