package p256

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	mathrand "math/rand/v2"
	"testing"
	"testing/cryptotest"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// The reference for every test is the standard library: crypto/ecdsa,
// crypto/elliptic and cryptobyte, which crypto/ecdsa parses with.

func stdKey(t testing.TB, d []byte) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func stdCompressed(k *ecdsa.PublicKey) []byte {
	return elliptic.MarshalCompressed(elliptic.P256(), k.X, k.Y)
}

func scalar(n *big.Int) []byte { return n.FillBytes(make([]byte, ScalarSize)) }

var nBig = new(big.Int).SetBytes(order)

func TestPrivateKeysAsCryptoECDSA(t *testing.T) {
	r := mathrand.New(mathrand.NewPCG(1, 2))
	cases := [][]byte{
		scalar(big.NewInt(0)), scalar(big.NewInt(1)), scalar(big.NewInt(2)),
		scalar(new(big.Int).Sub(nBig, big.NewInt(1))), scalar(nBig),
		scalar(new(big.Int).Add(nBig, big.NewInt(1))), bytes.Repeat([]byte{0xff}, 32),
		make([]byte, 31), make([]byte, 33),
	}
	for range 200 {
		d := make([]byte, 32)
		for i := range d {
			d[i] = byte(r.Uint32())
		}
		cases = append(cases, d)
	}
	for _, d := range cases {
		ours, err := NewPrivateKey(d)
		std, stdErr := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
		if (err == nil) != (stdErr == nil) {
			t.Fatalf("d=%x: ours %v, crypto/ecdsa %v", d, err, stdErr)
		}
		if err != nil {
			continue
		}
		if got, want := ours.Public().Compressed(), stdCompressed(&std.PublicKey); !bytes.Equal(got, want) {
			t.Fatalf("d=%x: public key %x, crypto/ecdsa %x", d, got, want)
		}
	}
}

func TestParseCompressedAsCryptoElliptic(t *testing.T) {
	r := mathrand.New(mathrand.NewPCG(3, 4))
	p := elliptic.P256().Params().P
	edge := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(3), new(big.Int).Sub(p, big.NewInt(1)), p,
		new(big.Int).Add(p, big.NewInt(1)), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))}
	var cases [][]byte
	for _, x := range edge {
		for _, prefix := range []byte{0, 1, 2, 3, 4} {
			cases = append(cases, append([]byte{prefix}, x.FillBytes(make([]byte, 32))...))
		}
	}
	for range 400 {
		b := make([]byte, CompressedSize)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		b[0] = 2 + b[0]&1
		cases = append(cases, b)
	}
	cases = append(cases, nil, []byte{0}, make([]byte, 32), make([]byte, 34), make([]byte, 65))
	for _, b := range cases {
		k, err := ParseCompressed(b)
		x, _ := elliptic.UnmarshalCompressed(elliptic.P256(), b)
		if (err == nil) != (x != nil) {
			t.Fatalf("%x: ours %v, crypto/elliptic accepts %v", b, err, x != nil)
		}
		if err == nil && !bytes.Equal(k.Compressed(), b) {
			t.Fatalf("%x: re-encoded as %x", b, k.Compressed())
		}
	}
}

// TestSignMatchesCryptoECDSA: with the same randomness, Sign gives the
// very bytes crypto/ecdsa.SignASN1 gives: the same hedged nonce, the same
// DER. Both draw their 32 bytes of fresh randomness first.
func TestSignMatchesCryptoECDSA(t *testing.T) {
	for seed := range uint64(20) {
		d := sha256.Sum256([]byte{byte(seed)})
		digest := sha256.Sum256([]byte("payload " + string(rune('a'+seed))))
		ours, err := NewPrivateKey(d[:])
		if err != nil {
			t.Fatal(err)
		}
		std := stdKey(t, d[:])
		cryptotest.SetGlobalRandom(t, seed)
		want, err := ecdsa.SignASN1(rand.Reader, std, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		cryptotest.SetGlobalRandom(t, seed)
		got, err := Sign(rand.Reader, ours, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("seed %d: signature\n%x\ncrypto/ecdsa's\n%x", seed, got, want)
		}
		if !Verify(ours.Public(), digest[:], got) {
			t.Fatalf("seed %d: does not verify", seed)
		}
	}
}

// TestVerifyAsCryptoECDSA mutates good signatures every way an encoding
// can go wrong, and wants crypto/ecdsa.VerifyASN1's verdict on each.
func TestVerifyAsCryptoECDSA(t *testing.T) {
	d := sha256.Sum256([]byte("key"))
	ours, err := NewPrivateKey(d[:])
	if err != nil {
		t.Fatal(err)
	}
	std := stdKey(t, d[:])
	digest := sha256.Sum256([]byte("payload"))
	r := mathrand.New(mathrand.NewPCG(5, 6))
	var sigs [][]byte
	for range 8 {
		sig, err := Sign(rand.Reader, ours, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, sig)
		rs, ss := mustParse(t, sig)
		// (r, n-s) is as valid: neither side asks for a low s.
		sigs = append(sigs, der(rs.Bytes(), new(big.Int).Sub(nBig, ss).Bytes()))
		for _, v := range []*big.Int{big.NewInt(0), big.NewInt(1), nBig, new(big.Int).Add(nBig, rs)} {
			sigs = append(sigs, der(rs.Bytes(), v.Bytes()), der(v.Bytes(), ss.Bytes()))
		}
		// Leading zeros, a negative s, long-form and non-minimal lengths,
		// trailing data, other tags.
		sigs = append(sigs,
			derRaw(intRaw(append([]byte{0, 0}, rs.Bytes()...)), intRaw(ss.Bytes())),
			derRaw(intRaw(rs.Bytes()), intRaw(append([]byte{0xff}, ss.Bytes()...))),
			append([]byte{0x30, 0x81, byte(len(sig) - 2)}, sig[2:]...),
			append([]byte{0x30, 0x82, 0, byte(len(sig) - 2)}, sig[2:]...),
			append(bytes.Clone(sig), 0),
			append([]byte{0x31}, sig[1:]...),
			sig[:len(sig)-1],
		)
		for range 100 {
			m := bytes.Clone(sig)
			switch r.IntN(3) {
			case 0:
				m[r.IntN(len(m))] ^= byte(1 + r.IntN(255))
			case 1:
				m = m[:r.IntN(len(m))]
			default:
				i := r.IntN(len(m))
				m = append(m[:i:i], append([]byte{byte(r.Uint32())}, m[i:]...)...)
			}
			sigs = append(sigs, m)
		}
	}
	other := sha256.Sum256([]byte("another payload"))
	accepted := 0
	for _, sig := range sigs {
		for _, h := range [][]byte{digest[:], other[:]} {
			got, want := Verify(ours.Public(), h, sig), ecdsa.VerifyASN1(&std.PublicKey, h, sig)
			if got != want {
				t.Fatalf("sig %x over %x: ours %v, crypto/ecdsa %v", sig, h, got, want)
			}
			if got {
				accepted++
			}
		}
	}
	if accepted < 16 {
		t.Errorf("only %d signatures accepted: the mutations swamp the good ones", accepted)
	}
}

func mustParse(t *testing.T, sig []byte) (r, s *big.Int) {
	t.Helper()
	var inner cryptobyte.String
	r, s = new(big.Int), new(big.Int)
	in := cryptobyte.String(sig)
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !inner.ReadASN1Integer(r) || !inner.ReadASN1Integer(s) {
		t.Fatalf("signature %x is not DER", sig)
	}
	return r, s
}

// der encodes two non-negative integers as crypto/ecdsa does.
func der(r, s []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(new(big.Int).SetBytes(r))
		b.AddASN1BigInt(new(big.Int).SetBytes(s))
	})
	return b.BytesOrPanic()
}

func intRaw(content []byte) []byte { return append([]byte{0x02, byte(len(content))}, content...) }

func derRaw(parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	return append([]byte{0x30, byte(len(body))}, body...)
}

// FuzzParseSignature holds the hand-written DER reader to cryptobyte's,
// through which crypto/ecdsa reads signatures.
func FuzzParseSignature(f *testing.F) {
	f.Add(der(bytes.Repeat([]byte{0xd8}, 32), bytes.Repeat([]byte{0x5e}, 32)))
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00})
	f.Add([]byte{0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Add([]byte{0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, sig []byte) {
		r, s, ok := parseSignature(sig)
		var inner cryptobyte.String
		var wr, ws []byte
		in := cryptobyte.String(sig)
		want := in.ReadASN1(&inner, asn1.SEQUENCE) && in.Empty() &&
			inner.ReadASN1Integer(&wr) && inner.ReadASN1Integer(&ws) && inner.Empty()
		if ok != want || ok && (!bytes.Equal(r, wr) || !bytes.Equal(s, ws)) {
			t.Fatalf("%x: ours %v %x %x, cryptobyte %v %x %x", sig, ok, r, s, want, wr, ws)
		}
	})
}
