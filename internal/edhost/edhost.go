// Package edhost lets a host supply the curve work of Ed25519 verification
// to package token: the WebAssembly build in Node sets it to node:crypto's
// crypto.verify, about twice as fast as Go's curve arithmetic compiled to
// WebAssembly. It is internal so that token's public API does not grow:
// only a shim of this module (sdk/wasm) can set it.
//
// # What the host may decide
//
// The host is trusted only to accept: token asks it after its own cheap
// checks of the encodings (S canonical, R canonical and not of small
// order, the key a point and not of small order), and takes a host's
// "valid" as its own. Every host "invalid", and every error, is decided
// again by Go's own verification. This is what makes the verdicts exactly
// equal although the host's rules differ (node:crypto, i.e. OpenSSL, uses
// the cofactorless equation SB = R + kA; token the cofactored one,
// [8]SB = [8]R + [8]kA): a signature that passes the cofactorless
// equation passes the cofactored one, and the encoding checks are token's
// other rules; only the equations can disagree, and only the other way
// (a torsion component in R or A), which Go decides. A forged signature
// therefore costs the host's verification plus Go's; an honest one, the
// host's alone.
//
// The host may also derive a seed's public key (SetDeriver): that is
// trusted outright, as RFC 8032's function, so only a correct host may
// set it (node:crypto's key derivation is).
package edhost

import "sync/atomic"

// Verifier reports whether sig is a valid Ed25519 signature of msg by the
// 32-byte public key pub under the host's rules. It must be safe for
// concurrent use and must not keep its arguments.
type Verifier func(pub, msg, sig []byte) bool

// Deriver returns the 32-byte public key of an RFC 8032 seed, or false.
// It is trusted as a Verifier's "valid" is: it must be RFC 8032's
// derivation or absent. Token uses it for a token's proof, whose key is
// new in every token and whose derivation (a base-point multiplication)
// costs 118 µs in WebAssembly against 39 in node:crypto.
type Deriver func(seed []byte) ([]byte, bool)

var (
	current atomic.Pointer[Verifier]
	deriver atomic.Pointer[Deriver]
)

// SetDeriver makes d the host's derivation of public keys; nil removes it.
func SetDeriver(d Deriver) {
	if d == nil {
		deriver.Store(nil)
		return
	}
	deriver.Store(&d)
}

// GetDeriver returns the host's derivation, nil when there is none.
func GetDeriver() Deriver {
	if p := deriver.Load(); p != nil {
		return *p
	}
	return nil
}

// Set makes v the host verifier; nil removes it (Go verifies alone).
func Set(v Verifier) {
	if v == nil {
		current.Store(nil)
		return
	}
	current.Store(&v)
}

// Get returns the host verifier, nil when there is none.
func Get() Verifier {
	if p := current.Load(); p != nil {
		return *p
	}
	return nil
}
