package token

import (
	"crypto/sha512"
	"io"
	"sync"

	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/oasisprotocol/curve25519-voi/curve/scalar"
)

// Batch verification of a chain's Ed25519 signatures, written over
// curve25519-voi's curve arithmetic rather than its BatchVerifier so as to
// spend less on what a token's chain has that an arbitrary batch has not:
//
//   - the base point and a key that verifies many tokens (the root key of
//     a service) are expanded once, not on every call;
//   - the first signature's coefficient is 1 rather than random, so that
//     its R is added at the end instead of being multiplied (the other
//     coefficients are uniform 128-bit numbers: a batch holding a bad
//     signature passes with probability at most 2^-128, whichever one it
//     is, as with every coefficient random).
//
// The rules are those of PublicKey.Verify with ed25519Options, checked
// entry by entry as voi's VerifyWithOptions checks them: S canonical
// (below the group order); R canonical, a point, and not of small order; A
// a point and not of small order (a non-canonical A is taken, and hashed
// as it is written); then the cofactored equation, here summed over the
// batch with the coefficients z_i:
//
//	[8]( Σ z_i·R_i + Σ (z_i·k_i)·A_i − [Σ z_i·S_i]B ) = 0,  k_i = SHA-512(R_i || A_i || M_i)
//
// TestBatchAcceptsExactlyOneByOne holds this to one-by-one verification.

// edKey is the expanded form of an Ed25519 public key, computed the first
// time the key verifies a batch and shared by every copy of the key.
type edKey struct {
	once sync.Once
	// a is nil when the key is not a point or has small order: no
	// signature of it verifies.
	a *curve.ExpandedEdwardsPoint
}

func newEdKey(alg Algorithm) *edKey {
	if alg != Ed25519 {
		return nil
	}
	return &edKey{}
}

func (k *edKey) expanded(wire []byte) *curve.ExpandedEdwardsPoint {
	k.once.Do(func() {
		var a curve.EdwardsPoint
		if decompress(&a, wire) && !a.IsSmallOrder() {
			k.a = curve.NewExpandedEdwardsPoint(&a)
		}
	})
	return k.a
}

// basepoint is the Ed25519 base point B, expanded.
var basepoint = curve.NewExpandedEdwardsPoint(curve.ED25519_BASEPOINT_POINT)

// zSize is the size in bytes of a random coefficient.
const zSize = 16

func decompress(p *curve.EdwardsPoint, enc []byte) bool {
	var c curve.CompressedEdwardsY
	if _, err := c.SetBytes(enc); err != nil {
		return false
	}
	_, err := p.SetCompressedY(&c)
	return err == nil
}

// verifyEd25519Batch reports whether every check is a valid Ed25519
// signature (len(sig) == 64 for each): true only if each would pass
// PublicKey.Verify, save with probability 2^-128. rand is the source of
// the coefficients.
func verifyEd25519Batch(checks []*sigCheck, rand io.Reader) bool {
	n := len(checks)
	random := make([]byte, zSize*n)
	if _, err := io.ReadFull(rand, random); err != nil {
		return false
	}
	var (
		bCoeff  scalar.Scalar
		scalars = make([]scalar.Scalar, 2*n) // z_i, then z_i·k_i
		points  = make([]curve.EdwardsPoint, 2*n)
		r0      *curve.EdwardsPoint

		staticScalars  = []*scalar.Scalar{&bCoeff}
		staticPoints   = []*curve.ExpandedEdwardsPoint{basepoint}
		dynamicScalars = make([]*scalar.Scalar, 0, 2*n)
		dynamicPoints  = make([]*curve.EdwardsPoint, 0, 2*n)

		h      = sha512.New()
		digest [sha512.Size]byte
	)
	for i, c := range checks {
		var s scalar.Scalar
		if !scalar.ScMinimalVartime(c.sig[32:]) {
			return false
		}
		if _, err := s.SetBytesModOrder(c.sig[32:]); err != nil {
			return false
		}
		var rc curve.CompressedEdwardsY
		if _, err := rc.SetBytes(c.sig[:32]); err != nil || !rc.IsCanonicalVartime() {
			return false
		}
		r := &points[2*i]
		if _, err := r.SetCompressedY(&rc); err != nil || r.IsSmallOrder() {
			return false
		}

		var expandedA *curve.ExpandedEdwardsPoint
		a := &points[2*i+1]
		if c.key.ed != nil {
			if expandedA = c.key.ed.expanded(c.key.wire); expandedA == nil {
				return false
			}
		} else if !decompress(a, c.key.wire) || a.IsSmallOrder() {
			return false
		}

		h.Reset()
		h.Write(c.sig[:32])
		h.Write(c.key.wire)
		h.Write(c.payload)
		var k scalar.Scalar
		if _, err := k.SetBytesModOrderWide(h.Sum(digest[:0])); err != nil {
			return false
		}

		z, zk := &scalars[2*i], &scalars[2*i+1]
		if i == 0 {
			z.One()
			r0 = r
		} else {
			var zb [scalar.ScalarSize]byte
			copy(zb[:], random[zSize*i:zSize*(i+1)])
			if _, err := z.SetBytesModOrder(zb[:]); err != nil {
				return false
			}
			dynamicScalars = append(dynamicScalars, z)
			dynamicPoints = append(dynamicPoints, r)
		}
		var zs scalar.Scalar
		bCoeff.Sub(&bCoeff, zs.Mul(z, &s))
		zk.Mul(z, &k)
		if expandedA != nil {
			staticScalars = append(staticScalars, zk)
			staticPoints = append(staticPoints, expandedA)
		} else {
			dynamicScalars = append(dynamicScalars, zk)
			dynamicPoints = append(dynamicPoints, a)
		}
	}
	var sum curve.EdwardsPoint
	sum.ExpandedMultiscalarMulVartime(staticScalars, staticPoints, dynamicScalars, dynamicPoints)
	sum.Add(&sum, r0)
	return sum.IsSmallOrder()
}
