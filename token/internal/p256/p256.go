// Package p256 is ECDSA over NIST P-256 with SHA-256 digests, and nothing
// else: the secp256r1 keys of Biscuit tokens.
//
// It exists for size. crypto/ecdsa chooses the curve at run time, so a
// program that uses it for P-256 links the field arithmetic of P-224,
// P-384 and P-521 too, and math/big: some 800 KB of WebAssembly code that
// the engine never runs (sdk/wasm, issue 13). This package calls
// filippo.io/nistec, the standard library's own curve code exported
// (crypto/internal/fips140/nistec), for P-256 alone, and
// filippo.io/bigmod (crypto/internal/fips140/bigmod) for the scalars.
//
// The algorithms are those of crypto/internal/fips140/ecdsa (Go 1.26),
// specialized to P-256, and accept and refuse exactly what crypto/ecdsa
// does: [Verify] is crypto/ecdsa.VerifyASN1 (a strict DER
// ECDSA-Sig-Value, 0 < r, s < n, any s), [ParseCompressed] is
// crypto/elliptic.UnmarshalCompressed, [NewPrivateKey] is
// crypto/ecdsa.ParseRawPrivateKey. [Sign] is crypto/ecdsa.SignASN1's
// hedged signing: the nonce comes from an HMAC-DRBG (SHA-512) seeded with
// fresh randomness, the key and the digest
// (draft-irtf-cfrg-det-sigs-with-noise-04), so a weak random source does
// not leak the key. The tests hold all of it to crypto/ecdsa.
//
// Adapted from Go's crypto/internal/fips140/ecdsa and crypto/ecdsa:
// Copyright 2024 The Go Authors, under the BSD-style license of the Go
// project.
package p256

import (
	"bytes"
	"crypto/sha512"
	"errors"
	"io"
	"sync"

	"filippo.io/bigmod"
	"filippo.io/nistec"
)

// Sizes of the encodings.
const (
	// ScalarSize is the size of a private scalar, big-endian.
	ScalarSize = 32
	// CompressedSize is the size of a compressed SEC 1 point: 02 or 03,
	// then x.
	CompressedSize = 33
	// DigestSize is the size of the digests signed: SHA-256.
	DigestSize = 32
)

// order is n, the order of the base point.
var order = []byte{
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
}

// curve holds n as a modulus, and n-2 for inverses (Fermat).
var curve = sync.OnceValue(func() (c struct {
	n       *bigmod.Modulus
	nMinus2 []byte
}) {
	var err error
	if c.n, err = bigmod.NewModulus(order); err != nil {
		panic(err)
	}
	two, _ := bigmod.NewNat().SetBytes([]byte{2}, c.n)
	c.nMinus2 = bigmod.NewNat().ExpandFor(c.n).Sub(two, c.n).Bytes(c.n)
	return c
})

// PublicKey is a point of the curve, never the point at infinity.
type PublicKey struct {
	q []byte // uncompressed, as nistec encodes it
}

// ParseCompressed decodes a compressed point: 33 bytes, 02 or 03 then x,
// x < p, on the curve.
func ParseCompressed(b []byte) (*PublicKey, error) {
	if len(b) != CompressedSize || b[0] != 2 && b[0] != 3 {
		return nil, errors.New("p256: not a compressed point")
	}
	p, err := nistec.NewP256Point().SetBytes(b)
	if err != nil {
		return nil, err
	}
	return &PublicKey{q: p.Bytes()}, nil
}

// Compressed is the key's compressed encoding.
func (k *PublicKey) Compressed() []byte {
	c := make([]byte, CompressedSize)
	c[0] = 2 | k.q[len(k.q)-1]&1
	copy(c[1:], k.q[1:CompressedSize])
	return c
}

// PrivateKey is a scalar d, 0 < d < n, and its public key dG.
type PrivateKey struct {
	d   []byte // ScalarSize bytes
	pub PublicKey
}

// NewPrivateKey decodes a scalar: ScalarSize bytes, big-endian, 0 < d < n.
func NewPrivateKey(d []byte) (*PrivateKey, error) {
	c := curve()
	if len(d) != ScalarSize {
		return nil, errors.New("p256: invalid private key length")
	}
	k, err := bigmod.NewNat().SetBytes(d, c.n)
	if err != nil {
		return nil, err
	}
	if k.IsZero() == 1 {
		return nil, errors.New("p256: private key is zero")
	}
	q, err := nistec.NewP256Point().ScalarBaseMult(k.Bytes(c.n))
	if err != nil {
		return nil, err
	}
	return &PrivateKey{d: k.Bytes(c.n), pub: PublicKey{q: q.Bytes()}}, nil
}

// Public is the key's public half.
func (k *PrivateKey) Public() *PublicKey { return &k.pub }

// Sign signs a SHA-256 digest and returns a DER ECDSA-Sig-Value. rand
// gives the hedge's fresh randomness.
func Sign(rand io.Reader, k *PrivateKey, digest []byte) ([]byte, error) {
	if len(digest) != DigestSize {
		return nil, errors.New("p256: the digest is not SHA-256's")
	}
	c := curve()
	z := make([]byte, ScalarSize)
	if _, err := io.ReadFull(rand, z); err != nil {
		return nil, err
	}
	e := digestNat(digest)
	d := newDRBG(z, k.d, e.Bytes(c.n))

	// FIPS 186-5, section 6.4.1: a nonce by rejection sampling, and R = kG.
	var nonce *bigmod.Nat
	var r *nistec.P256Point
	b := make([]byte, ScalarSize)
	for {
		d.generate(b)
		if n, err := bigmod.NewNat().SetBytes(b, c.n); err == nil && n.IsZero() == 0 {
			var err error
			if r, err = nistec.NewP256Point().ScalarBaseMult(n.Bytes(c.n)); err != nil {
				return nil, err
			}
			nonce = n
			break
		}
	}
	nonceInv := inverse(nonce)
	rx, err := r.BytesX()
	if err != nil {
		return nil, err
	}
	rn, err := bigmod.NewNat().SetOverflowingBytes(rx, c.n)
	if err != nil {
		return nil, err
	}
	// Negligible, on a prime-order group of this size: something is wrong.
	if rn.IsZero() == 1 {
		return nil, errors.New("p256: internal error: r is zero")
	}
	s, err := bigmod.NewNat().SetBytes(k.d, c.n)
	if err != nil {
		return nil, err
	}
	s.Mul(rn, c.n)
	s.Add(e, c.n)
	s.Mul(nonceInv, c.n)
	if s.IsZero() == 1 {
		return nil, errors.New("p256: internal error: s is zero")
	}
	return encodeSignature(rn.Bytes(c.n), s.Bytes(c.n))
}

// Verify reports whether sig, a DER ECDSA-Sig-Value, signs the SHA-256
// digest with k. The inputs are public: it need not be constant-time.
func Verify(k *PublicKey, digest, sig []byte) bool {
	if len(digest) != DigestSize {
		return false
	}
	rb, sb, ok := parseSignature(sig)
	if !ok {
		return false
	}
	c := curve()
	q, err := nistec.NewP256Point().SetBytes(k.q)
	if err != nil {
		return false
	}
	r, err := bigmod.NewNat().SetBytes(rb, c.n)
	if err != nil || r.IsZero() == 1 {
		return false
	}
	s, err := bigmod.NewNat().SetBytes(sb, c.n)
	if err != nil || s.IsZero() == 1 {
		return false
	}
	e := digestNat(digest)
	// s is public: a variable-time inverse, faster than Fermat's (a
	// verification on amd64 92 -> 79 µs; crypto/ecdsa's, with an assembly
	// inverse that nistec does not export, 69 µs).
	w, ok := bigmod.NewNat().InverseVarTime(s, c.n)
	if !ok {
		return false // n is prime: unreachable for 0 < s < n
	}
	// p1 = [e/s]G, p2 = [r/s]Q; R = p1 + p2 must not be infinity, and its
	// x mod n must be r.
	p1, err := nistec.NewP256Point().ScalarBaseMult(e.Mul(w, c.n).Bytes(c.n))
	if err != nil {
		return false
	}
	p2, err := q.ScalarMult(q, w.Mul(r, c.n).Bytes(c.n))
	if err != nil {
		return false
	}
	rx, err := p1.Add(p1, p2).BytesX() // an error for infinity
	if err != nil {
		return false
	}
	v, err := bigmod.NewNat().SetOverflowingBytes(rx, c.n)
	return err == nil && v.Equal(r) == 1
}

// digestNat is the digest as a scalar: its 256 bits, reduced mod n.
func digestNat(digest []byte) *bigmod.Nat {
	e, err := bigmod.NewNat().SetOverflowingBytes(digest, curve().n)
	if err != nil {
		panic("p256: internal error: digest too long")
	}
	return e
}

// inverse is 1/k mod n, by Fermat: k^(n-2), in constant time, for the
// secret nonce. (A signature on amd64: 54 µs, crypto/ecdsa's 32.)
func inverse(k *bigmod.Nat) *bigmod.Nat {
	c := curve()
	return bigmod.NewNat().Exp(k, c.nMinus2, c.n)
}

// DER tags of an ECDSA-Sig-Value.
const (
	tagInteger  = 0x02
	tagSequence = 0x30
)

// parseSignature reads a DER ECDSA-Sig-Value as crypto/ecdsa does
// (through cryptobyte): one SEQUENCE of two non-negative INTEGERs,
// minimally encoded, with minimal lengths, nothing after. r and s come
// without leading zeros. By hand, since cryptobyte's integer reader links
// math/big.
func parseSignature(sig []byte) (r, s []byte, ok bool) {
	seq, rest, ok := readDER(sig, tagSequence)
	if !ok || len(rest) != 0 {
		return nil, nil, false
	}
	if r, seq, ok = readInteger(seq); !ok {
		return nil, nil, false
	}
	if s, seq, ok = readInteger(seq); !ok || len(seq) != 0 {
		return nil, nil, false
	}
	return r, s, true
}

// readDER reads one element of the given low-number tag: its contents,
// and what follows it. The length must be in DER's shortest form, at
// most 4 octets.
func readDER(b []byte, tag byte) (contents, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != tag {
		return nil, nil, false
	}
	n, header := int(b[1]), 2
	if n&0x80 != 0 {
		lenLen := n & 0x7f
		if lenLen == 0 || lenLen > 4 || len(b) < 2+lenLen {
			return nil, nil, false
		}
		n = 0
		for _, c := range b[2 : 2+lenLen] {
			n = n<<8 | int(c)
		}
		if n < 0x80 || n>>((lenLen-1)*8) == 0 {
			return nil, nil, false // the short form, or a leading zero octet, was due
		}
		header += lenLen
	}
	if len(b)-header < n {
		return nil, nil, false
	}
	return b[header : header+n], b[header+n:], true
}

// readInteger reads a non-negative, minimally encoded INTEGER, and
// returns its magnitude without leading zeros ("0" stays one octet).
func readInteger(b []byte) (n, rest []byte, ok bool) {
	n, rest, ok = readDER(b, tagInteger)
	switch {
	case !ok, len(n) == 0:
		return nil, nil, false
	case len(n) > 1 && (n[0] == 0 && n[1]&0x80 == 0 || n[0] == 0xff && n[1]&0x80 != 0):
		return nil, nil, false // not minimal
	case n[0]&0x80 != 0:
		return nil, nil, false // negative
	}
	for len(n) > 1 && n[0] == 0 {
		n = n[1:]
	}
	return n, rest, true
}

// encodeSignature is the DER ECDSA-Sig-Value of r and s, each nonzero
// and at most 32 bytes: short lengths only.
func encodeSignature(r, s []byte) ([]byte, error) {
	out := make([]byte, 2, 2+2*(2+1+ScalarSize))
	for _, n := range [][]byte{r, s} {
		n = bytes.TrimLeft(n, "\x00")
		if len(n) == 0 || len(n) > ScalarSize {
			return nil, errors.New("p256: internal error: invalid integer")
		}
		if n[0]&0x80 != 0 {
			out = append(out, tagInteger, byte(len(n)+1), 0)
		} else {
			out = append(out, tagInteger, byte(len(n)))
		}
		out = append(out, n...)
	}
	out[0], out[1] = tagSequence, byte(len(out)-2)
	return out, nil
}

// newHash is the DRBG's hash, SHA-512 as crypto/ecdsa's: it does not know
// which hash made the digest, and this has no security impact.
var newHash = sha512.New
