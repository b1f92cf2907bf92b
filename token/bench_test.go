package token

import (
	"context"
	"crypto/ed25519"
	"testing"
)

// BenchmarkEd25519Verify is the floor of verification: one signature.
func BenchmarkEd25519Verify(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 200)
	sig := ed25519.Sign(priv, msg)
	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkStandardRequest is the whole per-call path of a service on
// the standard request: parse the token's bytes, verify its four
// signatures, decode its blocks, evaluate them with the service's policy
// (parsed once) and the request's time, and decide.
func BenchmarkStandardRequest(b *testing.B) {
	root := mustKey(b, Ed25519)
	data, err := standardToken(b, root).Serialize()
	if err != nil {
		b.Fatal(err)
	}
	a, err := ParseAuthorizer(standardPolicy, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	req := &Request{Time: requestTime}
	ctx := context.Background()
	pub := root.Public()
	b.ReportAllocs()
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

// BenchmarkStandardAuthorize is the Datalog part alone: a verified,
// decoded token authorized again.
func BenchmarkStandardAuthorize(b *testing.B) {
	root := mustKey(b, Ed25519)
	tok := standardToken(b, root)
	a, _ := ParseAuthorizer(standardPolicy, nil, nil)
	req := &Request{Time: requestTime}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		d, err := a.Authorize(ctx, tok, req)
		if err != nil || !d.Allowed {
			b.Fatal(d, err)
		}
	}
}
