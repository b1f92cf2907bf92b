package token

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	voied "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/internal/edhost"
	"github.com/codios/codios/token/internal/p256"
)

// Algorithm is a signature algorithm: [Ed25519] or [Secp256r1] (ECDSA over
// P-256 with SHA-256).
type Algorithm = datalog.Algorithm

// The signature algorithms of the specification, numbered as on the wire.
const (
	Ed25519   = datalog.Ed25519
	Secp256r1 = datalog.Secp256r1
)

var (
	// ErrInvalidKey is a key that does not decode: unknown algorithm,
	// wrong size, bad text, or a point or scalar out of range.
	ErrInvalidKey = errors.New("token: invalid key")
	// ErrInvalidSignature is a signature that does not verify.
	ErrInvalidSignature = errors.New("token: invalid signature")
)

// ed25519Options are the verification rules of Ed25519, the same for one
// signature (PublicKey.Verify) and for a batch (verifyEd25519Batch):
// cofactored equation; S canonical; R canonical and not of small order; A
// not of small order, and taken as crypto/ed25519 and the reference take
// it, canonical or not (and hashed as written).
var ed25519Options = &voied.Options{Verify: &voied.VerifyOptions{AllowNonCanonicalA: true}}

// Sizes of keys and signatures on the wire.
const (
	// ed25519KeySize is a compressed Edwards y coordinate with the sign of
	// x. (Written out: importing crypto/ed25519 for its constants would
	// link its whole curve into the WebAssembly build, beside voi's.)
	ed25519KeySize = 32
	// ed25519SignatureSize is R || S.
	ed25519SignatureSize = 64
	// p256KeySize is a compressed SEC 1 point: 02 or 03, then x.
	p256KeySize = 33
	// secretSize is an Ed25519 seed or a big-endian P-256 scalar.
	secretSize = 32
	// maxScalarTries bounds the rejection sampling of a P-256 scalar; a
	// good source needs more than one try with probability 2^-32.
	maxScalarTries = 64
)

// Text forms of keys: "ed25519/<hex>", "ed25519-private/<hex>".
const (
	privateSuffix = "-private"
	redacted      = "<redacted>"
)

var (
	_ fmt.Stringer             = PublicKey{}
	_ encoding.TextMarshaler   = PublicKey{}
	_ encoding.TextUnmarshaler = (*PublicKey)(nil)
	_ fmt.Stringer             = PrivateKey{}
	_ fmt.GoStringer           = PrivateKey{}
	_ fmt.Formatter            = PrivateKey{}
	_ encoding.TextMarshaler   = PrivateKey{}
	_ json.Marshaler           = PrivateKey{}
)

// PublicKey verifies the signatures of one key. The zero value is not a
// key: build one with [NewPublicKey], [ParsePublicKey] or
// [PrivateKey.Public].
type PublicKey struct {
	alg  Algorithm
	wire []byte // never modified; Bytes returns a copy
	// ec is the parsed key, for Secp256r1.
	ec *p256.PublicKey
	// ed is the expanded form of an Ed25519 key, for the keys that verify
	// many tokens: computed by NewPublicKey, which decodes the key with
	// it, and by NewPrivateKey when the key first verifies. Nil for the
	// keys a token carries, which verify one signature each.
	ed *edKey
}

// NewPublicKey decodes a key from its wire encoding: for Ed25519 the 32
// bytes of RFC 8032 (a compressed y coordinate and the sign of x), for
// Secp256r1 the 33 bytes of a compressed SEC 1 point (prefix 02 or 03).
// The point must be on the curve.
//
// As the reference implementation does, Ed25519 accepts what
// crypto/ed25519 decodes: a y coordinate not reduced modulo p, and points
// of small order (whose signatures Verify refuses). Unlike the reference,
// which also takes an uncompressed point (prefix 04), Secp256r1 takes only
// the compressed form that the specification allows.
func NewPublicKey(alg Algorithm, wire []byte) (PublicKey, error) {
	switch alg {
	case Ed25519:
		if len(wire) != ed25519KeySize {
			return PublicKey{}, fmt.Errorf("%w: ed25519 public key must be %d bytes, not %d", ErrInvalidKey, ed25519KeySize, len(wire))
		}
		k := PublicKey{alg: alg, wire: bytes.Clone(wire), ed: newEdKey(alg)}
		if k.ed.expanded(k.wire) == nil {
			return PublicKey{}, fmt.Errorf("%w: ed25519 public key is not a point of the curve", ErrInvalidKey)
		}
		return k, nil
	case Secp256r1:
		if len(wire) != p256KeySize {
			return PublicKey{}, fmt.Errorf("%w: secp256r1 public key must be %d bytes, not %d", ErrInvalidKey, p256KeySize, len(wire))
		}
		if wire[0] != 2 && wire[0] != 3 {
			return PublicKey{}, fmt.Errorf("%w: secp256r1 public key must start with 02 or 03, not %02x", ErrInvalidKey, wire[0])
		}
		ec, err := p256.ParseCompressed(wire)
		if err != nil {
			return PublicKey{}, fmt.Errorf("%w: secp256r1 public key is not a point of the curve", ErrInvalidKey)
		}
		return PublicKey{alg: alg, wire: bytes.Clone(wire), ec: ec}, nil
	}
	return PublicKey{}, fmt.Errorf("%w: unknown algorithm %s", ErrInvalidKey, alg)
}

// wirePublicKey is NewPublicKey for the keys a token carries, on the hot
// path of verification. An Ed25519 key is checked for its length only,
// not decoded: every key of a token verifies a signature or matches the
// proof before the token is accepted, and verification, which decodes the
// key, refuses one that is not a point or has small order.
func wirePublicKey(alg Algorithm, wire []byte) (PublicKey, error) {
	if alg != Ed25519 {
		return NewPublicKey(alg, wire)
	}
	if len(wire) != ed25519KeySize {
		return PublicKey{}, fmt.Errorf("%w: ed25519 public key must be %d bytes, not %d", ErrInvalidKey, ed25519KeySize, len(wire))
	}
	return PublicKey{alg: alg, wire: bytes.Clone(wire)}, nil
}

// ParsePublicKey decodes the text form of a key, "ed25519/<hex>" or
// "secp256r1/<hex>", as the trusting clauses of Datalog write it.
func ParsePublicKey(text string) (PublicKey, error) {
	alg, rest, err := splitKeyText(text, "")
	if err != nil {
		return PublicKey{}, err
	}
	wire, err := hex.DecodeString(rest)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%w: %s public key is not hex: %w", ErrInvalidKey, alg, err)
	}
	return NewPublicKey(alg, wire)
}

// PublicKeyFromDatalog decodes a key named in Datalog.
func PublicKeyFromDatalog(k datalog.PublicKey) (PublicKey, error) {
	return NewPublicKey(k.Algorithm, k.Key)
}

// Algorithm is the algorithm of the key.
func (k PublicKey) Algorithm() Algorithm { return k.alg }

// Bytes is a copy of the key's wire encoding.
func (k PublicKey) Bytes() []byte { return bytes.Clone(k.wire) }

// String is the text form of the key, "ed25519/<lowercase hex>".
func (k PublicKey) String() string { return k.alg.String() + "/" + hex.EncodeToString(k.wire) }

// Equal reports whether two keys are the same: same algorithm, same bytes.
func (k PublicKey) Equal(o PublicKey) bool { return k.alg == o.alg && bytes.Equal(k.wire, o.wire) }

// Datalog is the key as Datalog names it, in a trusting clause.
func (k PublicKey) Datalog() datalog.PublicKey {
	return datalog.PublicKey{Algorithm: k.alg, Key: bytes.Clone(k.wire)}
}

// MarshalText is the text form of [PublicKey.String]. The zero value has
// none.
func (k PublicKey) MarshalText() ([]byte, error) {
	if k.wire == nil {
		return nil, fmt.Errorf("%w: the zero PublicKey has no text form", ErrInvalidKey)
	}
	return []byte(k.String()), nil
}

// UnmarshalText decodes the text form, as [ParsePublicKey] does.
func (k *PublicKey) UnmarshalText(text []byte) error {
	p, err := ParsePublicKey(string(text))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// Verify checks sig, a signature of payload by this key. A signature that
// fails gives an error wrapping [ErrInvalidSignature]; the zero PublicKey,
// one wrapping [ErrInvalidKey].
//
// Ed25519 is verified with the cofactored equation of RFC 8032 §5.1.7
// ([8]SB = [8]R + [8]kA), canonical S and R, and a key or an R of small
// order refused: the checks of the reference's verify_strict, with the
// cofactored equation in place of its cofactorless one, so that a whole
// chain can be verified in one batch that accepts exactly what this
// method accepts. The two equations agree on every
// signature made by the Ed25519 signing algorithm; they can differ only on
// a signature crafted, by the key's own holder, around a key or an R with
// a torsion component.
//
// Secp256r1 takes the SHA-256 digest of payload and a signature in strict
// DER: ECDSA-Sig-Value, minimal encodings, no trailing bytes, 0 < r, s < n.
// A high S is accepted, as the reference does: it does not normalize S.
func (k PublicKey) Verify(payload, sig []byte) error {
	switch {
	case k.wire == nil:
		return fmt.Errorf("%w: verifying with the zero PublicKey", ErrInvalidKey)
	case k.alg == Ed25519:
		if len(sig) != ed25519SignatureSize {
			return fmt.Errorf("%w: ed25519 signature must be %d bytes, not %d", ErrInvalidSignature, ed25519SignatureSize, len(sig))
		}
		if hostVerified(k, payload, sig) {
			return nil
		}
		var ok bool
		if k.ed != nil {
			a := k.ed.expanded(k.wire)
			ok = a != nil && voied.VerifyExpandedWithOptions(a, payload, sig, ed25519Options)
		} else {
			ok = voied.VerifyWithOptions(voied.PublicKey(k.wire), payload, sig, ed25519Options)
		}
		if !ok {
			return fmt.Errorf("%w: ed25519 signature does not match", ErrInvalidSignature)
		}
		return nil
	default: // Secp256r1: NewPublicKey admits no other
		h := sha256.Sum256(payload)
		if !p256.Verify(k.ec, h[:], sig) {
			return fmt.Errorf("%w: secp256r1 signature does not match or is not DER", ErrInvalidSignature)
		}
		return nil
	}
}

// PrivateKey signs blocks. Its secret never leaves it by accident: every
// fmt verb, GoString, MarshalText and MarshalJSON print the redacted form
// "ed25519-private/<redacted>"; only [PrivateKey.SecretBytes] and
// [PrivateKey.SecretText] reveal it. The redacted text does not parse, so
// a key written out by mistake fails loudly when read back. The zero value
// is not a key.
//
// The methods that print have value receivers, so that a PrivateKey
// copied out of its pointer is still redacted. Reflection cannot call them
// on an unexported field, so the key material is reached through a
// function value, which fmt (with any verb) and reflective dumpers print
// as an address: a structure holding a PrivateKey in an unexported field
// prints no secret either.
type PrivateKey struct {
	public PublicKey
	secret func() *secretKey // nil in the zero value
}

type secretKey struct {
	raw []byte // the Ed25519 seed or the P-256 scalar, secretSize bytes
	ed  voied.PrivateKey
	ec  *p256.PrivateKey
}

func (s *secretKey) get() *secretKey { return s }

// GenerateKey makes a new key from the bytes of rand, or crypto/rand's if
// rand is nil: an Ed25519 seed, or a P-256 scalar drawn by rejection
// sampling (32 bytes at a time until 0 < d < n).
func GenerateKey(alg Algorithm, rand io.Reader) (*PrivateKey, error) {
	if rand == nil {
		rand = cryptoRand
	}
	if alg != Ed25519 && alg != Secp256r1 {
		return nil, fmt.Errorf("%w: unknown algorithm %s", ErrInvalidKey, alg)
	}
	var secret [secretSize]byte
	for range maxScalarTries {
		if _, err := io.ReadFull(rand, secret[:]); err != nil {
			return nil, fmt.Errorf("token: generating a %s key: %w", alg, err)
		}
		if k, err := NewPrivateKey(alg, secret[:]); err == nil {
			return k, nil
		}
	}
	return nil, fmt.Errorf("token: generating a %s key: the random source gave no scalar in range in %d tries", alg, maxScalarTries)
}

// cryptoRand is crypto/rand's reader, named apart from GenerateKey's
// parameter.
var cryptoRand = rand.Reader

// NewPrivateKey decodes a secret as the proof of a token carries it: for
// Ed25519 the 32-byte seed of RFC 8032, for Secp256r1 the 32-byte
// big-endian scalar d, 0 < d < n. Errors never show the secret.
func NewPrivateKey(alg Algorithm, secret []byte) (*PrivateKey, error) {
	if alg != Ed25519 && alg != Secp256r1 {
		return nil, fmt.Errorf("%w: unknown algorithm %s", ErrInvalidKey, alg)
	}
	if len(secret) != secretSize {
		return nil, fmt.Errorf("%w: %s private key must be %d bytes, not %d", ErrInvalidKey, alg, secretSize, len(secret))
	}
	s := &secretKey{raw: bytes.Clone(secret)}
	if alg == Ed25519 {
		// curve25519-voi derives and signs as crypto/ed25519 does (RFC
		// 8032 is deterministic), a quarter faster.
		var pub []byte
		if d := edhost.GetDeriver(); d != nil {
			// The host's derivation (internal/edhost): voi's private key
			// is the seed and its public key, as crypto/ed25519's is.
			if p, ok := d(secret); ok && len(p) == ed25519KeySize {
				s.ed = voied.PrivateKey(append(bytes.Clone(secret), p...))
				pub = bytes.Clone(p)
			}
		}
		if pub == nil {
			s.ed = voied.NewKeyFromSeed(secret)
			pub = []byte(s.ed.Public().(voied.PublicKey))
		}
		// A seed's key is a multiple of the base point: never of small order.
		return &PrivateKey{public: PublicKey{alg: alg, wire: pub, ed: newEdKey(alg)}, secret: s.get}, nil
	}
	ec, err := p256.NewPrivateKey(secret)
	if err != nil {
		return nil, fmt.Errorf("%w: secp256r1 private key must be a scalar in [1, n-1]", ErrInvalidKey)
	}
	s.ec = ec
	return &PrivateKey{public: PublicKey{alg: alg, wire: ec.Public().Compressed(), ec: ec.Public()}, secret: s.get}, nil
}

// ParsePrivateKey decodes the text form of [PrivateKey.SecretText],
// "ed25519-private/<hex>" or "secp256r1-private/<hex>". Errors never show
// the text.
func ParsePrivateKey(text string) (*PrivateKey, error) {
	alg, rest, err := splitKeyText(text, privateSuffix)
	if err != nil {
		return nil, err
	}
	secret, err := hex.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: %s private key is not hex", ErrInvalidKey, alg)
	}
	return NewPrivateKey(alg, secret)
}

// Public is the public key of k.
func (k *PrivateKey) Public() PublicKey { return k.public }

// Algorithm is the algorithm of the key.
func (k *PrivateKey) Algorithm() Algorithm { return k.public.alg }

// SecretBytes is a copy of the secret in the encoding of a token's proof
// (nextSecret): the Ed25519 seed, or the P-256 scalar, 32 bytes each.
func (k *PrivateKey) SecretBytes() []byte {
	if k.secret == nil {
		return nil
	}
	return bytes.Clone(k.secret().raw)
}

// SecretText is the text form of the secret, "ed25519-private/<hex>", as
// [ParsePrivateKey] reads it. Whoever calls it means to reveal the key.
func (k *PrivateKey) SecretText() string {
	if k.secret == nil {
		return ""
	}
	return k.public.alg.String() + privateSuffix + "/" + hex.EncodeToString(k.secret().raw)
}

// Sign signs payload: Ed25519 gives R || S, 64 bytes; Secp256r1 signs the
// SHA-256 digest of payload and gives a DER ECDSA-Sig-Value, randomized
// (the specification recommends but does not require RFC 6979).
func (k *PrivateKey) Sign(payload []byte) ([]byte, error) {
	if k.secret == nil {
		return nil, fmt.Errorf("%w: signing with the zero PrivateKey", ErrInvalidKey)
	}
	switch s := k.secret(); {
	case s.ed != nil:
		return voied.Sign(s.ed, payload), nil
	default:
		h := sha256.Sum256(payload)
		sig, err := p256.Sign(cryptoRand, s.ec, h[:])
		if err != nil {
			return nil, fmt.Errorf("token: signing with secp256r1: %w", err)
		}
		return sig, nil
	}
}

// String is the redacted form, "ed25519-private/<redacted>".
func (k PrivateKey) String() string {
	return k.public.alg.String() + privateSuffix + "/" + redacted
}

// GoString is the redacted form, for %#v.
func (k PrivateKey) GoString() string { return k.String() }

// Format prints the redacted form for every verb; %q quotes it.
func (k PrivateKey) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", k.String())
		return
	}
	io.WriteString(f, k.String())
}

// MarshalText is the redacted form: a key never leaves by an encoder.
func (k PrivateKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// MarshalJSON is the redacted form, as a JSON string.
func (k PrivateKey) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

// splitKeyText splits "<algorithm><suffix>/<hex>" into the algorithm and
// the hex. Its errors never quote the text, which may be a secret.
func splitKeyText(text, suffix string) (Algorithm, string, error) {
	name, rest, ok := strings.Cut(text, "/")
	if ok {
		switch name {
		case Ed25519.String() + suffix:
			return Ed25519, rest, nil
		case Secp256r1.String() + suffix:
			return Secp256r1, rest, nil
		}
	}
	kind := "public"
	if suffix != "" {
		kind = "private"
	}
	return 0, "", fmt.Errorf("%w: %s key text must be ed25519%s/<hex> or secp256r1%s/<hex>", ErrInvalidKey, kind, suffix, suffix)
}
