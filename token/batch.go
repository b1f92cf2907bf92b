package token

import (
	"io"
	"sync"

	voied "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// edKey is the expanded form of an Ed25519 public key (a decoded point
// and its table of multiples), shared by every copy of the key: a key
// that verifies many tokens (a service's root key) is decoded and
// expanded once, not on every call. NewPublicKey computes it to check
// that the key is a point; a key of NewPrivateKey, the first time it
// verifies.
type edKey struct {
	once sync.Once
	// a is nil when the key is not a point: no signature of it verifies.
	a *voied.ExpandedPublicKey
}

func newEdKey(alg Algorithm) *edKey {
	if alg != Ed25519 {
		return nil
	}
	return &edKey{}
}

func (k *edKey) expanded(wire []byte) *voied.ExpandedPublicKey {
	k.once.Do(func() {
		if a, err := voied.NewExpandedPublicKey(voied.PublicKey(wire)); err == nil {
			k.a = a
		}
	})
	return k.a
}

// verifyEd25519Batch reports whether every check is a valid Ed25519
// signature (len(sig) == 64 for each), by curve25519-voi's BatchVerifier
// with ed25519Options, the options of PublicKey.Verify: each entry is
// checked against the same rules as alone, and the cofactored equation,
// summed over the batch with random 128-bit coefficients, passes only if
// each would pass PublicKey.Verify, save with probability 2^-128. An
// expanded key goes in as it is; voi expands the others. rand is the
// source of the coefficients.
func verifyEd25519Batch(checks []*sigCheck, rand io.Reader) bool {
	v := voied.NewBatchVerifierWithCapacity(len(checks))
	for _, c := range checks {
		if c.key.ed == nil {
			v.AddWithOptions(voied.PublicKey(c.key.wire), c.payload, c.sig, ed25519Options)
			continue
		}
		a := c.key.ed.expanded(c.key.wire)
		if a == nil {
			return false
		}
		v.AddExpandedWithOptions(a, c.payload, c.sig, ed25519Options)
	}
	return v.VerifyBatchOnly(rand)
}
