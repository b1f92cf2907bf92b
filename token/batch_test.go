package token

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oasisprotocol/curve25519-voi/curve"
)

// oneByOne is the reference for verifyAll: every signature alone, in order.
func oneByOne(checks []sigCheck) error {
	for _, c := range checks {
		if err := c.key.Verify(c.payload, c.sig); err != nil {
			return err
		}
	}
	return nil
}

// TestBatchAcceptsExactlyOneByOne checks that batch verification of a
// token's chain accepts exactly the signatures that verification one by
// one accepts: the genuine chain, each signature and each payload with a
// bit flipped, signatures moved to another block, and signatures that
// crypto/ed25519 alone would accept but our rules refuse (a small-order
// key, a small-order R) slipped in among genuine ones.
func TestBatchAcceptsExactlyOneByOne(t *testing.T) {
	root := mustKey(t, Ed25519)
	tok := standardToken(t, root)
	sealed, _ := tok.Seal()
	for _, tk := range []*Token{tok, sealed} {
		data := tk.Serialize()
		u, err := ParseUnverified(data, nil)
		if err != nil {
			t.Fatal(err)
		}
		checks := chainChecks(t, u, root.Public())
		agree(t, "genuine", checks)
		if err := verifyAll(checks); err != nil {
			t.Fatalf("genuine chain refused: %v", err)
		}
		for i := range checks {
			for _, field := range []string{"sig", "payload"} {
				for bit := 0; bit < 64*8; bit += 37 {
					mutated := append([]sigCheck(nil), checks...)
					target := bytes.Clone(mutated[i].sig)
					if field == "payload" {
						target = bytes.Clone(mutated[i].payload)
					}
					target[bit/8%len(target)] ^= 1 << (bit % 8)
					if field == "sig" {
						mutated[i].sig = target
					} else {
						mutated[i].payload = target
					}
					agree(t, field, mutated)
				}
			}
			if i > 0 {
				swapped := append([]sigCheck(nil), checks...)
				swapped[i].sig, swapped[i-1].sig = checks[i-1].sig, checks[i].sig
				agree(t, "swapped", swapped)
			}
		}
	}
	// Signatures crypto/ed25519 accepts and our rules refuse.
	identity := mustHex(t, "01"+strings.Repeat("00", 31))
	base := mustHex(t, "58"+strings.Repeat("66", 31))
	smallKeySig := append(bytes.Clone(base), 1)
	smallKeySig = append(smallKeySig, make([]byte, 31)...)
	smallKey, err := NewPublicKey(Ed25519, identity)
	if err != nil {
		t.Fatal(err)
	}
	data := tok.Serialize()
	u, _ := ParseUnverified(data, nil)
	checks := chainChecks(t, u, root.Public())
	withSmall := append(append([]sigCheck(nil), checks...), sigCheck{key: smallKey, payload: []byte("message"), sig: smallKeySig, block: len(checks)})
	agree(t, "small-order key", withSmall)
	if verifyAll(withSmall) == nil {
		t.Error("a small-order key's signature passed in a batch")
	}
	// Encodings that the rules refuse, in the first place (whose
	// coefficient is 1) and in the others: S not reduced (S + l), R the
	// identity, R not canonical (y = p + 1, which reads as the identity).
	order := mustHex(t, "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	nonCanonicalR := mustHex(t, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	for i := range checks {
		unreduced := bytes.Clone(checks[i].sig)
		carry := 0
		for j := 0; j < 32; j++ {
			v := int(unreduced[32+j]) + int(order[j]) + carry
			unreduced[32+j], carry = byte(v), v>>8
		}
		for what, bad := range map[string][]byte{
			"S + l":           unreduced,
			"identity R":      append(bytes.Clone(identity), checks[i].sig[32:]...),
			"non-canonical R": append(bytes.Clone(nonCanonicalR), checks[i].sig[32:]...),
		} {
			mutated := append([]sigCheck(nil), checks...)
			mutated[i].sig = bad
			agree(t, what, mutated)
			if verifyAll(mutated) == nil {
				t.Errorf("%s in place %d passed", what, i)
			}
		}
	}
}

// TestBatchExpandedKeys checks the batch with keys expanded once and
// shared (a root key used by many tokens), again and again, and with
// another root key and the zero PublicKey.
func TestBatchExpandedKeys(t *testing.T) {
	root := mustKey(t, Ed25519)
	data := standardToken(t, root).Serialize()
	u, _ := ParseUnverified(data, nil)
	pub := root.Public()
	for range 3 {
		checks := chainChecks(t, u, pub)
		var batch []*sigCheck
		for i := range checks {
			batch = append(batch, &checks[i])
		}
		// The batch itself passes: verifyAll does not fall back.
		if !verifyEd25519Batch(batch, cryptoRand) {
			t.Fatal("the batch refused a genuine chain")
		}
		if err := verifyAll(checks); err != nil {
			t.Fatal(err)
		}
	}
	other := mustKey(t, Ed25519).Public()
	if verifyAll(chainChecks(t, u, other)) == nil {
		t.Error("a chain passed with another root key")
	}
	if verifyAll(chainChecks(t, u, PublicKey{})) == nil {
		t.Error("a chain passed with the zero PublicKey")
	}
}

func chainChecks(t *testing.T, u *Unverified, root PublicKey) []sigCheck {
	t.Helper()
	var checks []sigCheck
	signer := root
	for i, b := range u.blocks {
		checks = append(checks, sigCheck{key: signer, payload: signedPayload(u.blocks, i), sig: b.signature, block: i})
		signer = b.nextKey
	}
	return checks
}

// agree checks that verifyAll, and the batch alone (without the
// fallback that verifyAll takes when the batch fails), give the verdict of
// one-by-one verification.
func agree(t *testing.T, what string, checks []sigCheck) {
	t.Helper()
	all, single := verifyAll(checks), oneByOne(checks)
	if (all == nil) != (single == nil) {
		t.Fatalf("%s: verifyAll says %v, one by one %v", what, all, single)
	}
	batch := make([]*sigCheck, len(checks))
	for i := range checks {
		batch[i] = &checks[i]
	}
	if got := verifyEd25519Batch(batch, cryptoRand); got != (single == nil) {
		t.Fatalf("%s: the batch says %v, one by one %v", what, got, single)
	}
}

// TestSpeccheckVectors runs the edge cases of "Taming the many EdDSAs"
// (testdata/ed25519_speccheck.json, where they come from is said there)
// with our verdict for each: one by one, and in a batch beside a good
// signature (before and after it, so that either has the coefficient
// voi's batch gives the first), with the key as NewPublicKey decodes it
// (expanded) and as a token carries it.
func TestSpeccheckVectors(t *testing.T) {
	vectors := speccheckVectors(t)
	signer := mustKey(t, Ed25519)
	goodPayload := []byte("a good signature beside the vector")
	goodSig, err := signer.Sign(goodPayload)
	if err != nil {
		t.Fatal(err)
	}
	good := sigCheck{key: signer.Public(), payload: goodPayload, sig: goodSig}
	for _, v := range vectors {
		t.Run(fmt.Sprintf("case %d", v.Case), func(t *testing.T) {
			wire := mustHex(t, v.PublicKey)
			decoded, err := NewPublicKey(Ed25519, wire)
			if err != nil {
				t.Fatalf("NewPublicKey: %v; every vector's key is a point", err)
			}
			carried, err := wirePublicKey(Ed25519, wire)
			if err != nil {
				t.Fatal(err)
			}
			for _, key := range []PublicKey{decoded, carried} {
				c := sigCheck{key: key, payload: mustHex(t, v.Message), sig: mustHex(t, v.Signature), block: 1}
				if got := c.key.Verify(c.payload, c.sig) == nil; got != v.Valid {
					t.Errorf("expanded %v: one by one valid = %v, want %v (%s)", key.ed != nil, got, v.Valid, v.Reason)
				}
				for _, pair := range [][]*sigCheck{{&good, &c}, {&c, &good}} {
					if got := verifyEd25519Batch(pair, cryptoRand); got != v.Valid {
						t.Errorf("expanded %v, batch of %v: valid = %v, want %v (%s)", key.ed != nil, pair, got, v.Valid, v.Reason)
					}
				}
				agree(t, v.Reason, []sigCheck{good, c})
			}
		})
	}
}

// TestSmallOrderEncodings holds smallOrderY to the points of small order:
// the encodings of the eight points of curve.EIGHT_TORSION, both signs of
// x and the non-canonical y + p where it fits, are exactly those it
// lists, and every listed encoding that decodes is a point of small
// order; random points are not.
func TestSmallOrderEncodings(t *testing.T) {
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	want := map[[32]byte]bool{}
	for _, pt := range curve.EIGHT_TORSION {
		var c curve.CompressedEdwardsY
		c.SetEdwardsPoint(pt)
		y := [32]byte(c)
		y[31] &= 0x7f
		want[y] = true
		// y + p, when it is below 2^255, encodes the same y.
		le := make([]byte, 32)
		for i := range le {
			le[i] = y[31-i]
		}
		if v := new(big.Int).Add(new(big.Int).SetBytes(le), p); v.BitLen() <= 255 {
			be := v.FillBytes(make([]byte, 32))
			var nc [32]byte
			for i := range nc {
				nc[i] = be[31-i]
			}
			want[nc] = true
		}
	}
	if len(want) != len(smallOrderY) {
		t.Fatalf("%d encodings of small order, the list has %d", len(want), len(smallOrderY))
	}
	for _, y := range smallOrderY {
		if !want[y] {
			t.Errorf("%x is listed but is no point of small order", y)
		}
		for _, sign := range []byte{0, 0x80} {
			enc := y
			enc[31] |= sign
			if !smallOrder(enc[:]) {
				t.Errorf("%x: not found", enc)
			}
			var pt curve.EdwardsPoint
			if decompress(&pt, enc[:]) && !pt.IsSmallOrder() {
				t.Errorf("%x decodes to a point not of small order", enc)
			}
		}
	}
	for range 100 {
		enc := mustKey(t, Ed25519).Public().Bytes()
		var pt curve.EdwardsPoint
		if !decompress(&pt, enc) || smallOrder(enc) != pt.IsSmallOrder() {
			t.Fatalf("%x: smallOrder %v", enc, smallOrder(enc))
		}
	}
}

// speccheckVector is one of the 12 vectors of "Taming the many EdDSAs".
type speccheckVector struct {
	Case      int
	Message   string
	PublicKey string `json:"pub_key"`
	Signature string
	Valid     bool
	Reason    string
}

// speccheckVectors reads testdata/ed25519_speccheck.json, the one copy of
// the paper's vectors.
func speccheckVectors(t *testing.T) []speccheckVector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "ed25519_speccheck.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Vectors []speccheckVector }
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) != 12 {
		t.Fatalf("%d vectors, want the paper's 12", len(file.Vectors))
	}
	return file.Vectors
}
