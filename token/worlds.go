package token

import (
	"container/list"
	"sync"

	"github.com/codios/codios/datalog"
)

// A token that a service sees once is authorized in a world of its own.
// One authorized again by the same Authorizer (from a Cache, or held by
// its caller) is given, on its second call, a datalog.Frozen of its
// blocks and the authorizer's policy, loaded once, which the authorizer
// keeps: each later request starts a world from it and adds only the
// request's facts, which is then most of what authorizing a repeated
// token costs. A request that brings a Program of its own is authorized
// from scratch, as its rules, checks and policies would come before the
// policy's.
//
// The authorizer finds a token's frozen world by the token's content, a
// digest made at verification, so that it keeps no token alive; it keeps
// the most recently used, up to its size. To tell a second call from a
// first, it remembers the content of recent first calls in a table of
// seenPerWorld slots per world it keeps, one 8-byte tag a slot (16 KB by
// default): a token seen once costs a slot, and a token whose slot
// another took since is seen as new once more.

// DefaultCachedWorlds is the number of repeated tokens whose loaded world
// an Authorizer keeps, unless AuthorizerOptions say otherwise. A world
// holds the token's facts, rules and checks and the policy's: about 4 KB
// for a token of four short blocks and a three-line policy (the
// benchmarks' standard request), so about 4 MB at the default size. The
// worlds started from it are pooled, for the garbage collector to
// reclaim.
const DefaultCachedWorlds = 1024

// DefaultCachedWorldBytes bounds the estimated memory of the worlds an
// Authorizer keeps, unless AuthorizerOptions say otherwise: a world is
// estimated from its token's size (worldBytes), so that a few
// large tokens cannot make the worlds take more than this, whatever
// their number. A world that alone would take more than an eighth of it
// is not kept.
const DefaultCachedWorldBytes = 32 << 20

// worldEntryBytes is what a kept world costs besides its token's blocks:
// the policy's rules, checks and facts as a world holds them, its
// interner's tables and the entry. The standard request's world takes
// about 4 KB in all.
const worldEntryBytes = 4096

// worldBytesPerWireByte estimates a frozen world's memory from its
// token's blocks' size on the wire: measured, up to 16 times for blocks
// of rules with expressions, which a world compiles (TestMemoryEstimates).
const worldBytesPerWireByte = 20

// worldBytes estimates the memory of the frozen world of a token of wire
// bytes of blocks.
func worldBytes(wire int) int {
	return worldEntryBytes + worldBytesPerWireByte*wire
}

// seenPerWorld is the number of first calls remembered per world kept:
// there are more tokens seen once than again.
const seenPerWorld = 2

// minSeen is the fewest first calls remembered.
const minSeen = 64

// worldCache is an authorizer's frozen worlds, by token content.
type worldCache struct {
	size     int // 0: keep none
	maxBytes int
	mu       sync.Mutex
	bytes    int
	// seen holds a tag of the content of the latest first call in each
	// slot, made on the first call.
	seen    seenTags
	entries map[contentID]*list.Element
	lru     list.List // of *frozenEntry, most recent first
}

// frozenEntry is a token's blocks and an authorizer's policy, loaded.
// frozen is nil when loading them failed: the token is authorized from
// scratch, and its error reported, every time.
type frozenEntry struct {
	content contentID
	frozen  *datalog.Frozen
	cost    int
}

// frozen returns the frozen world of the blocks of content and a's
// policy, making it on the content's second authorization, or nil: on
// its first, or when loading fails.
func (c *worldCache) frozen(a *Authorizer, blocks []*Block, content contentID, wire int) *datalog.Frozen {
	cost := worldBytes(wire)
	if c.size == 0 || cost > c.maxBytes/8 {
		return nil
	}
	c.mu.Lock()
	if el, ok := c.entries[content]; ok {
		c.lru.MoveToFront(el)
		f := el.Value.(*frozenEntry).frozen
		c.mu.Unlock()
		return f
	}
	if c.seen == nil {
		c.seen = make(seenTags, max(seenPerWorld*c.size, minSeen))
		c.entries = make(map[contentID]*list.Element)
	}
	second := c.seen.second(content)
	c.mu.Unlock()
	if !second {
		return nil
	}

	entry := &frozenEntry{content: content, cost: cost}
	if w, err := a.load(blocks); err == nil && w.AddCompiled(a.policy) == nil {
		entry.frozen, _ = w.Freeze()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Two requests that freeze a world at once both store theirs; the
	// later one stays.
	if el, ok := c.entries[content]; ok {
		c.bytes += entry.cost - el.Value.(*frozenEntry).cost
		el.Value = entry
		c.lru.MoveToFront(el)
		return entry.frozen
	}
	c.entries[content] = c.lru.PushFront(entry)
	c.bytes += entry.cost
	for c.lru.Len() > c.size || c.bytes > c.maxBytes {
		e := c.lru.Remove(c.lru.Back()).(*frozenEntry)
		delete(c.entries, e.content)
		c.bytes -= e.cost
	}
	return entry.frozen
}

// len is the number of frozen worlds kept.
func (c *worldCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
