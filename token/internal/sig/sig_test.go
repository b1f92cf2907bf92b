package sig_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/codios/codios/internal/samples"
	"github.com/codios/codios/token/internal/pb"
	"github.com/codios/codios/token/internal/sig"
)

// TestGolden checks every builder against bytes written out by hand from
// the layouts of the reference implementation.
func TestGolden(t *testing.T) {
	block := []byte("ab")
	key := sig.Key{Algorithm: 1, Bytes: []byte{0x02, 0x03}}
	prev := []byte{0xaa, 0xbb}
	ext := []byte{0xee}
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"BlockV0", sig.BlockV0(block, nil, key),
			"ab" + "\x01\x00\x00\x00" + "\x02\x03"},
		{"BlockV0/external", sig.BlockV0(block, ext, key),
			"ab" + "\xee" + "\x01\x00\x00\x00" + "\x02\x03"},
		{"BlockV0/ed25519", sig.BlockV0(block, nil, sig.Key{Algorithm: 0, Bytes: []byte{0x09}}),
			"ab" + "\x00\x00\x00\x00" + "\x09"},
		{"AuthorityV1", sig.AuthorityV1(block, key),
			"\x00BLOCK\x00" + "\x00VERSION\x00" + "\x01\x00\x00\x00" +
				"\x00PAYLOAD\x00" + "ab" +
				"\x00ALGORITHM\x00" + "\x01\x00\x00\x00" +
				"\x00NEXTKEY\x00" + "\x02\x03"},
		{"BlockV1", sig.BlockV1(block, key, prev, nil),
			"\x00BLOCK\x00" + "\x00VERSION\x00" + "\x01\x00\x00\x00" +
				"\x00PAYLOAD\x00" + "ab" +
				"\x00ALGORITHM\x00" + "\x01\x00\x00\x00" +
				"\x00NEXTKEY\x00" + "\x02\x03" +
				"\x00PREVSIG\x00" + "\xaa\xbb"},
		{"BlockV1/external", sig.BlockV1(block, key, prev, ext),
			"\x00BLOCK\x00" + "\x00VERSION\x00" + "\x01\x00\x00\x00" +
				"\x00PAYLOAD\x00" + "ab" +
				"\x00ALGORITHM\x00" + "\x01\x00\x00\x00" +
				"\x00NEXTKEY\x00" + "\x02\x03" +
				"\x00PREVSIG\x00" + "\xaa\xbb" +
				"\x00EXTERNALSIG\x00" + "\xee"},
		{"BlockV1/empty-external", sig.BlockV1(block, key, prev, []byte{}),
			"\x00BLOCK\x00" + "\x00VERSION\x00" + "\x01\x00\x00\x00" +
				"\x00PAYLOAD\x00" + "ab" +
				"\x00ALGORITHM\x00" + "\x01\x00\x00\x00" +
				"\x00NEXTKEY\x00" + "\x02\x03" +
				"\x00PREVSIG\x00" + "\xaa\xbb" +
				"\x00EXTERNALSIG\x00"},
		{"ExternalV0", sig.ExternalV0(block, key),
			"ab" + "\x01\x00\x00\x00" + "\x02\x03"},
		{"ExternalV1", sig.ExternalV1(block, prev),
			"\x00EXTERNAL\x00" + "\x00VERSION\x00" + "\x01\x00\x00\x00" +
				"\x00PAYLOAD\x00" + "ab" +
				"\x00PREVSIG\x00" + "\xaa\xbb"},
		{"Seal", sig.Seal(block, key, prev),
			"ab" + "\x01\x00\x00\x00" + "\x02\x03" + "\xaa\xbb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Equal(tt.got, []byte(tt.want)) {
				t.Errorf("got  %q\nwant %q", tt.got, tt.want)
			}
		})
	}
}

// TestBuildersDoNotAlias checks that a payload never shares memory with its
// inputs: a caller may sign it, then reuse its buffers.
func TestBuildersDoNotAlias(t *testing.T) {
	block := make([]byte, 3, 100)
	key := sig.Key{Bytes: []byte{1}}
	for _, p := range [][]byte{
		sig.BlockV0(block, nil, key), sig.AuthorityV1(block, key), sig.BlockV1(block, key, nil, nil),
		sig.ExternalV0(block, key), sig.ExternalV1(block, nil), sig.Seal(block, key, nil),
	} {
		p[0] ^= 0xff
		if block[0] != 0 {
			t.Fatal("a payload aliases its block")
		}
	}
}

// sampleFailures are the samples whose signatures must not verify, with
// the block at which the chain breaks (-1: the proof) and why.
var sampleFailures = map[string]struct {
	block  int
	reason string
}{
	"test002_different_root_key.bc":       {0, "signed by another root key"},
	"test003_invalid_signature_format.bc": {0, "the authority signature is not 64 bytes"},
	"test004_random_block.bc":             {1, "block 1 was replaced after signing"},
	"test005_invalid_signature.bc":        {0, "a signature was altered"},
	"test006_reordered_blocks.bc":         {1, "the blocks were reordered"},
}

// TestSamples verifies the signatures of every sample token with these
// payloads, which proves them equal to the reference's byte for byte.
func TestSamples(t *testing.T) {
	f, dir, err := samples.Load()
	if errors.Is(err, samples.ErrNotFound) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	rootBytes, err := hex.DecodeString(f.RootPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	root := sig.Key{Algorithm: 0, Bytes: rootBytes}
	seen := map[string]bool{}
	for _, tc := range f.TestCases {
		t.Run(tc.Filename, func(t *testing.T) {
			b := readToken(t, filepath.Join(dir, tc.Filename))
			at, err := verifyChain(b, root, false, seen)
			fail, ok := sampleFailures[tc.Filename]
			switch {
			case ok && err == nil:
				t.Fatalf("verified, want a failure: %s", fail.reason)
			case ok && at != fail.block:
				t.Fatalf("failed at block %d (%v), want block %d: %s", at, err, fail.block, fail.reason)
			case !ok && err != nil:
				t.Fatalf("block %d: %v", at, err)
			}
		})
	}
	// Every payload and both algorithms must have been exercised by a
	// sample that verifies, or this test proves less than it claims.
	for _, what := range []string{"BlockV0", "AuthorityV1", "BlockV1", "BlockV1+external",
		"ExternalV1", "Seal", "nextSecret", "ed25519", "secp256r1"} {
		if !seen[what] {
			t.Errorf("no sample exercised %s", what)
		}
	}
}

// TestLegacyThirdParty verifies a token whose third-party block is signed
// over the deprecated [sig.ExternalV0] payload. The token is the fixture
// tests/fixtures/unsafe_third_party.bc of biscuit-rust (commit abf8564,
// Apache-2.0), signed with the root key of the samples; the reference
// refuses it unless a caller opts into its legacy mode.
func TestLegacyThirdParty(t *testing.T) {
	b := readToken(t, filepath.Join("testdata", "unsafe_third_party.bc"))
	root := sig.Key{Algorithm: 0, Bytes: mustHex(t, "1055c750b1a1505937af1537c626ba3263995c33a64758aaafb1275b0312e284")}
	seen := map[string]bool{}
	if _, err := verifyChain(b, root, true, seen); err != nil {
		t.Fatal(err)
	}
	if !seen["ExternalV0"] {
		t.Fatal("the fixture has no version 0 third-party block")
	}
	if _, err := verifyChain(b, root, false, seen); err == nil {
		t.Fatal("a version 0 third-party block verified without the legacy mode")
	}
}

func readToken(t *testing.T, path string) *pb.Biscuit {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b pb.Biscuit
	if err := pb.UnmarshalBiscuit(data, &b); err != nil {
		t.Fatal(err)
	}
	return &b
}

// verifyChain checks every signature of b as the reference does and
// returns the index of the block where it fails (-1 for the proof). It
// records in seen the payloads and algorithms it verified.
func verifyChain(b *pb.Biscuit, root sig.Key, legacy bool, seen map[string]bool) (int, error) {
	signer := root
	var prevSig []byte
	blocks := append([]*pb.SignedBlock{b.GetAuthority()}, b.GetBlocks()...)
	verified := map[string]bool{}
	for i, sb := range blocks {
		next := wireKey(sb.GetNextKey())
		ext := sb.GetExternalSignature()
		var extSig []byte
		if ext != nil {
			if i == 0 {
				return i, errors.New("the authority block has an external signature")
			}
			extSig = ext.GetSignature()
		}
		var payload []byte
		kind := ""
		switch v := sb.GetVersion(); {
		case v == sig.Version0:
			payload, kind = sig.BlockV0(sb.GetBlock(), extSig, next), "BlockV0"
		case v == sig.Version1 && i == 0:
			payload, kind = sig.AuthorityV1(sb.GetBlock(), next), "AuthorityV1"
		case v == sig.Version1:
			payload, kind = sig.BlockV1(sb.GetBlock(), next, prevSig, extSig), "BlockV1"
			if ext != nil {
				kind = "BlockV1+external"
			}
		default:
			return i, fmt.Errorf("unknown signature version %d", v)
		}
		if err := verify(signer, payload, sb.GetSignature()); err != nil {
			return i, fmt.Errorf("%s: %w", kind, err)
		}
		verified[kind] = true
		verified[algorithmName(signer)] = true
		if ext != nil {
			kind := "ExternalV1"
			payload := sig.ExternalV1(sb.GetBlock(), prevSig)
			if sb.GetVersion() == sig.Version0 {
				if !legacy {
					return i, errors.New("a version 0 third-party block")
				}
				kind, payload = "ExternalV0", sig.ExternalV0(sb.GetBlock(), signer)
			}
			extKey := wireKey(ext.GetPublicKey())
			if err := verify(extKey, payload, extSig); err != nil {
				return i, fmt.Errorf("%s: %w", kind, err)
			}
			verified[kind] = true
			verified[algorithmName(extKey)] = true
		}
		signer, prevSig = next, sb.GetSignature()
	}
	last := blocks[len(blocks)-1]
	switch p := b.GetProof().GetContent().(type) {
	case *pb.Proof_FinalSignature:
		payload := sig.Seal(last.GetBlock(), signer, last.GetSignature())
		if err := verify(signer, payload, p.FinalSignature); err != nil {
			return -1, fmt.Errorf("Seal: %w", err)
		}
		verified["Seal"] = true
	case *pb.Proof_NextSecret:
		pub, err := publicFromSecret(signer.Algorithm, p.NextSecret)
		if err != nil {
			return -1, err
		}
		if !bytes.Equal(pub, signer.Bytes) {
			return -1, errors.New("nextSecret is not the private key of the last next key")
		}
		verified["nextSecret"] = true
	default:
		return -1, errors.New("no proof")
	}
	for k := range verified {
		seen[k] = true
	}
	return 0, nil
}

func wireKey(k *pb.PublicKey) sig.Key {
	return sig.Key{Algorithm: uint32(k.GetAlgorithm()), Bytes: k.GetKey()}
}

func algorithmName(k sig.Key) string {
	if k.Algorithm == uint32(pb.PublicKey_SECP256R1) {
		return "secp256r1"
	}
	return "ed25519"
}

// verify checks a signature with the standard library alone: this package
// must not depend on package token, whose keys it serves.
func verify(k sig.Key, msg, signature []byte) error {
	switch pb.PublicKey_Algorithm(k.Algorithm) {
	case pb.PublicKey_Ed25519:
		if len(k.Bytes) != ed25519.PublicKeySize {
			return errors.New("bad ed25519 key size")
		}
		if !ed25519.Verify(k.Bytes, msg, signature) {
			return errors.New("invalid ed25519 signature")
		}
	case pb.PublicKey_SECP256R1:
		pub, err := p256Key(k.Bytes)
		if err != nil {
			return err
		}
		h := sha256.Sum256(msg)
		if !ecdsa.VerifyASN1(pub, h[:], signature) {
			return errors.New("invalid secp256r1 signature")
		}
	default:
		return fmt.Errorf("unknown algorithm %d", k.Algorithm)
	}
	return nil
}

// p256Key decompresses a 33-byte SEC 1 key.
func p256Key(compressed []byte) (*ecdsa.PublicKey, error) {
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), compressed)
	if x == nil {
		return nil, errors.New("bad secp256r1 key")
	}
	uncompressed := make([]byte, 65)
	uncompressed[0] = 4
	x.FillBytes(uncompressed[1:33])
	y.FillBytes(uncompressed[33:])
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), uncompressed)
}

// publicFromSecret is the wire public key of a nextSecret.
func publicFromSecret(alg uint32, secret []byte) ([]byte, error) {
	switch pb.PublicKey_Algorithm(alg) {
	case pb.PublicKey_Ed25519:
		if len(secret) != ed25519.SeedSize {
			return nil, errors.New("bad ed25519 seed size")
		}
		return ed25519.NewKeyFromSeed(secret).Public().(ed25519.PublicKey), nil
	case pb.PublicKey_SECP256R1:
		priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), secret)
		if err != nil {
			return nil, err
		}
		u, err := priv.PublicKey.Bytes()
		if err != nil {
			return nil, err
		}
		return append([]byte{2 | u[64]&1}, u[1:33]...), nil
	}
	return nil, fmt.Errorf("unknown algorithm %d", alg)
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
