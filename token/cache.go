package token

import (
	"container/list"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync"

	"github.com/codios/codios/datalog"
)

// Cache remembers verified tokens, so that a token presented again skips
// its signature checks and decoding. It caches verification only, never a
// decision: every call is still authorized. Entries are keyed by a
// SHA-256 hash of the token's bytes and remember the root key that
// verified them; a hit counts only if the root keys given now choose that
// same key, so that a key removed from a KeySet stops verifying cached
// tokens at once. It is safe for concurrent use.
//
// The cache is bounded by memory: a token weighs its estimated memory
// (tokenBytes: its bytes, its text and its decoded blocks, about 4 to 10
// times its size on the wire), and the cache drops the least recently
// used to stay within its bound. A token that alone would weigh more than
// an eighth of it is verified but not cached, so that a few large tokens
// cannot flush every other.
type Cache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	entries  map[[sha256.Size]byte]*list.Element
	// texts finds entries by the text they were last parsed from with
	// ParseText: a service sees the text, and finding it there costs
	// neither decoding nor hashing.
	texts map[string]*list.Element
	lru   list.List // of *cacheEntry, most recent first
}

type cacheEntry struct {
	hash  [sha256.Size]byte
	text  string // "" unless parsed by ParseText
	root  PublicKey
	token *Token
	cost  int // tokenBytes of the token, and its text
}

// DefaultCacheBytes is a size for a Cache: 64 MiB holds some 20,000
// tokens of the standard request's size (about 1 KB on the wire), or 25
// of the largest that DefaultLimits accept.
const DefaultCacheBytes = 64 << 20

// NewCache returns a cache of tokens that take at most maxBytes of
// memory, as estimated (see Cache).
func NewCache(maxBytes int) *Cache {
	return &Cache{maxBytes: max(maxBytes, 0), entries: map[[sha256.Size]byte]*list.Element{}, texts: map[string]*list.Element{}}
}

// decodedBytesPerWireByte estimates the memory of decoded blocks from
// their size on the wire: measured, 4 times for blocks of long strings, 6
// for blocks of facts of integers, 9.4 for blocks of rules with
// expressions (TestMemoryEstimates holds the estimate to these).
const decodedBytesPerWireByte = 12

// tokenEntryBytes is what a cached token costs besides its blocks: its
// entry, list element, maps and keys.
const tokenEntryBytes = 1024

// tokenBytes estimates the memory of a verified token of wire bytes: the
// bytes, which its raw blocks keep, and its decoded blocks.
func tokenBytes(wire int) int {
	return tokenEntryBytes + wire + decodedBytesPerWireByte*wire
}

// MemoryBytes estimates the memory the token takes: its blocks as they
// came on the wire and decoded. A cache that keeps tokens can bound
// itself by it, as [Cache] does.
func (t *Token) MemoryBytes() int { return tokenBytes(t.blockBytes) }

// ParseText is [Cache.Parse] of a token's text, as [DecodeText] reads it.
// A text seen before is found as it is, without decoding or hashing; any
// other is decoded and parsed through the cache, and remembered.
func (c *Cache) ParseText(text string, keys RootKeys, limits *Limits) (*Token, error) {
	// Text too long for a token is not even hashed: DecodeText refuses
	// it. The slack is for the "biscuit:" prefix and spaces.
	if len(text) <= base64.URLEncoding.EncodedLen(limitsOf(limits).MaxTokenBytes)+64 {
		c.mu.Lock()
		el, ok := c.texts[text]
		c.mu.Unlock()
		if ok {
			if tok := c.hit(el, keys); tok != nil {
				return tok, nil
			}
		}
	}
	data, err := DecodeText(text, limits)
	if err != nil {
		return nil, err
	}
	tok, hash, err := c.parse(data, keys, limits)
	if err != nil {
		return nil, err
	}
	c.alias(hash, text)
	return tok, nil
}

// alias lets text find the entry of hash, if it is still cached.
func (c *Cache) alias(hash [sha256.Size]byte, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[hash]
	if !ok {
		return
	}
	e := el.Value.(*cacheEntry)
	if e.text == text {
		return
	}
	if e.text != "" {
		delete(c.texts, e.text)
		c.bytes -= len(e.text)
		e.cost -= len(e.text)
	}
	// A copy: the text may be part of a larger buffer of the caller's.
	e.text = strings.Clone(text)
	c.texts[e.text] = el
	c.bytes += len(e.text)
	e.cost += len(e.text)
	c.evict()
}

// Parse is [Parse] through the cache.
func (c *Cache) Parse(data []byte, keys RootKeys, limits *Limits) (*Token, error) {
	tok, _, err := c.parse(data, keys, limits)
	return tok, err
}

// parse is Parse, and returns the hash that keys the token's entry.
func (c *Cache) parse(data []byte, keys RootKeys, limits *Limits) (*Token, [sha256.Size]byte, error) {
	l := limitsOf(limits)
	if len(data) > l.MaxTokenBytes {
		return nil, [sha256.Size]byte{}, limitErr(datalog.LimitTokenBytes, l.MaxTokenBytes)
	}
	hash := sha256.Sum256(data)
	if tok := c.lookup(hash, keys); tok != nil {
		return tok, hash, nil
	}
	u, err := ParseUnverified(data, limits)
	if err != nil {
		return nil, hash, err
	}
	root, err := keys.RootKey(u.rootKeyID)
	if err != nil {
		return nil, hash, err
	}
	tok, err := u.Verify(root)
	if err != nil {
		return nil, hash, err
	}
	c.add(hash, root, tok, tok.MemoryBytes())
	return tok, hash, nil
}

func (c *Cache) lookup(hash [sha256.Size]byte, keys RootKeys) *Token {
	c.mu.Lock()
	el, ok := c.entries[hash]
	c.mu.Unlock()
	if !ok {
		return nil
	}
	return c.hit(el, keys)
}

// hit returns the token of a cached entry, if the root keys choose the
// key that verified it, and marks it used.
func (c *Cache) hit(el *list.Element, keys RootKeys) *Token {
	c.mu.Lock()
	c.lru.MoveToFront(el) // if evicted meanwhile, a no-op: the token is still good
	e := el.Value.(*cacheEntry)
	c.mu.Unlock()
	// Ask the key set outside the lock: it is the caller's code.
	root, err := keys.RootKey(e.token.rootKeyID)
	if err != nil || !root.Equal(e.root) {
		return nil
	}
	return e.token
}

func (c *Cache) add(hash [sha256.Size]byte, root PublicKey, tok *Token, cost int) {
	if cost > c.maxBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[hash]; ok {
		old := el.Value.(*cacheEntry)
		el.Value = &cacheEntry{hash: hash, text: old.text, root: root, token: tok, cost: old.cost}
		c.lru.MoveToFront(el)
		return
	}
	c.entries[hash] = c.lru.PushFront(&cacheEntry{hash: hash, root: root, token: tok, cost: cost})
	c.bytes += cost
	c.evict()
}

// evict drops the least recently used tokens until the cache is within
// its bound. c.mu is held.
func (c *Cache) evict() {
	for c.bytes > c.maxBytes && c.lru.Len() > 0 {
		e := c.lru.Remove(c.lru.Back()).(*cacheEntry)
		delete(c.entries, e.hash)
		if e.text != "" {
			delete(c.texts, e.text)
		}
		c.bytes -= e.cost
	}
}

// Len is the number of cached tokens.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Bytes is the estimated memory of the cached tokens, as the cache's
// bound counts it.
func (c *Cache) Bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
