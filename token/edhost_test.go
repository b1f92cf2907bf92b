package token

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"testing"

	"github.com/oasisprotocol/curve25519-voi/curve/scalar"

	"github.com/codios/codios/internal/edhost"
)

// edCase is one Ed25519 verification: key, message, signature.
type edCase struct {
	name          string
	pub, msg, sig []byte
}

// edHostCases are the 12 speccheck vectors and encodings around them: each
// vector's signature with S + L (non-canonical S), R replaced by each
// small-order encoding, and the key replaced by each small-order encoding;
// a good signature, and the same with the key's and R's y made
// non-canonical where that fits.
func edHostCases(t *testing.T) []edCase {
	t.Helper()
	var cases []edCase
	for _, v := range speccheckVectors(t) {
		cases = append(cases, edCase{fmt.Sprintf("speccheck %d", v.Case), mustHex(t, v.PublicKey), mustHex(t, v.Message), mustHex(t, v.Signature)})
	}
	signer := mustKey(t, Ed25519)
	msg := []byte("an honest payload")
	good, err := signer.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	pub := signer.Public().Bytes()
	cases = append(cases, edCase{"good", pub, msg, good})
	for _, base := range append([]edCase(nil), cases...) {
		if s := addL(base.sig[32:]); s != nil {
			cases = append(cases, edCase{base.name + ", S + L", base.pub, base.msg, append(bytes32(base.sig[:32]), s...)})
		}
		for i, so := range smallOrderY {
			for _, sign := range []byte{0, 0x80} {
				enc := so
				enc[31] |= sign
				cases = append(cases,
					edCase{fmt.Sprintf("%s, R small order %d/%x", base.name, i, sign), base.pub, base.msg, append(enc[:], base.sig[32:]...)},
					edCase{fmt.Sprintf("%s, A small order %d/%x", base.name, i, sign), enc[:], base.msg, base.sig})
			}
		}
		if r := addP(base.sig[:32]); r != nil {
			cases = append(cases, edCase{base.name + ", R + p", base.pub, base.msg, append(r, base.sig[32:]...)})
		}
		if a := addP(base.pub); a != nil {
			cases = append(cases, edCase{base.name + ", A + p", a, base.msg, base.sig})
		}
	}
	return cases
}

func bytes32(b []byte) []byte { return append([]byte(nil), b...) }

// addL returns the little-endian s + L when it fits in 32 bytes, else nil.
func addL(s []byte) []byte {
	l := [32]byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	return addLE(s, l[:], 256)
}

// addP returns the encoding with y + p (sign bit kept) when y + p < 2^255.
func addP(enc []byte) []byte {
	p := [32]byte{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	y := bytes32(enc)
	sign := y[31] & 0x80
	y[31] &= 0x7f
	out := addLE(y, p[:], 255)
	if out == nil {
		return nil
	}
	out[31] |= sign
	return out
}

func addLE(a, b []byte, bits int) []byte {
	out := make([]byte, 32)
	carry := 0
	for i := range 32 {
		v := int(a[i]) + int(b[i]) + carry
		out[i], carry = byte(v), v>>8
	}
	if carry != 0 || (bits == 255 && out[31]&0x80 != 0) {
		return nil
	}
	return out
}

// TestHostVerifierSameVerdicts holds a host verifier to Go's verdicts:
// with a cofactorless host (crypto/ed25519, the equation node:crypto
// uses), with a host that accepts everything (so that only token's own
// checks stand between it and a wrong "valid") and one that refuses
// everything, every case gets PublicKey.Verify's verdict without a host,
// one by one and in a token's verifyAll.
func TestHostVerifierSameVerdicts(t *testing.T) {
	cases := edHostCases(t)
	want := make([]bool, len(cases))
	for i, c := range cases {
		k, err := wirePublicKey(Ed25519, c.pub)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = k.Verify(c.msg, c.sig) == nil
	}
	hosts := map[string]edhost.Verifier{
		"cofactorless": func(pub, msg, sig []byte) bool { return ed25519.Verify(pub, msg, sig) },
		"refuses":      func(pub, msg, sig []byte) bool { return false },
	}
	asked := 0
	defer edhost.Set(nil)
	for name, host := range hosts {
		edhost.Set(func(pub, msg, sig []byte) bool { asked++; return host(pub, msg, sig) })
		for i, c := range cases {
			for _, decode := range []func(Algorithm, []byte) (PublicKey, error){wirePublicKey, NewPublicKey} {
				k, err := decode(Ed25519, c.pub)
				if err != nil {
					continue // NewPublicKey refuses a key that is not a point
				}
				if got := k.Verify(c.msg, c.sig) == nil; got != want[i] {
					t.Errorf("%s host, %s: valid = %v, Go alone says %v", name, c.name, got, want[i])
				}
			}
		}
	}
	if asked == 0 {
		t.Fatal("the host verifier was never asked")
	}
	// A host that accepts everything is wrong; token's own checks must
	// still refuse every case whose encodings its rules refuse.
	edhost.Set(func(pub, msg, sig []byte) bool { return true })
	refused := 0
	for i, c := range cases {
		if !encodingsRefused(c) {
			continue
		}
		refused++
		k, _ := wirePublicKey(Ed25519, c.pub)
		if k.Verify(c.msg, c.sig) == nil || want[i] {
			t.Errorf("%s: accepted with bad encodings (Go alone: %v)", c.name, want[i])
		}
	}
	if refused < len(cases)/2 {
		t.Fatalf("only %d of %d cases have bad encodings", refused, len(cases))
	}
}

// encodingsRefused reports whether token's rules refuse c's encodings
// whatever the equation: S not canonical, R not canonical, small order.
func encodingsRefused(c edCase) bool {
	return !scalar.ScMinimalVartime(c.sig[32:]) || smallOrder(c.sig[:32]) || smallOrder(c.pub) || !canonicalY(c.sig[:32])
}

func canonicalY(enc []byte) bool {
	y := bytes32(enc)
	y[31] &= 0x7f
	// y < p: compare from the top byte.
	p := [32]byte{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	for i := 31; i >= 0; i-- {
		if y[i] != p[i] {
			return y[i] < p[i]
		}
	}
	return false
}

// TestHostDeriverSameKeys: with a host deriver (crypto/ed25519's, RFC
// 8032's), a seed gives the same public key and the same signatures as
// Go's own derivation; a host that fails leaves Go to derive.
func TestHostDeriverSameKeys(t *testing.T) {
	defer edhost.SetDeriver(nil)
	seed := mustHex(t, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	want, err := NewPrivateKey(Ed25519, seed)
	if err != nil {
		t.Fatal(err)
	}
	wantSig, _ := want.Sign([]byte("m"))
	for name, d := range map[string]edhost.Deriver{
		"rfc8032": func(s []byte) ([]byte, bool) { return ed25519.NewKeyFromSeed(s).Public().(ed25519.PublicKey), true },
		"fails":   func(s []byte) ([]byte, bool) { return nil, false },
	} {
		called := false
		edhost.SetDeriver(func(s []byte) ([]byte, bool) { called = true; return d(s) })
		got, err := NewPrivateKey(Ed25519, seed)
		if err != nil || !called {
			t.Fatalf("%s: %v, deriver called %v", name, err, called)
		}
		sig, _ := got.Sign([]byte("m"))
		if !got.Public().Equal(want.Public()) || !bytes.Equal(sig, wantSig) {
			t.Errorf("%s: key %v sig %x, want %v %x", name, got.Public(), sig, want.Public(), wantSig)
		}
	}
}
