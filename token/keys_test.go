package token

import (
	"bytes"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token/internal/pb"
	"github.com/codios/codios/token/internal/sig"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRFC8032Vector1 is test 1 of RFC 8032, section 7.1: the empty message.
// The sizes keys.go writes out are crypto/ed25519's.
var (
	_ = [1]struct{}{}[ed25519KeySize-ed25519.PublicKeySize]
	_ = [1]struct{}{}[ed25519SignatureSize-ed25519.SignatureSize]
)

func TestRFC8032Vector1(t *testing.T) {
	seed := mustHex(t, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	pub := mustHex(t, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
	want := mustHex(t, "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065"+
		"224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
	k, err := NewPrivateKey(Ed25519, seed)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Public().Bytes(); !bytes.Equal(got, pub) {
		t.Fatalf("public key %x, want %x", got, pub)
	}
	got, err := k.Sign(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("signature %x, want %x", got, want)
	}
	if err := k.Public().Verify(nil, want); err != nil {
		t.Fatal(err)
	}
}

// TestReferenceKeyPairs are the key pairs of the reference's crypto tests
// (crypto/mod.rs, parsing_ed25519 and parsing_secp256r1).
func TestReferenceKeyPairs(t *testing.T) {
	for _, tt := range []struct{ private, public string }{
		{"ed25519-private/bf6065d753c4a2c679dcd28828ac625c6c713efee2d4dd4b9c9ff3c9a2b2f966",
			"ed25519/eb396fa7a681c614fefc5bd8d1fa0383f30a8c562a99d8e8a830286e844be074"},
		{"secp256r1-private/4e85237ab258ca7d53051073dd6c1e501ea4699f2fed6b0f5d399dc2a5f7d38f",
			"secp256r1/03b6d94743381d3452f11a1aec8d73b0a899827d48be2e4387112e4d2faacfcc29"},
	} {
		k, err := ParsePrivateKey(tt.private)
		if err != nil {
			t.Fatal(err)
		}
		if got := k.SecretText(); got != tt.private {
			t.Errorf("SecretText %s, want %s", got, tt.private)
		}
		if got := k.Public().String(); got != tt.public {
			t.Errorf("Public %s, want %s", got, tt.public)
		}
		pub, err := ParsePublicKey(tt.public)
		if err != nil {
			t.Fatal(err)
		}
		if !pub.Equal(k.Public()) {
			t.Errorf("ParsePublicKey(%s) differs from the private key's", tt.public)
		}
	}
}

// TestSamplesRootKey derives the samples' root public key from their root
// private key.
func TestSamplesRootKey(t *testing.T) {
	f, _, root := loadSamples(t)
	k, err := NewPrivateKey(Ed25519, mustHex(t, f.RootPrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	if !k.Public().Equal(root) {
		t.Fatalf("root private key gives %s, want %s", k.Public(), root)
	}
}

// TestVerifySampleSignatures checks that Verify accepts the reference's
// signatures, Ed25519 and P-256, and that the proofs' secrets decode to
// the last next keys.
func TestVerifySampleSignatures(t *testing.T) {
	_, dir, root := loadSamples(t)
	for _, name := range []string{"test001_basic.bc", "test020_sealed.bc", "test024_third_party.bc",
		"test029_reject_if.bc", "test036_secp256r1.bc", "test037_secp256r1_third_party.bc"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			var b pb.Biscuit
			if err := pb.UnmarshalBiscuit(data, &b); err != nil {
				t.Fatal(err)
			}
			verifyChain(t, &b, root)
		})
	}
}

func verifyChain(t *testing.T, b *pb.Biscuit, root PublicKey) {
	t.Helper()
	key := func(k *pb.PublicKey) PublicKey {
		t.Helper()
		p, err := NewPublicKey(Algorithm(k.GetAlgorithm()), k.GetKey())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	wire := func(k PublicKey) sig.Key { return sig.Key{Algorithm: uint32(k.Algorithm()), Bytes: k.Bytes()} }
	signer := root
	var prevSig []byte
	blocks := append([]*pb.SignedBlock{b.GetAuthority()}, b.GetBlocks()...)
	for i, sb := range blocks {
		next := key(sb.GetNextKey())
		var extSig []byte
		if ext := sb.GetExternalSignature(); ext != nil {
			extSig = ext.GetSignature()
			if err := key(ext.GetPublicKey()).Verify(sig.ExternalV1(sb.GetBlock(), prevSig), extSig); err != nil {
				t.Fatalf("block %d: external signature: %v", i, err)
			}
		}
		var payload []byte
		switch {
		case sb.GetVersion() == sig.Version0:
			payload = sig.BlockV0(sb.GetBlock(), extSig, wire(next))
		case i == 0:
			payload = sig.AuthorityV1(sb.GetBlock(), wire(next))
		default:
			payload = sig.BlockV1(sb.GetBlock(), wire(next), prevSig, extSig)
		}
		if err := signer.Verify(payload, sb.GetSignature()); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		signer, prevSig = next, sb.GetSignature()
	}
	last := blocks[len(blocks)-1]
	if final := b.GetProof().GetFinalSignature(); final != nil {
		if err := signer.Verify(sig.Seal(last.GetBlock(), wire(signer), last.GetSignature()), final); err != nil {
			t.Fatalf("final signature: %v", err)
		}
		return
	}
	k, err := NewPrivateKey(signer.Algorithm(), b.GetProof().GetNextSecret())
	if err != nil {
		t.Fatal(err)
	}
	if !k.Public().Equal(signer) {
		t.Fatalf("nextSecret gives %s, want %s", k.Public(), signer)
	}
}

func TestTextRoundTrip(t *testing.T) {
	for _, alg := range []Algorithm{Ed25519, Secp256r1} {
		t.Run(alg.String(), func(t *testing.T) {
			k, err := GenerateKey(alg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if k.Algorithm() != alg || k.Public().Algorithm() != alg {
				t.Fatalf("algorithm %s, want %s", k.Algorithm(), alg)
			}
			pub := k.Public()
			text := pub.String()
			if !strings.HasPrefix(text, alg.String()+"/") || text != strings.ToLower(text) {
				t.Fatalf("String %q: want %s/<lowercase hex>", text, alg)
			}
			p, err := ParsePublicKey(text)
			if err != nil || !p.Equal(pub) {
				t.Fatalf("ParsePublicKey(%q) = %v, %v", text, p, err)
			}
			p, err = NewPublicKey(alg, pub.Bytes())
			if err != nil || !p.Equal(pub) {
				t.Fatalf("NewPublicKey(Bytes) = %v, %v", p, err)
			}
			d := pub.Datalog()
			if d.String() != text {
				t.Fatalf("Datalog prints %s, want %s", d, text)
			}
			if p, err = PublicKeyFromDatalog(d); err != nil || !p.Equal(pub) {
				t.Fatalf("PublicKeyFromDatalog = %v, %v", p, err)
			}

			// JSON goes through MarshalText and UnmarshalText.
			type doc struct{ Key PublicKey }
			j, err := json.Marshal(doc{pub})
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"Key":"` + text + `"}`; string(j) != want {
				t.Fatalf("json %s, want %s", j, want)
			}
			var back doc
			if err := json.Unmarshal(j, &back); err != nil || !back.Key.Equal(pub) {
				t.Fatalf("json round trip: %v, %v", back.Key, err)
			}

			secret := k.SecretText()
			if want := alg.String() + "-private/" + hex.EncodeToString(k.SecretBytes()); secret != want {
				t.Fatalf("SecretText %q, want %q", secret, want)
			}
			k2, err := ParsePrivateKey(secret)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(k2.SecretBytes(), k.SecretBytes()) || !k2.Public().Equal(pub) {
				t.Fatal("ParsePrivateKey(SecretText) is another key")
			}
			if len(k.SecretBytes()) != 32 {
				t.Fatalf("SecretBytes is %d bytes, want 32", len(k.SecretBytes()))
			}
		})
	}
}

// TestBytesAreCopies checks that no accessor hands out the key's memory.
func TestBytesAreCopies(t *testing.T) {
	k, err := GenerateKey(Secp256r1, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := k.Public()
	want := pub.String()
	pub.Bytes()[1] ^= 1
	pub.Datalog().Key[1] ^= 1
	if pub.String() != want {
		t.Fatal("Bytes or Datalog aliases the key")
	}
	secret := k.SecretText()
	k.SecretBytes()[0] ^= 1
	if k.SecretText() != secret {
		t.Fatal("SecretBytes aliases the key")
	}
	wire := []byte(pub.Bytes())
	p, _ := NewPublicKey(Secp256r1, wire)
	wire[1] ^= 1
	if !p.Equal(pub) {
		t.Fatal("NewPublicKey keeps its argument")
	}
}

func TestMalformedKeys(t *testing.T) {
	ed := strings.Repeat("ab", 32)
	p256 := "03b6d94743381d3452f11a1aec8d73b0a899827d48be2e4387112e4d2faacfcc29"
	n := elliptic.P256().Params().N
	scalar := func(v *big.Int) string { return hex.EncodeToString(v.FillBytes(make([]byte, 32))) }
	// Uncompressed form of the P-256 key above.
	uncompressed := "04b6d94743381d3452f11a1aec8d73b0a899827d48be2e4387112e4d2faacfcc29" +
		"092daffc573caf88e5ca3d5d0bf28056e2613a86e94259238932591271dbce07"
	tests := []struct {
		name string
		err  func() error
	}{
		{"ed25519 31 bytes", newPub(Ed25519, ed[2:])},
		{"ed25519 33 bytes", newPub(Ed25519, ed+"00")},
		{"ed25519 empty", newPub(Ed25519, "")},
		{"ed25519 y=2 not on the curve", newPub(Ed25519, "02"+strings.Repeat("00", 31))},
		{"secp256r1 32 bytes", newPub(Secp256r1, p256[2:])},
		{"secp256r1 34 bytes", newPub(Secp256r1, p256+"00")},
		{"secp256r1 prefix 04", newPub(Secp256r1, "04"+p256[2:])},
		{"secp256r1 prefix 05", newPub(Secp256r1, "05"+p256[2:])},
		{"secp256r1 prefix 00", newPub(Secp256r1, "00"+p256[2:])},
		{"secp256r1 uncompressed", newPub(Secp256r1, uncompressed)},
		{"secp256r1 x=1 not on the curve", newPub(Secp256r1, "02"+strings.Repeat("00", 31)+"01")},
		{"secp256r1 x=p", newPub(Secp256r1, "02"+scalar(elliptic.P256().Params().P))},
		{"unknown algorithm", newPub(Algorithm(2), ed)},
		{"text: unknown algorithm", parsePub("ed448/" + ed)},
		{"text: capitalized algorithm", parsePub("Ed25519/" + ed)},
		{"text: no algorithm", parsePub(ed)},
		{"text: private prefix", parsePub("ed25519-private/" + ed)},
		{"text: bad hex", parsePub("ed25519/" + ed[:62] + "zz")},
		{"text: odd hex", parsePub("ed25519/" + ed[:63])},
		{"text: empty", parsePub("")},
		{"text: secp256r1 prefix 04", parsePub("secp256r1/04" + p256[2:])},
		{"datalog: wrong size", func() error {
			_, err := PublicKeyFromDatalog(datalog.PublicKey{Algorithm: Secp256r1, Key: make([]byte, 32)})
			return err
		}},
		{"ed25519 secret 31 bytes", newPriv(Ed25519, ed[2:])},
		{"ed25519 secret 33 bytes", newPriv(Ed25519, ed+"00")},
		{"secp256r1 zero scalar", newPriv(Secp256r1, strings.Repeat("00", 32))},
		{"secp256r1 scalar n", newPriv(Secp256r1, scalar(n))},
		{"secp256r1 scalar n+1", newPriv(Secp256r1, scalar(new(big.Int).Add(n, big.NewInt(1))))},
		{"secp256r1 scalar 2^256-1", newPriv(Secp256r1, strings.Repeat("ff", 32))},
		{"secp256r1 secret 31 bytes", newPriv(Secp256r1, ed[2:])},
		{"unknown algorithm secret", newPriv(Algorithm(9), ed)},
		{"private text: public prefix", parsePriv("ed25519/" + ed)},
		{"private text: unknown algorithm", parsePriv("ed448-private/" + ed)},
		{"private text: no algorithm", parsePriv(ed)},
		{"private text: bad hex", parsePriv("ed25519-private/" + ed[:62] + "zz")},
		{"private text: zero scalar", parsePriv("secp256r1-private/" + strings.Repeat("00", 32))},
		{"generate: unknown algorithm", func() error { _, err := GenerateKey(Algorithm(3), nil); return err }},
		{"unmarshal text", func() error { var k PublicKey; return k.UnmarshalText([]byte("secp256r1/05" + p256[2:])) }},
		{"marshal the zero key", func() error { _, err := PublicKey{}.MarshalText(); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error %v, want ErrInvalidKey", err)
			}
		})
	}
}

func newPub(alg Algorithm, h string) func() error {
	return func() error {
		b, err := hex.DecodeString(h)
		if err != nil {
			panic(err)
		}
		_, err = NewPublicKey(alg, b)
		return err
	}
}

func parsePub(s string) func() error {
	return func() error { _, err := ParsePublicKey(s); return err }
}

func newPriv(alg Algorithm, h string) func() error {
	return func() error {
		b, err := hex.DecodeString(h)
		if err != nil {
			panic(err)
		}
		_, err = NewPrivateKey(alg, b)
		return err
	}
}

func parsePriv(s string) func() error {
	return func() error { _, err := ParsePrivateKey(s); return err }
}

// TestPrivateKeyErrorsHideTheSecret checks that no parsing error quotes
// the text it was given, which may be a secret.
func TestPrivateKeyErrorsHideTheSecret(t *testing.T) {
	secret := "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7zz"
	for _, text := range []string{secret, "ed25519-private/" + secret, "ed25519/" + secret, "x" + secret + "/00"} {
		_, err := ParsePrivateKey(text)
		if err == nil {
			t.Fatalf("ParsePrivateKey(%q) succeeded", text)
		}
		if strings.Contains(err.Error(), "5ec7e7") || strings.Contains(err.Error(), "'z'") {
			t.Errorf("error %q shows the secret", err)
		}
	}
}

func TestRedaction(t *testing.T) {
	for _, alg := range []Algorithm{Ed25519, Secp256r1} {
		t.Run(alg.String(), func(t *testing.T) {
			k, err := GenerateKey(alg, nil)
			if err != nil {
				t.Fatal(err)
			}
			secret := k.SecretBytes()
			leaks := func(s string) bool {
				for _, form := range []string{
					hex.EncodeToString(secret),
					strings.ToUpper(hex.EncodeToString(secret)),
					string(secret),
					strings.Trim(fmt.Sprint(secret[:6]), "[]"),
					fmt.Sprintf("%#v", secret[:6])[len("[]byte{"):],
				} {
					if strings.Contains(s, form) {
						return true
					}
				}
				return false
			}
			want := alg.String() + "-private/<redacted>"
			type exported struct{ K *PrivateKey }
			type value struct{ K PrivateKey }
			type hidden struct{ k PrivateKey }
			type hiddenPointer struct{ k *PrivateKey }
			holders := map[string]any{
				"pointer":        k,
				"value":          *k,
				"field":          exported{k},
				"value field":    value{*k},
				"hidden field":   hidden{*k},
				"hidden pointer": hiddenPointer{k},
				"slice":          []*PrivateKey{k},
				"map":            map[string]PrivateKey{"k": *k},
			}
			for name, h := range holders {
				for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
					if s := fmt.Sprintf(verb, h); leaks(s) {
						t.Errorf("%s %s: %s shows the secret", name, verb, s)
					}
				}
			}
			for verb, wantOut := range map[string]string{"%v": want, "%s": want, "%+v": want, "%#v": want,
				"%x": want, "%q": `"` + want + `"`} {
				if got := fmt.Sprintf(verb, k); got != wantOut {
					t.Errorf("%s: %s, want %s", verb, got, wantOut)
				}
			}
			if got := k.GoString(); got != want {
				t.Errorf("GoString %s, want %s", got, want)
			}
			if got, err := k.MarshalText(); err != nil || string(got) != want {
				t.Errorf("MarshalText %s, %v; want %s", got, err, want)
			}
			j, err := json.Marshal(struct {
				K *PrivateKey
				V PrivateKey
				N *PrivateKey
			}{k, *k, nil})
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(j, &got); err != nil {
				t.Fatal(err)
			}
			if got["K"] != want || got["V"] != want || got["N"] != nil || leaks(string(j)) {
				t.Errorf("json %s, want %s for K and V", j, want)
			}
			// The redacted form must not read back as a key.
			if _, err := ParsePrivateKey(want); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("ParsePrivateKey(%s): %v, want ErrInvalidKey", want, err)
			}
		})
	}
}

func TestZeroValues(t *testing.T) {
	var pub PublicKey
	if err := pub.Verify(nil, make([]byte, 64)); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("zero PublicKey Verify: %v, want ErrInvalidKey", err)
	}
	var k PrivateKey
	if _, err := k.Sign(nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("zero PrivateKey Sign: %v, want ErrInvalidKey", err)
	}
	if k.SecretBytes() != nil || k.SecretText() != "" {
		t.Error("the zero PrivateKey has a secret")
	}
	_ = fmt.Sprintf("%v %s %#v", k, &k, (*PrivateKey)(nil))
}

func TestSignVerify(t *testing.T) {
	payload := []byte("\x00BLOCK\x00 a payload")
	for _, alg := range []Algorithm{Ed25519, Secp256r1} {
		t.Run(alg.String(), func(t *testing.T) {
			k, err := GenerateKey(alg, nil)
			if err != nil {
				t.Fatal(err)
			}
			other, err := GenerateKey(alg, nil)
			if err != nil {
				t.Fatal(err)
			}
			s, err := k.Sign(payload)
			if err != nil {
				t.Fatal(err)
			}
			if err := k.Public().Verify(payload, s); err != nil {
				t.Fatal(err)
			}
			if alg == Ed25519 && len(s) != 64 {
				t.Fatalf("ed25519 signature of %d bytes", len(s))
			}
			mustFail := func(what string, payload, s []byte, pub PublicKey) {
				t.Helper()
				if err := pub.Verify(payload, s); !errors.Is(err, ErrInvalidSignature) {
					t.Fatalf("%s: %v, want ErrInvalidSignature", what, err)
				}
			}
			for i := range len(s) * 8 {
				flipped := bytes.Clone(s)
				flipped[i/8] ^= 1 << (i % 8)
				mustFail(fmt.Sprintf("signature bit %d", i), payload, flipped, k.Public())
			}
			for i := range len(payload) * 8 {
				flipped := bytes.Clone(payload)
				flipped[i/8] ^= 1 << (i % 8)
				mustFail(fmt.Sprintf("payload bit %d", i), flipped, s, k.Public())
			}
			mustFail("another key", payload, s, other.Public())
			mustFail("truncated", payload, s[:len(s)-1], k.Public())
			mustFail("trailing byte", payload, append(bytes.Clone(s), 0), k.Public())
			mustFail("empty", payload, nil, k.Public())
		})
	}
	ed, _ := GenerateKey(Ed25519, nil)
	p256, _ := GenerateKey(Secp256r1, nil)
	s, _ := ed.Sign(payload)
	if err := p256.Public().Verify(payload, s); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("an ed25519 signature verified as secp256r1: %v", err)
	}
}

// TestGenerateKeyReader checks that GenerateKey draws its keys from the
// reader it is given.
func TestGenerateKeyReader(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	for _, alg := range []Algorithm{Ed25519, Secp256r1} {
		k, err := GenerateKey(alg, bytes.NewReader(seed))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(k.SecretBytes(), seed) {
			t.Errorf("%s: secret %x, want the reader's bytes", alg, k.SecretBytes())
		}
	}
	// A scalar out of range is drawn again.
	twice := append(bytes.Repeat([]byte{0xff}, 32), seed...)
	k, err := GenerateKey(Secp256r1, bytes.NewReader(twice))
	if err != nil || !bytes.Equal(k.SecretBytes(), seed) {
		t.Errorf("rejection sampling: %v, %v", k, err)
	}
	if _, err := GenerateKey(Secp256r1, bytes.NewReader(bytes.Repeat([]byte{0xff}, 64*32))); err == nil {
		t.Error("a reader of scalars out of range gave a key")
	}
	if _, err := GenerateKey(Ed25519, bytes.NewReader(seed[:31])); err == nil {
		t.Error("a short reader gave a key")
	}
}

// TestEd25519SmallOrder checks the refusals of verify_strict that
// crypto/ed25519 does not make: a public key or an R of small order, with
// signatures that crypto/ed25519.Verify accepts.
func TestEd25519SmallOrder(t *testing.T) {
	identity := mustHex(t, "01"+strings.Repeat("00", 31))
	base := mustHex(t, "58"+strings.Repeat("66", 31))
	msg := []byte("message")

	// A = identity: R = B, S = 1 verifies any message, cofactorless.
	s := append(bytes.Clone(base), 1)
	s = append(s, make([]byte, 31)...)
	if !ed25519.Verify(identity, msg, s) {
		t.Fatal("crypto/ed25519 refuses the identity-key signature; the test is wrong")
	}
	pub, err := NewPublicKey(Ed25519, identity)
	if err != nil {
		t.Fatalf("the identity key must decode, as in the reference: %v", err)
	}
	if err := pub.Verify(msg, s); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("small-order key: %v, want ErrInvalidSignature", err)
	}

	// R = identity with a real key A = aB: S = k·a mod L.
	seed := bytes.Repeat([]byte{1}, 32)
	k, err := NewPrivateKey(Ed25519, seed)
	if err != nil {
		t.Fatal(err)
	}
	A := k.Public().Bytes()
	h := sha512.Sum512(seed)
	h[0] &= 248
	h[31] &= 127
	h[31] |= 64
	a := leInt(h[:32])
	kh := sha512.Sum512(append(append(bytes.Clone(identity), A...), msg...))
	L, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	S := new(big.Int).Mul(leInt(kh[:]), a)
	S.Mod(S, L)
	s = append(bytes.Clone(identity), leBytes(S)...)
	if !ed25519.Verify(A, msg, s) {
		t.Fatal("crypto/ed25519 refuses the identity-R signature; the test is wrong")
	}
	if err := k.Public().Verify(msg, s); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("small-order R: %v, want ErrInvalidSignature", err)
	}
}

// TestEd25519KeyDecoding checks which 32-byte keys NewPublicKey takes:
// the eight points of order dividing 8 (as libsodium lists their
// encodings), non-canonical encodings of some, and points of large order
// all decode, as in the reference; random strings decode exactly when the
// math/big oracle below finds them on the curve, and the others are
// refused with ErrInvalidKey.
func TestEd25519KeyDecoding(t *testing.T) {
	ff := strings.Repeat("ff", 30)
	for _, tt := range []struct {
		enc   string
		small bool
	}{
		{"01" + strings.Repeat("00", 31), true},                                    // identity
		{"01" + strings.Repeat("00", 30) + "80", true},                             // identity, x = -0
		{"ec" + ff + "7f", true},                                                   // y = -1, order 2
		{strings.Repeat("00", 32), true},                                           // y = 0, order 4
		{strings.Repeat("00", 31) + "80", true},                                    // y = 0, the other x
		{"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", true}, // order 8
		{"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", true}, // order 8
		{"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", true}, // order 8
		{"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", true}, // order 8
		{"ee" + ff + "7f", true},                                                   // y = p + 1: the identity, not reduced
		{"ed" + ff + "7f", true},                                                   // y = p: y = 0, not reduced
		{"58" + strings.Repeat("66", 31), false},                                   // the base point
		{"03" + strings.Repeat("00", 31), false},                                   // y = 3
		{"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", false},
	} {
		y := edwardsY(mustHex(t, tt.enc))
		if !edwardsOnCurve(y) {
			t.Errorf("%s: not on the curve", tt.enc)
			continue
		}
		if got := edwardsSmallOrder(y); got != tt.small {
			t.Errorf("%s: small order %v, want %v", tt.enc, got, tt.small)
		}
		if got := timesEight(y).Cmp(bigOne) == 0; got != tt.small {
			t.Errorf("%s: 8P = identity is %v, want %v", tt.enc, got, tt.small)
		}
		if _, err := NewPublicKey(Ed25519, mustHex(t, tt.enc)); err != nil {
			t.Errorf("%s: %v; the reference decodes it", tt.enc, err)
		}
	}
	for _, enc := range []string{"02" + strings.Repeat("00", 31), "07" + strings.Repeat("00", 31)} {
		if edwardsOnCurve(edwardsY(mustHex(t, enc))) {
			t.Errorf("%s: on the curve, want not", enc)
		}
		if _, err := NewPublicKey(Ed25519, mustHex(t, enc)); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: %v, want ErrInvalidKey", enc, err)
		}
	}
	if len(edSmallOrderY) != 5 {
		t.Fatalf("%d small-order ordinates, want 5", len(edSmallOrderY))
	}
	for _, y := range edSmallOrderY {
		if !edwardsOnCurve(y) || timesEight(y).Cmp(bigOne) != 0 {
			t.Errorf("y = %x: not a point of order dividing 8", y)
		}
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	points := 0
	for range 1000 {
		enc := make([]byte, ed25519KeySize)
		for i := range enc {
			enc[i] = byte(rng.Uint32())
		}
		onCurve := edwardsOnCurve(edwardsY(enc))
		_, err := NewPublicKey(Ed25519, enc)
		switch {
		case onCurve && err != nil:
			t.Errorf("%x: %v; it is a point", enc, err)
		case !onCurve && !errors.Is(err, ErrInvalidKey):
			t.Errorf("%x: %v, want ErrInvalidKey", enc, err)
		}
		if onCurve {
			points++
		}
	}
	if points < 400 || points > 600 {
		t.Errorf("%d of 1000 random strings on the curve; about half should be", points)
	}
}

// The tests' oracle: Edwards25519 on y coordinates alone, with math/big,
// apart from the decoder of curve25519-voi that NewPublicKey uses.
var (
	edP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	// edD is -121665/121666 mod p, the d of the curve -x² + y² = 1 + d·x²·y².
	edD = func() *big.Int {
		d := new(big.Int).ModInverse(big.NewInt(121666), edP)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, edP)
	}()
	bigOne = big.NewInt(1)
)

// edwardsY is the y coordinate of an RFC 8032 encoding: little-endian,
// the top bit (the sign of x) cleared, reduced modulo p as crypto/ed25519
// and the reference both do.
func edwardsY(enc []byte) *big.Int {
	y := leInt(enc)
	y.SetBit(y, 255, 0)
	return y.Mod(y, edP)
}

// edwardsOnCurve reports whether a point has ordinate y: whether
// x² = (y² - 1) / (d·y² + 1) is a square, that is whether the product of
// numerator and denominator is. (The denominator never vanishes: -1/d is
// not a square.) Both signs of x are then points: crypto/ed25519 and the
// reference accept the sign bit set on x = 0.
func edwardsOnCurve(y *big.Int) bool {
	y2 := new(big.Int).Mul(y, y)
	u := new(big.Int).Sub(y2, bigOne)
	v := y2.Mul(y2, edD).Add(y2, bigOne)
	uv := u.Mul(u, v).Mod(u, edP)
	return big.Jacobi(uv, edP) >= 0
}

// timesEight is the ordinate of 8P for the point P of ordinate y, by
// doubling three times: y(2P) = (y² + x²) / (1 - d·x²·y²), where
// x² = (y² - 1) / (d·y² + 1). The sign of x does not matter.
func timesEight(y *big.Int) *big.Int {
	y = new(big.Int).Set(y)
	for range 3 {
		y2 := new(big.Int).Mul(y, y)
		den := new(big.Int).Mul(edD, y2)
		den.Add(den, bigOne).ModInverse(den, edP)
		x2 := new(big.Int).Sub(y2, bigOne)
		x2.Mul(x2, den).Mod(x2, edP)
		den.Mul(edD, x2).Mul(den, y2).Neg(den).Add(den, bigOne).Mod(den, edP).ModInverse(den, edP)
		y.Add(y2, x2).Mul(y, den).Mod(y, edP)
	}
	return y
}

func leInt(b []byte) *big.Int {
	be := bytes.Clone(b)
	for i, j := 0, len(be)-1; i < j; i, j = i+1, j-1 {
		be[i], be[j] = be[j], be[i]
	}
	return new(big.Int).SetBytes(be)
}

func leBytes(v *big.Int) []byte {
	b := v.FillBytes(make([]byte, 32))
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}

// TestP256SignatureEncoding checks what Verify accepts of DER: a high S,
// as the reference does, and nothing that is not strict DER or is out of
// range.
func TestP256SignatureEncoding(t *testing.T) {
	k, err := GenerateKey(Secp256r1, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte("payload")
	s, err := k.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(s, &rs); err != nil || len(rest) > 0 {
		t.Fatalf("Sign did not give DER: %v", err)
	}
	n := elliptic.P256().Params().N
	encode := func(r, s *big.Int) []byte {
		b, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Both S and n - S verify: ECDSA cannot tell them apart, and the
	// reference (p256 0.13) does not normalize S.
	high := new(big.Int).Sub(n, rs.S)
	if err := k.Public().Verify(payload, encode(rs.R, high)); err != nil {
		t.Errorf("n - S: %v, want it accepted as the reference does", err)
	}
	if err := k.Public().Verify(payload, encode(rs.R, rs.S)); err != nil {
		t.Errorf("re-encoded: %v", err)
	}
	// A BER long-form length, where DER has the short form.
	ber := append([]byte{0x30, 0x81, s[1]}, s[2:]...)
	// An integer with a superfluous leading zero.
	padded := encode(rs.R, rs.S)
	rLen := int(padded[3])
	padded = append(append(append([]byte{0x30, padded[1] + 1, 0x02, byte(rLen + 1)}, 0), padded[4:4+rLen]...), padded[4+rLen:]...)
	for name, bad := range map[string][]byte{
		"r = 0":         encode(big.NewInt(0), rs.S),
		"s = 0":         encode(rs.R, big.NewInt(0)),
		"r + n":         encode(new(big.Int).Add(rs.R, n), rs.S),
		"s + n":         encode(rs.R, new(big.Int).Add(rs.S, n)),
		"negative s":    encode(rs.R, new(big.Int).Neg(rs.S)),
		"trailing byte": append(bytes.Clone(s), 0),
		"BER length":    ber,
		"padded r":      padded,
		"raw r || s":    append(rs.R.FillBytes(make([]byte, 32)), rs.S.FillBytes(make([]byte, 32))...),
	} {
		if err := k.Public().Verify(payload, bad); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("%s: %v, want ErrInvalidSignature", name, err)
		}
	}
	if _, err := asn1.Unmarshal(padded, &rs); err == nil {
		t.Error("the padded encoding is valid DER; the test is wrong")
	}
}

func ExamplePrivateKey() {
	k, err := ParsePrivateKey("ed25519-private/9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	if err != nil {
		panic(err)
	}
	fmt.Println(k)
	fmt.Println(k.Public())
	s, _ := k.Sign([]byte("payload"))
	fmt.Println(k.Public().Verify([]byte("payload"), s))
	// Output:
	// ed25519-private/<redacted>
	// ed25519/d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a
	// <nil>
}

// edSmallOrderY are the ordinates of the eight points of order dividing 8:
// 1 (the identity), p-1 (order 2), 0 (order 4), and y8 and p-y8 (order
// 8), y8 as libsodium lists it. No other point has them.
var edSmallOrderY = func() []*big.Int {
	y8 := edwardsY([]byte("\x26\xe8\x95\x8f\xc2\xb2\x27\xb0\x45\xc3\xf4\x89\xf2\xef\x98\xf0" +
		"\xd5\xdf\xac\x05\xd3\xc6\x33\x39\xb1\x38\x02\x88\x6d\x53\xfc\x05"))
	return []*big.Int{
		big.NewInt(0), bigOne, new(big.Int).Sub(edP, bigOne), y8, new(big.Int).Sub(edP, y8),
	}
}()

// edwardsSmallOrder reports whether the point of ordinate y has an order
// dividing 8: the tests' oracle.
func edwardsSmallOrder(y *big.Int) bool {
	for _, s := range edSmallOrderY {
		if y.Cmp(s) == 0 {
			return true
		}
	}
	return false
}
