package token

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// useSignatureCache makes c the default signature cache for one test.
func useSignatureCache(t testing.TB, c *signatureCache) {
	t.Helper()
	old := signatures.Load()
	signatures.Store(c)
	t.Cleanup(func() { signatures.Store(old) })
}

// standardFleet mints n distinct tokens of the standard request, as the
// Rust anchor (shared/anchors/biscuit-rust) builds its fleet: one 3-block
// prefix (the authority block, hops 1 and 2) minted once, so that every
// token shares its bytes, and hop 3 appended to it n times, each append
// signing with a key pair of its own.
func standardFleet(t testing.TB, root *PrivateKey, n int) [][]byte {
	t.Helper()
	prefix, err := New(root, mustBlock(t, standardAuthority), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, hop := range standardHops[:2] {
		if prefix, err = prefix.Append(mustBlock(t, hop), nil); err != nil {
			t.Fatal(err)
		}
	}
	fleet := make([][]byte, n)
	for i := range fleet {
		// Each hop 3 its own, as a per-call block is: the same Datalog,
		// a context of its own, so no two tokens share a world.
		tok, err := prefix.Append(mustBlock(t, standardHops[2]), &BlockOptions{Context: fmt.Sprint("call ", i)})
		if err != nil {
			t.Fatal(err)
		}
		fleet[i] = tok.Serialize()
	}
	return fleet
}

// chainDigests are the digests of the signatures of a token's first-party
// blocks, as verifySignatures checks them.
func chainDigests(t *testing.T, data []byte, root PublicKey) []sigDigest {
	t.Helper()
	u, err := ParseUnverified(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ds []sigDigest
	signer := root
	for i, b := range u.blocks {
		ds = append(ds, newSigHasher().digest(&sigCheck{key: signer, payload: signedPayload(u.blocks, i), sig: b.signature}))
		signer = b.nextKey
	}
	return ds
}

func (c *signatureCache) has(d sigDigest) bool {
	s := c.shard(d)
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.index[d]
	return ok
}

// TestSignatureCacheFleet: a token whose first blocks were verified
// before adds only its last block's signature.
func TestSignatureCacheFleet(t *testing.T) {
	c := newSignatureCache(1024)
	useSignatureCache(t, c)
	root := mustKey(t, Ed25519)
	fleet := standardFleet(t, root, 3)
	for i, data := range fleet {
		if _, err := Parse(data, root.Public(), nil); err != nil {
			t.Fatal(err)
		}
		if want := 4 + i; c.len() != want {
			t.Errorf("after %d tokens: %d signatures cached, want %d", i+1, c.len(), want)
		}
		for j, d := range chainDigests(t, data, root.Public()) {
			if !c.has(d) {
				t.Errorf("token %d: block %d's signature is not cached", i, j)
			}
		}
	}
}

// TestSignatureCacheHitSkipsVerification: a signature the cache holds is
// not checked again. A bad signature planted in the cache passes; it
// fails without the entry.
func TestSignatureCacheHitSkipsVerification(t *testing.T) {
	c := newSignatureCache(1024)
	useSignatureCache(t, c)
	root := mustKey(t, Ed25519)
	u, err := ParseUnverified(standardFleet(t, root, 1)[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	last := &u.blocks[len(u.blocks)-1]
	last.signature = bytes.Clone(last.signature)
	last.signature[10] ^= 1
	if _, err := u.Verify(root.Public()); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("bad signature: %v", err)
	}
	if c.len() != 0 {
		t.Fatalf("a failed verification cached %d signatures", c.len())
	}
	bad := newSigHasher().digest(&sigCheck{key: u.blocks[len(u.blocks)-2].nextKey,
		payload: signedPayload(u.blocks, len(u.blocks)-1), sig: last.signature})
	c.shard(bad).add(bad)
	if _, err := u.Verify(root.Public()); err != nil {
		t.Errorf("with the signature cached: %v", err)
	}
}

// TestSignatureCacheFailureNotCached: a sibling of a verified token with
// a changed block, in its shared prefix or in its own last block, is
// refused, and nothing of it is cached.
func TestSignatureCacheFailureNotCached(t *testing.T) {
	c := newSignatureCache(1024)
	useSignatureCache(t, c)
	root := mustKey(t, Ed25519)
	fleet := standardFleet(t, root, 2)
	if _, err := Parse(fleet[0], root.Public(), nil); err != nil {
		t.Fatal(err)
	}
	for _, block := range []int{0, 2, 3} {
		u, err := ParseUnverified(fleet[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		u.blocks[block].data = bytes.Clone(u.blocks[block].data)
		u.blocks[block].data[0] ^= 1
		for range 2 {
			if _, err := u.Verify(root.Public()); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("block %d changed: %v", block, err)
			}
		}
		if c.len() != 4 {
			t.Errorf("block %d changed: %d signatures cached, want 4", block, c.len())
		}
	}
	if _, err := Parse(fleet[1], root.Public(), nil); err != nil {
		t.Errorf("the sibling itself: %v", err)
	}
}

// TestSignatureCacheKeyBound: a cached signature verifies under its own
// key only; the same bytes under another root key are refused.
func TestSignatureCacheKeyBound(t *testing.T) {
	useSignatureCache(t, newSignatureCache(1024))
	root := mustKey(t, Ed25519)
	data := standardFleet(t, root, 1)[0]
	if _, err := Parse(data, root.Public(), nil); err != nil {
		t.Fatal(err)
	}
	for _, alg := range []Algorithm{Ed25519, Secp256r1} {
		if _, err := Parse(data, mustKey(t, alg).Public(), nil); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("another %s root key: %v", alg, err)
		}
	}
}

// TestSignatureCacheBound: a cache never holds more than its size, and
// keeps the entries in use: a fleet's prefix outlives a stream of
// one-time last blocks.
func TestSignatureCacheBound(t *testing.T) {
	for _, size := range []int{1, 16, 200} {
		c := newSignatureCache(size)
		useSignatureCache(t, c)
		root := mustKey(t, Ed25519)
		fleet := standardFleet(t, root, 40)
		prefix := chainDigests(t, fleet[0], root.Public())[:3]
		for k, data := range fleet {
			if _, err := Parse(data, root.Public(), nil); err != nil {
				t.Fatal(err)
			}
			if c.len() > size {
				t.Fatalf("size %d: %d signatures cached", size, c.len())
			}
			for i, d := range prefix {
				if size >= 4 && !c.has(d) {
					t.Fatalf("size %d, token %d: the prefix's block %d was evicted", size, k, i)
				}
			}
		}
	}
}

func TestSignatureCacheDisabled(t *testing.T) {
	useSignatureCache(t, nil)
	root := mustKey(t, Ed25519)
	if _, err := Parse(standardFleet(t, root, 1)[0], root.Public(), nil); err != nil {
		t.Error(err)
	}
	if signatures.Load().len() != 0 {
		t.Error("a nil cache has entries")
	}
}

// TestSignatureCacheConcurrent verifies a fleet from several goroutines
// through a cache small enough to evict (run it with -race).
func TestSignatureCacheConcurrent(t *testing.T) {
	const size = 128
	c := newSignatureCache(size)
	useSignatureCache(t, c)
	root := mustKey(t, Ed25519)
	fleet := standardFleet(t, root, 200)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range fleet {
				if _, err := Parse(fleet[(i+50*g)%len(fleet)], root.Public(), nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if c.len() > size {
		t.Errorf("%d signatures cached, more than %d", c.len(), size)
	}
}

// BenchmarkSignatureCacheHit is what a signature found in the cache costs,
// to set beside BenchmarkEd25519Verify (the same 200-byte payload): its
// digest and a lookup, from every core at once.
func BenchmarkSignatureCacheHit(b *testing.B) {
	k := mustKey(b, Ed25519)
	payload := make([]byte, 200)
	sig, err := k.Sign(payload)
	if err != nil {
		b.Fatal(err)
	}
	c := newSignatureCache(1 << 16)
	check := sigCheck{key: k.Public(), payload: payload, sig: sig}
	if err := c.verify([]sigCheck{check}); err != nil || c.len() != 1 {
		b.Fatal(err, c.len())
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		checks := make([]sigCheck, 1)
		for pb.Next() {
			checks[0] = check
			if err := c.verify(checks); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSetSignatureCacheSize: the size is set and reported back, 0 turns
// the cache off (every signature verified every time), and tokens verify
// whatever the size.
func TestSetSignatureCacheSize(t *testing.T) {
	old := signatures.Load()
	t.Cleanup(func() { signatures.Store(old) })
	root := mustKey(t, Ed25519)
	data := standardToken(t, root).Serialize()
	if prev := SetSignatureCacheSize(0); prev != old.size {
		t.Errorf("previous size %d, want %d", prev, old.size)
	}
	if signatures.Load() != nil {
		t.Fatal("size 0 left a cache")
	}
	if _, err := Parse(data, root.Public(), nil); err != nil {
		t.Fatal(err)
	}
	if prev := SetSignatureCacheSize(128); prev != 0 {
		t.Errorf("previous size %d, want 0", prev)
	}
	if _, err := Parse(data, root.Public(), nil); err != nil {
		t.Fatal(err)
	}
	if n := signatures.Load().len(); n != 4 {
		t.Errorf("%d signatures cached, want the token's 4", n)
	}
}
