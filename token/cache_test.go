package token

import (
	"context"
	"encoding/base64"
	"errors"
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
	c := NewCache(2)
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
	// The cache stays within its size.
	for i := 0; i < 5; i++ {
		t2, _ := New(root, mustBlock(t, `user("bob");`), &BlockOptions{RootKeyID: &id})
		d := t2.Serialize()
		if _, err := c.Parse(d, keys, nil); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 2 {
		t.Errorf("%d entries, want 2", c.Len())
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
	c := NewCache(3)
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
	c := NewCache(2)
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
	for i := 0; i < 3; i++ {
		t2, _ := New(root, mustBlock(t, `user("bob");`), &BlockOptions{RootKeyID: &id})
		d := t2.Serialize()
		if _, err := c.ParseText(base64.URLEncoding.EncodeToString(d), keys, nil); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 2 || len(c.texts) != 2 {
		t.Errorf("%d entries and %d texts, want 2 and 2", c.Len(), len(c.texts))
	}
}
