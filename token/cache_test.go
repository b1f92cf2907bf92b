package token

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestCache(t *testing.T) {
	root := mustKey(t, Ed25519)
	id := uint32(7)
	tok, err := New(root, mustBlock(t, standardAuthority), &BlockOptions{RootKeyID: &id})
	if err != nil {
		t.Fatal(err)
	}
	data := tok.Serialize()
	keys := KeySet{Keys: map[uint32]PublicKey{7: root.Public()}}
	c := NewCache(8 * tok.MemoryBytes())
	first, err := c.Parse(data, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Parse(data, keys, nil)
	if err != nil || second != first {
		t.Fatalf("second parse: %v, same token %v", err, second == first)
	}
	// A rotated key set without the key: the cached token no longer verifies.
	rotated := KeySet{Keys: map[uint32]PublicKey{7: mustKey(t, Ed25519).Public()}}
	if _, err := c.Parse(data, rotated, nil); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("after rotation: %v", err)
	}
	if _, err := c.Parse(data, KeySet{}, nil); !errors.Is(err, ErrUnknownRootKey) {
		t.Errorf("after removal: %v", err)
	}
	// One changed byte is another token: it is verified, and refused.
	bad := append([]byte(nil), data...)
	bad[len(bad)/2] ^= 1
	if _, err := c.Parse(bad, keys, nil); err == nil {
		t.Error("tampered token accepted through the cache")
	}
	// The cache stays within its bound, dropping the least recently
	// used: the first token goes.
	for range 20 {
		t2, _ := New(root, mustBlock(t, standardAuthority), &BlockOptions{RootKeyID: &id})
		d := t2.Serialize()
		if _, err := c.Parse(d, keys, nil); err != nil {
			t.Fatal(err)
		}
		if c.Bytes() > c.maxBytes {
			t.Fatalf("%d bytes cached, over %d", c.Bytes(), c.maxBytes)
		}
	}
	if c.Len() != 8 {
		t.Errorf("%d entries, want 8", c.Len())
	}
	if _, ok := c.entries[sha256.Sum256(data)]; ok {
		t.Error("the least recently used token is still cached")
	}
}

// TestCacheBoundedInBytes: tokens as large as the limits allow are
// verified but not cached when one would take more than an eighth of the
// cache, and a cache of them stays within its bytes.
func TestCacheBoundedInBytes(t *testing.T) {
	root := mustKey(t, Ed25519)
	var src strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&src, "big(%d, \"%s\");\n", i, strings.Repeat("x", 60))
	}
	big, err := New(root, mustBlock(t, src.String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	data := big.Serialize()
	c := NewCache(4 * big.MemoryBytes())
	if _, err := c.Parse(data, root.Public(), nil); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 0 || c.Bytes() != 0 {
		t.Errorf("a token of a quarter of the cache was cached: %d entries, %d bytes", c.Len(), c.Bytes())
	}
	c = NewCache(8 * big.MemoryBytes())
	for range 12 {
		tok, err := New(root, mustBlock(t, src.String()), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Parse(tok.Serialize(), root.Public(), nil); err != nil {
			t.Fatal(err)
		}
		if c.Bytes() > c.maxBytes {
			t.Fatalf("%d bytes cached, over %d", c.Bytes(), c.maxBytes)
		}
	}
	if c.Len() != 8 {
		t.Errorf("%d large tokens cached, want 8", c.Len())
	}
}

// TestMemoryEstimates holds the estimates that bound the caches to what
// verified tokens take: for blocks of integers, of long strings and of
// rules with expressions, the memory a token keeps is at most
// tokenBytes of its size on the wire.
func TestMemoryEstimates(t *testing.T) {
	useSignatureCache(t, nil)
	root := mustKey(t, Ed25519)
	for _, kind := range []string{"integers", "strings", "rules", "checks"} {
		var src strings.Builder
		for i := range 2000 {
			switch kind {
			case "integers":
				fmt.Fprintf(&src, "f(%d, %d, %d);\n", i, i*7, i*13)
			case "strings":
				fmt.Fprintf(&src, "s(\"%s%d\");\n", strings.Repeat("x", 40), i)
			case "rules":
				fmt.Fprintf(&src, "r%d($x) <- f($x, $y, $z), $y > %d, $z < %d;\n", i, i, i*2)
			case "checks":
				fmt.Fprintf(&src, "check if f($x, $y, $z), $x + $y * %d == $z || $z.length() > %d;\n", i, i)
			}
		}
		// Distinct tokens of the same blocks: each its own world.
		const n = 10
		datas := make([][]byte, n)
		for i := range datas {
			tok, err := New(root, mustBlock(t, src.String()+fmt.Sprintf("id(%d);", i)), nil)
			if err != nil {
				t.Fatal(err)
			}
			datas[i] = tok.Serialize()
		}
		data := datas[0]
		keep := make([]*Token, n)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range keep {
			var err error
			if keep[i], err = Parse(bytes.Clone(datas[i]), root.Public(), nil); err != nil {
				t.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		per := int(after.HeapAlloc-before.HeapAlloc) / n
		if est := keep[0].MemoryBytes(); per > est {
			t.Errorf("%s: a token of %d bytes keeps %d bytes, over its estimate of %d", kind, len(data), per, est)
		}

		// The world an authorizer keeps of each, on its second call.
		a, err := ParseAuthorizer(`allow if true;`, nil, &AuthorizerOptions{CachedWorldBytes: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&before)
		for _, tok := range keep {
			for range 2 {
				if _, err := a.Authorize(context.Background(), tok, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if a.worlds.len() != n {
			t.Fatalf("%s: %d worlds kept, want %d", kind, a.worlds.len(), n)
		}
		per = int(after.HeapAlloc-before.HeapAlloc) / n
		if est := worldBytes(keep[0].blockBytes); per > est {
			t.Errorf("%s: the world of a token of %d bytes takes %d bytes, over its estimate of %d", kind, len(data), per, est)
		}
		runtime.KeepAlive(keep)
		runtime.KeepAlive(a)
	}
}

func TestCacheConcurrent(t *testing.T) {
	root := mustKey(t, Ed25519)
	var datas [][]byte
	for i := 0; i < 4; i++ {
		d := standardToken(t, root).Serialize()
		datas = append(datas, d)
	}
	a, _ := ParseAuthorizer(standardPolicy, nil, nil)
	c := NewCache(DefaultCacheBytes)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				data := datas[(g+i)%len(datas)]
				tok, err := c.Parse(data, root.Public(), nil)
				if i%2 == 1 {
					tok, err = c.ParseText(base64.RawURLEncoding.EncodeToString(data), root.Public(), nil)
				}
				if err != nil {
					t.Error(err)
					return
				}
				d, err := a.Authorize(context.Background(), tok, &Request{Time: requestTime})
				if err != nil || !d.Allowed {
					t.Errorf("decision %v, %v", d, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestCacheParseText(t *testing.T) {
	root := mustKey(t, Ed25519)
	id := uint32(7)
	tok, err := New(root, mustBlock(t, standardAuthority), &BlockOptions{RootKeyID: &id})
	if err != nil {
		t.Fatal(err)
	}
	data := tok.Serialize()
	padded := base64.URLEncoding.EncodeToString(data)
	raw := base64.RawURLEncoding.EncodeToString(data)
	keys := KeySet{Keys: map[uint32]PublicKey{7: root.Public()}}
	c := NewCache(8 * (tok.MemoryBytes() + len(padded)))
	first, err := c.ParseText(padded, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The same text, the same bytes, and the same token in other text
	// all find the one entry.
	for _, text := range []string{padded, raw, padded} {
		again, err := c.ParseText(text, keys, nil)
		if err != nil || again != first {
			t.Fatalf("ParseText(%.10q...): %v, same token %v", text, err, again == first)
		}
	}
	if again, err := c.Parse(data, keys, nil); err != nil || again != first {
		t.Fatalf("Parse of the bytes: %v, same token %v", err, again == first)
	}
	if c.Len() != 1 {
		t.Errorf("%d entries, want 1", c.Len())
	}
	// A key set without the key refuses the text it has seen.
	rotated := KeySet{Keys: map[uint32]PublicKey{7: mustKey(t, Ed25519).Public()}}
	if _, err := c.ParseText(padded, rotated, nil); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("after rotation: %v", err)
	}
	// Text that is not a token, or changed, is refused, and not cached.
	bad := []byte(padded)
	bad[len(bad)/2] ^= 1
	for _, text := range []string{"", "not base64!", string(bad)} {
		if _, err := c.ParseText(text, keys, nil); err == nil {
			t.Errorf("ParseText(%.20q) accepted", text)
		}
	}
	// Evicted entries take their texts with them.
	for range 12 {
		t2, _ := New(root, mustBlock(t, standardAuthority), &BlockOptions{RootKeyID: &id})
		d := t2.Serialize()
		if _, err := c.ParseText(base64.URLEncoding.EncodeToString(d), keys, nil); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 8 || len(c.texts) != 8 {
		t.Errorf("%d entries and %d texts, want 8 and 8", c.Len(), len(c.texts))
	}
}
