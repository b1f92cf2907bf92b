package token

import (
	"context"
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
	data, _ := tok.Serialize()
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
		d, _ := t2.Serialize()
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
		d, _ := standardToken(t, root).Serialize()
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
				tok, err := c.Parse(datas[(g+i)%len(datas)], root.Public(), nil)
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
