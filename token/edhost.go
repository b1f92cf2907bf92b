package token

import (
	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/oasisprotocol/curve25519-voi/curve/scalar"

	"github.com/codios/codios/internal/edhost"
)

// hostVerified reports whether the host verifier (internal/edhost), when
// one is set, accepts an Ed25519 signature (len(sig) == 64) that also
// passes the encoding checks of ed25519Options: S canonical, R canonical
// and not of small order, the key a point and not of small order. True
// means PublicKey.Verify accepts it too: the host's equation, whichever
// it is (cofactorless for node:crypto), implies the cofactored one, and
// an R that satisfies it is a point. False decides nothing: the caller
// verifies with Go's own arithmetic, which is how a host's refusal
// (a torsion component, or the host's own rules on encodings) can never
// make a verdict differ. With a host set, verifyAll leaves its batch
// aside: the host verifies one signature faster than the batch's share.
//
// The checks cost no field arithmetic: S and R are compared as integers
// and small order is read from the encodings (smallOrder). That R and the
// key are points is left to the host: a host that accepts has decoded
// both (reducing y mod p, as voi does for a non-canonical key) and found
// R = SB - kA, which holds only of points. Decoding the keys here would
// cost a square root for each of a token's block keys, new in every
// token.
func hostVerified(k PublicKey, payload, sig []byte) bool {
	v := edhost.Get()
	if v == nil {
		return false
	}
	if !scalar.ScMinimalVartime(sig[32:]) {
		return false
	}
	var rc curve.CompressedEdwardsY
	if _, err := rc.SetBytes(sig[:32]); err != nil || !rc.IsCanonicalVartime() || smallOrder(sig[:32]) {
		return false
	}
	if smallOrder(k.wire) {
		return false
	}
	return v(k.wire, payload, sig)
}
