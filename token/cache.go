package token

import (
	"container/list"
	"crypto/sha256"
	"sync"
)

// Cache remembers verified tokens, so that a token presented again skips
// its signature checks and decoding. It caches verification only, never a
// decision: every call is still authorized. Entries are keyed by a
// SHA-256 hash of the token's bytes and remember the root key that
// verified them; a hit counts only if the root keys given now choose that
// same key, so that a key removed from a KeySet stops verifying cached
// tokens at once. The cache holds at most its size in tokens, dropping
// the least recently used. It is safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	size    int
	entries map[[sha256.Size]byte]*list.Element
	lru     list.List // of *cacheEntry, most recent first
}

type cacheEntry struct {
	hash  [sha256.Size]byte
	root  PublicKey
	token *Token
}

// NewCache returns a cache of at most size tokens (at least 1).
func NewCache(size int) *Cache {
	return &Cache{size: max(size, 1), entries: map[[sha256.Size]byte]*list.Element{}}
}

// Parse is [Parse] through the cache.
func (c *Cache) Parse(data []byte, keys RootKeys, limits *Limits) (*Token, error) {
	l := limitsOf(limits)
	if len(data) > l.MaxTokenBytes {
		return nil, limitErr("MaxTokenBytes", l.MaxTokenBytes)
	}
	hash := sha256.Sum256(data)
	if tok := c.lookup(hash, keys); tok != nil {
		return tok, nil
	}
	u, err := ParseUnverified(data, limits)
	if err != nil {
		return nil, err
	}
	root, err := keys.RootKey(u.rootKeyID)
	if err != nil {
		return nil, err
	}
	tok, err := u.Verify(root)
	if err != nil {
		return nil, err
	}
	c.add(hash, root, tok)
	return tok, nil
}

func (c *Cache) lookup(hash [sha256.Size]byte, keys RootKeys) *Token {
	c.mu.Lock()
	el, ok := c.entries[hash]
	if !ok {
		c.mu.Unlock()
		return nil
	}
	c.lru.MoveToFront(el)
	e := el.Value.(*cacheEntry)
	c.mu.Unlock()
	// Ask the key set outside the lock: it is the caller's code.
	root, err := keys.RootKey(e.token.rootKeyID)
	if err != nil || !root.Equal(e.root) {
		return nil
	}
	return e.token
}

func (c *Cache) add(hash [sha256.Size]byte, root PublicKey, tok *Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[hash]; ok {
		el.Value = &cacheEntry{hash: hash, root: root, token: tok}
		c.lru.MoveToFront(el)
		return
	}
	c.entries[hash] = c.lru.PushFront(&cacheEntry{hash: hash, root: root, token: tok})
	for c.lru.Len() > c.size {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).hash)
	}
}

// Len is the number of cached tokens.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
