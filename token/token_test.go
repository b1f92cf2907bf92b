package token

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/codios/codios/datalog"
)

func mustBlock(t testing.TB, src string) *datalog.Program {
	t.Helper()
	p, err := datalog.ParseBlock(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustKey(t testing.TB, alg Algorithm) *PrivateKey {
	t.Helper()
	k, err := GenerateKey(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const (
	standardAuthority = `user("alice");
right("/tmp/file1", "read");
right("/tmp/file1", "write");
right("/tmp/file2", "read");
agent("planner");
check if time($t), $t < 2030-01-01T00:00:00Z;`
	standardPolicy = `resource("/tmp/file1");
operation("read");
allow if right($r, $op), resource($r), operation($op);`
)

var standardHops = []string{
	`check if operation("read");
check if resource($r), $r.starts_with("/tmp/");`,
	`check if resource($r), ["/tmp/file1", "/tmp/file2"].contains($r);
check if time($t), $t < 2029-06-01T00:00:00Z;`,
	`check if resource("/tmp/file1"), operation("read");`,
}

var requestTime = time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)

// standardToken mints the standard request's token: an authority block
// and three attenuation blocks.
func standardToken(t testing.TB, root *PrivateKey) *Token {
	t.Helper()
	tok, err := New(root, mustBlock(t, standardAuthority), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, hop := range standardHops {
		if tok, err = tok.Append(mustBlock(t, hop), nil); err != nil {
			t.Fatal(err)
		}
	}
	return tok
}

func authorizeStandard(t testing.TB, tok *Token, facts ...datalog.Fact) *Decision {
	t.Helper()
	a, err := ParseAuthorizer(standardPolicy, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.Authorize(context.Background(), tok, &Request{Time: requestTime, Facts: facts})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestMintAttenuateVerify(t *testing.T) {
	for _, alg := range []Algorithm{Ed25519, Secp256r1} {
		t.Run(alg.String(), func(t *testing.T) {
			root := mustKey(t, alg)
			tok := standardToken(t, root)
			data := tok.Serialize()
			back, err := Parse(data, root.Public(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := authorizeStandard(t, back); !d.Allowed || d.Policy.Index != 0 {
				t.Fatalf("standard request: allowed %v, policy %v, failed %v", d.Allowed, d.Policy, d.FailedChecks)
			}
			for i, b := range back.Blocks() {
				if want := tok.Blocks()[i].Program.String(); b.Program.String() != want {
					t.Errorf("block %d reads back as\n%s\nwant\n%s", i, b.Program, want)
				}
			}
			if _, err := ParseText(tok.String(), root.Public(), nil); err != nil {
				t.Errorf("text form: %v", err)
			}
			if _, err := Parse(data, mustKey(t, alg).Public(), nil); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("wrong root key: got %v", err)
			}
		})
	}
}

func TestAttenuationNarrows(t *testing.T) {
	root := mustKey(t, Ed25519)
	tok := standardToken(t, root)
	a, _ := ParseAuthorizer(`resource("/tmp/file1"); operation("write"); allow if right($r, $op), resource($r), operation($op);`, nil, nil)
	d, err := a.Authorize(context.Background(), tok, &Request{Time: requestTime})
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed {
		t.Fatal("a write was allowed through a read-only hop")
	}
	var failed []string
	for _, c := range d.FailedChecks {
		failed = append(failed, c.Block.String()+": "+c.Check.String())
	}
	want := `block 1: check if operation("read") | block 3: check if resource("/tmp/file1"), operation("read")`
	if got := strings.Join(failed, " | "); got != want {
		t.Errorf("failed checks:\n%s\nwant\n%s", got, want)
	}
	// A block cannot add rights: its facts are not trusted by the policy.
	wider, err := tok.Append(mustBlock(t, `right("/etc/passwd", "read");`), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ = ParseAuthorizer(`resource("/etc/passwd"); operation("read"); allow if right($r, $op), resource($r), operation($op);`, nil, nil)
	if d, err = a.Authorize(context.Background(), wider, &Request{Time: requestTime}); err != nil || d.Allowed {
		t.Errorf("a block widened the token: %v %v", d, err)
	}
	// Expiry: the authority's check fails after 2030, hop 2's after mid-2029.
	a, _ = ParseAuthorizer(standardPolicy, nil, nil)
	d, _ = a.Authorize(context.Background(), tok, &Request{Time: time.Date(2029, 7, 1, 0, 0, 0, 0, time.UTC)})
	if d.Allowed || len(d.FailedChecks) != 1 || d.FailedChecks[0].Block != 2 {
		t.Errorf("after hop 2's expiry: %+v", d.FailedChecks)
	}
}

func TestSeal(t *testing.T) {
	root := mustKey(t, Ed25519)
	sealed, err := standardToken(t, root).Seal()
	if err != nil {
		t.Fatal(err)
	}
	if !sealed.Sealed() {
		t.Fatal("not sealed")
	}
	if _, err := sealed.Append(mustBlock(t, `check if true;`), nil); !errors.Is(err, ErrSealed) {
		t.Errorf("append to sealed: %v", err)
	}
	data := sealed.Serialize()
	back, err := Parse(data, root.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Sealed() || !authorizeStandard(t, back).Allowed {
		t.Error("sealed token does not verify and authorize")
	}
	if _, err := back.Seal(); !errors.Is(err, ErrSealed) {
		t.Errorf("sealing twice: %v", err)
	}
}

func TestThirdParty(t *testing.T) {
	root := mustKey(t, Ed25519)
	tok, err := New(root, mustBlock(t, `user("alice");`), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []Algorithm{Ed25519, Secp256r1} {
		t.Run(alg.String(), func(t *testing.T) {
			thirdParty := mustKey(t, alg)
			req, err := tok.ThirdPartyRequest()
			if err != nil {
				t.Fatal(err)
			}
			// The request and the signed block travel as bytes.
			reqData := req.Serialize()
			req, err = ParseThirdPartyRequest(reqData)
			if err != nil {
				t.Fatal(err)
			}
			signed, err := req.Sign(thirdParty, mustBlock(t, `group("admin"); check if user("alice");`))
			if err != nil {
				t.Fatal(err)
			}
			signedData := signed.Serialize()
			signed, err = ParseThirdPartyBlock(signedData)
			if err != nil {
				t.Fatal(err)
			}
			with, err := tok.AppendThirdParty(signed, nil)
			if err != nil {
				t.Fatal(err)
			}
			data := with.Serialize()
			back, err := Parse(data, root.Public(), nil)
			if err != nil {
				t.Fatal(err)
			}
			b := back.Blocks()[1]
			if b.ExternalKey == nil || !b.ExternalKey.Equal(thirdParty.Public()) || b.Version < 5 {
				t.Fatalf("third-party block: key %v version %d", b.ExternalKey, b.Version)
			}
			// Who vouches for each block, as signed and as parsed.
			for _, tk := range []*Token{with, back} {
				bs := tk.Blocks()
				if s := bs[0].Signer; s.Kind != SignedByRoot {
					t.Errorf("authority block's signer: %v", s)
				}
				if s := bs[1].Signer; s.Kind != SignedByThirdParty || !s.Key.Equal(thirdParty.Public()) {
					t.Errorf("third-party block's signer: %v", s)
				}
			}
			more, err := with.Append(mustBlock(t, `check if user("alice");`), nil)
			if err != nil {
				t.Fatal(err)
			}
			if s := more.Blocks()[2].Signer; s.Kind != SignedByPrevious || !s.Key.Equal(more.Blocks()[1].NextKey) {
				t.Errorf("attenuation block's signer: %v, want the previous block's next key", s)
			}
			trusting, _ := ParseAuthorizer(`allow if group("admin") trusting {key};`, datalog.Params{"key": thirdParty.Public().Datalog()}, nil)
			plain, _ := ParseAuthorizer(`allow if group("admin");`, nil, nil)
			if d, err := trusting.Authorize(context.Background(), back, nil); err != nil || !d.Allowed {
				t.Errorf("trusting the third party: %v %v", d, err)
			}
			if d, err := plain.Authorize(context.Background(), back, nil); err != nil || d.Allowed {
				t.Errorf("not trusting the third party: %v %v", d, err)
			}
			// A block signed for one token does not fit another.
			other, _ := New(root, mustBlock(t, `user("alice");`), nil)
			if _, err := other.AppendThirdParty(signed, nil); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("replayed third-party block: %v", err)
			}
		})
	}
}

func TestKeySet(t *testing.T) {
	oldKey, newKey := mustKey(t, Ed25519), mustKey(t, Ed25519)
	id1, id2 := uint32(1), uint32(2)
	keys := KeySet{Keys: map[uint32]PublicKey{1: oldKey.Public(), 2: newKey.Public()}}
	for _, c := range []struct {
		key *PrivateKey
		id  *uint32
	}{{oldKey, &id1}, {newKey, &id2}} {
		tok, err := New(c.key, mustBlock(t, `user("alice");`), &BlockOptions{RootKeyID: c.id})
		if err != nil {
			t.Fatal(err)
		}
		data := tok.Serialize()
		back, err := Parse(data, keys, nil)
		if err != nil {
			t.Fatalf("root key id %d: %v", *c.id, err)
		}
		if id, ok := back.RootKeyID(); !ok || id != *c.id {
			t.Errorf("root key id %d, %v", id, ok)
		}
	}
	id3 := uint32(3)
	tok, _ := New(oldKey, mustBlock(t, `user("alice");`), &BlockOptions{RootKeyID: &id3})
	data := tok.Serialize()
	if _, err := Parse(data, keys, nil); !errors.Is(err, ErrUnknownRootKey) {
		t.Errorf("unknown id: %v", err)
	}
	tok, _ = New(oldKey, mustBlock(t, `user("alice");`), nil)
	data = tok.Serialize()
	if _, err := Parse(data, keys, nil); !errors.Is(err, ErrUnknownRootKey) {
		t.Errorf("no id, no default: %v", err)
	}
}

// TestTampering flips a bit in every byte of a token, cuts it at every length and
// drops or swaps its blocks: each must be refused with a typed error.
func TestTampering(t *testing.T) {
	root := mustKey(t, Ed25519)
	tok := standardToken(t, root)
	data := tok.Serialize()
	typed := func(err error) bool {
		return errors.Is(err, ErrFormat) || errors.Is(err, ErrInvalidSignature) || errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrLimit)
	}
	// One bit of every byte, a different bit from byte to byte.
	for i := range data {
		bit := i % 8
		bad := append([]byte(nil), data...)
		bad[i] ^= 1 << bit
		if _, err := Parse(bad, root.Public(), nil); err == nil {
			t.Errorf("byte %d bit %d: tampered token accepted", i, bit)
		} else if !typed(err) {
			t.Errorf("byte %d bit %d: untyped error %v", i, bit, err)
		}
	}
	for n := 0; n < len(data); n++ {
		if _, err := Parse(data[:n], root.Public(), nil); err == nil || !typed(err) {
			t.Errorf("truncated to %d bytes: %v", n, err)
		}
	}
	u, err := ParseUnverified(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Drop the last block: the proof no longer matches.
	short := *u
	short.blocks = u.blocks[:len(u.blocks)-1]
	if _, err := short.Verify(root.Public()); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("dropped block: %v", err)
	}
	swapped := *u
	swapped.blocks = append([]rawBlock(nil), u.blocks...)
	swapped.blocks[1], swapped.blocks[2] = swapped.blocks[2], swapped.blocks[1]
	if _, err := swapped.Verify(root.Public()); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("swapped blocks: %v", err)
	}
	big := make([]byte, DefaultLimits().MaxTokenBytes+1)
	if _, err := Parse(big, root.Public(), nil); !errors.Is(err, ErrLimit) {
		t.Errorf("oversized: %v", err)
	}
	many := tok
	for i := 0; i < 3; i++ {
		many, _ = many.Append(mustBlock(t, `check if true;`), nil)
	}
	data = many.Serialize()
	if _, err := Parse(data, root.Public(), &Limits{Datalog: datalog.Limits{MaxBlocks: 5}}); !errors.Is(err, ErrLimit) {
		t.Errorf("too many blocks: %v", err)
	}
}

func TestLegacySignature(t *testing.T) {
	root := mustKey(t, Ed25519)
	legacy := &BlockOptions{LegacySignature: true}
	tok, err := New(root, mustBlock(t, standardAuthority), legacy)
	if err != nil {
		t.Fatal(err)
	}
	for _, hop := range standardHops {
		if tok, err = tok.Append(mustBlock(t, hop), legacy); err != nil {
			t.Fatal(err)
		}
	}
	data := tok.Serialize()
	back, err := Parse(data, root.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range back.Blocks() {
		if b.SignatureVersion != 0 {
			t.Errorf("block %d: signature version %d", b.Index, b.SignatureVersion)
		}
	}
	if !authorizeStandard(t, back).Allowed {
		t.Error("legacy-signed standard token refused")
	}
	req, _ := tok.ThirdPartyRequest()
	signed, _ := req.Sign(mustKey(t, Ed25519), mustBlock(t, `group("admin");`))
	if _, err := tok.AppendThirdParty(signed, legacy); !errors.Is(err, ErrFormat) {
		t.Errorf("legacy third-party block: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	root := mustKey(t, Ed25519)
	id := uint32(3)
	tok, _ := New(root, mustBlock(t, `user("alice");`), &BlockOptions{RootKeyID: &id, Context: "issuer"})
	tok, _ = tok.Append(mustBlock(t, `check if operation("read");`), nil)
	third := mustKey(t, Ed25519)
	req, _ := tok.ThirdPartyRequest()
	signed, _ := req.Sign(third, mustBlock(t, `approved(true);`))
	tok, err := tok.AppendThirdParty(signed, nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := tok.Seal()
	got := sealed.Describe()
	for _, want := range []string{
		"root key id: 3\n",
		"sealed: no block can be appended\n",
		"block 0 (authority), signed by root key\n",
		"  context: \"issuer\"\n",
		"    user(\"alice\");\n",
		"block 1 (attenuation), signed by holder of block 0\n",
		"  datalog v3.0, signature v1\n",
		"block 2 (third-party), signed by third party " + third.Public().String() + "\n",
		"  datalog v3.2, signature v1\n",
		"  revocation id: " + hex.EncodeToString(sealed.Blocks()[2].RevocationID) + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Describe lacks %q:\n%s", want, got)
		}
	}
}

// TestResignedAndDuplicated: a block re-signed by a key outside the
// chain, and a block repeated, are refused.
func TestResignedAndDuplicated(t *testing.T) {
	root := mustKey(t, Ed25519)
	data := standardToken(t, root).Serialize()
	u, err := ParseUnverified(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	stranger := mustKey(t, Ed25519)
	resigned := *u
	resigned.blocks = append([]rawBlock(nil), u.blocks...)
	resigned.blocks[2].signature, _ = stranger.Sign(signedPayload(resigned.blocks, 2))
	if _, err := resigned.Verify(root.Public()); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("re-signed block: %v", err)
	}
	duplicated := *u
	duplicated.blocks = append(append([]rawBlock(nil), u.blocks...), u.blocks[3])
	if _, err := duplicated.Verify(root.Public()); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("duplicated block: %v", err)
	}
}

// TestUnverifiedAttenuation: a holder without the root key attenuates,
// seals and appends third-party blocks; the service verifies the result.
func TestUnverifiedAttenuation(t *testing.T) {
	root := mustKey(t, Ed25519)
	tok, _ := New(root, mustBlock(t, standardAuthority), nil)
	data := tok.Serialize()
	u, err := ParseUnverified(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, hop := range standardHops {
		if u, err = u.Append(mustBlock(t, hop), nil); err != nil {
			t.Fatal(err)
		}
	}
	third := mustKey(t, Ed25519)
	req, err := u.ThirdPartyRequest()
	if err != nil {
		t.Fatal(err)
	}
	signed, _ := req.Sign(third, mustBlock(t, `approved(true);`))
	if u, err = u.AppendThirdParty(signed, nil); err != nil {
		t.Fatal(err)
	}
	blocks, err := u.UntrustedBlocks()
	if err != nil || len(blocks) != 5 {
		t.Fatalf("untrusted blocks: %d, %v", len(blocks), err)
	}
	sealed, err := u.Seal()
	if err != nil || !sealed.Sealed() {
		t.Fatalf("seal: %v", err)
	}
	if _, err := sealed.Append(mustBlock(t, `check if true;`), nil); !errors.Is(err, ErrSealed) {
		t.Errorf("append to sealed: %v", err)
	}
	out := sealed.Serialize()
	back, err := Parse(out, root.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !authorizeStandard(t, back).Allowed {
		t.Error("a token attenuated unverified does not authorize")
	}
	// A forged proof is refused before anything is appended.
	bad := *u
	bad.nextSecret = make([]byte, 32)
	if _, err := bad.Append(mustBlock(t, `check if true;`), nil); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("forged proof: %v", err)
	}
}

func TestParseAuthorizerNamesTheFile(t *testing.T) {
	_, err := ParseAuthorizer("allow if ;", nil, &AuthorizerOptions{Filename: "service.datalog"})
	var pe *datalog.ParseError
	if !errors.As(err, &pe) || pe.Filename != "service.datalog" || !strings.HasPrefix(err.Error(), "service.datalog:1:10: ") {
		t.Errorf("got %v", err)
	}
}

// TestParseSaysWhatIsWrong: an empty, truncated or garbled token says
// which it is, as people paste tokens cut short.
func TestParseSaysWhatIsWrong(t *testing.T) {
	root := mustKey(t, Ed25519)
	data := standardToken(t, root).Serialize()
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "the token is empty"},
		{"truncated", data[:len(data)-10], "the token is truncated"},
		{"cut in its first field", data[:5], "the token is truncated"},
		{"garbled", []byte("\xff\xff\xff\xff garbage"), "the token is garbled"},
		{"text", []byte("hello, world"), "the token is garbled"},
	} {
		_, err := Parse(tt.data, root.Public(), nil)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want ErrFormat saying %q", tt.name, err, tt.want)
		}
	}
}
