package token

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"sync"

	"github.com/codios/codios/token/internal/format"
)

// Agents narrow their token on every call, so the tokens a service sees
// share all their blocks but the last: verifying them, the signature
// cache spares the shared blocks' signatures, and the prefix cache below
// spares their decoding, which costs about as much again. The signature cache
// holds both, so that one value says what verification remembers.
//
// An entry is the decoded blocks of a chain's first blocks, and the symbol
// and key tables they leave, under a digest of everything those blocks
// are on the wire (bytes, next key, signature, signature version,
// third-party key and signature) and of the nesting limit they were decoded
// under. Entries are added only by a verification that passed: a chain's
// prefix is decoded from bytes whose every signature was checked, so a
// later token with the same digest has those same bytes, and decoding
// them again would give the same blocks. Decoded blocks are immutable and
// shared, as [Token.Blocks] says, and so are the tables: attenuating a
// token copies them before it extends them.
//
// A token of n blocks looks up its first n and n-1 blocks: a token seen
// before and dropped from a Cache, and a token narrowed from one seen
// before. Either is remembered the second time it is decoded, not the
// first: most tokens a service sees once, and keeping their blocks would
// cost every call the garbage collector's time over them. A table of
// prefixSeenSlots tags remembers the first times.

// prefixDigest identifies a chain's first blocks (see digestPrefixes).
type prefixDigest [sha256.Size]byte

// decodedPrefix is a chain's first blocks, decoded, and the tables they
// leave. Nothing in it changes once it is cached.
type decodedPrefix struct {
	digest prefixDigest
	blocks []*Block
	syms   *format.Symbols
	keys   *format.Keys
	cost   int
}

// prefixCache is a least-recently-used cache of decoded prefixes, bounded
// by their estimated memory.
type prefixCache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	lru      list.List // of *decodedPrefix, most recent first
	index    map[prefixDigest]*list.Element
	// seen holds a tag of each digest decoded once, by slot; made on
	// first use.
	seen seenTags
}

// prefixSeenSlots is the number of first decodings remembered: 32 KB.
const prefixSeenSlots = 4096

// prefixEntryOverhead is the cost of an entry beyond its blocks' Datalog:
// the digest, list element, map entry, Block structs and tables.
const prefixEntryOverhead = 512

func newPrefixCache(maxBytes int) *prefixCache {
	return &prefixCache{maxBytes: maxBytes, index: map[prefixDigest]*list.Element{}}
}

// digestPrefixes returns the digests of a chain's first len(blocks)-1 and
// len(blocks) blocks, decoded under the nesting limit maxDepth.
func digestPrefixes(blocks []rawBlock, maxDepth int) (shorter, whole prefixDigest) {
	h := sha256.New()
	var buf [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(buf[:], uint64(len(b)))
		h.Write(buf[:])
		h.Write(b)
	}
	binary.BigEndian.PutUint64(buf[:], uint64(maxDepth))
	h.Write(buf[:])
	for i, rb := range blocks {
		if i == len(blocks)-1 {
			h.Sum(shorter[:0])
		}
		field(rb.data)
		field(rb.signature)
		h.Write([]byte{byte(rb.nextKey.alg), byte(rb.sigVersion)})
		field(rb.nextKey.wire)
		if rb.external == nil {
			h.Write([]byte{0})
			continue
		}
		h.Write([]byte{1, byte(rb.external.key.alg)})
		field(rb.external.key.wire)
		field(rb.external.signature)
	}
	h.Sum(whole[:0])
	return shorter, whole
}

// second reports whether d was decoded before (seenTags), and remembers
// it otherwise.
func (c *prefixCache) second(d prefixDigest) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = make(seenTags, prefixSeenSlots)
	}
	return c.seen.second(d)
}

// get returns the prefix cached under d, if any, and marks it used.
func (c *prefixCache) get(d prefixDigest) *decodedPrefix {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.index[d]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*decodedPrefix)
}

// newDecodedPrefix is the first len(blocks) blocks of raw, decoded, with
// the tables they leave, and their estimated memory.
func newDecodedPrefix(d prefixDigest, raw []rawBlock, blocks []*Block, syms *format.Symbols, keys *format.Keys) *decodedPrefix {
	p := &decodedPrefix{digest: d, blocks: blocks, syms: syms, keys: keys, cost: prefixEntryOverhead}
	for _, rb := range raw[:len(blocks)] {
		p.cost += prefixEntryOverhead + decodedBytesPerWireByte*len(rb.data)
	}
	return p
}

// add caches p, unless it alone would take more than an eighth of the
// cache: one huge token must not flush every other.
func (c *prefixCache) add(p *decodedPrefix) {
	if p.cost > c.maxBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.index[p.digest]; ok {
		return
	}
	c.index[p.digest] = c.lru.PushFront(p)
	c.bytes += p.cost
	for c.bytes > c.maxBytes {
		old := c.lru.Remove(c.lru.Back()).(*decodedPrefix)
		delete(c.index, old.digest)
		c.bytes -= old.cost
	}
}

// bytesUsed is the estimated memory of the cached prefixes.
func (c *prefixCache) bytesUsed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
