package token

import (
	"container/list"
	"encoding/binary"
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

// seenPerWorld is the number of first calls remembered per world kept:
// there are more tokens seen once than again.
const seenPerWorld = 2

// minSeen is the fewest first calls remembered.
const minSeen = 64

// worldCache is an authorizer's frozen worlds, by token content.
type worldCache struct {
	size int // 0: keep none
	mu   sync.Mutex
	// seen holds a tag of the content of the latest first call in each
	// slot, made on the first call.
	seen    []uint64
	entries map[contentID]*list.Element
	lru     list.List // of *frozenEntry, most recent first
}

// frozenEntry is a token's blocks and an authorizer's policy, loaded.
// frozen is nil when loading them failed: the token is authorized from
// scratch, and its error reported, every time.
type frozenEntry struct {
	content contentID
	frozen  *datalog.Frozen
}

// frozen returns the frozen world of the blocks of content and a's
// policy, making it on the content's second authorization, or nil: on
// its first, or when loading fails.
func (c *worldCache) frozen(a *Authorizer, blocks []*Block, content contentID) *datalog.Frozen {
	if c.size == 0 {
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
		c.seen = make([]uint64, max(seenPerWorld*c.size, minSeen))
		c.entries = make(map[contentID]*list.Element)
	}
	slot := &c.seen[binary.LittleEndian.Uint64(content[:8])%uint64(len(c.seen))]
	tag := binary.LittleEndian.Uint64(content[8:16]) | 1 // never an empty slot's
	if *slot != tag {
		*slot = tag
		c.mu.Unlock()
		return nil
	}
	*slot = 0
	c.mu.Unlock()

	entry := &frozenEntry{content: content}
	if w, err := a.load(blocks); err == nil && w.AddCompiled(a.policy) == nil {
		entry.frozen, _ = w.Freeze()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Two requests that freeze a world at once both store theirs; the
	// later one stays.
	if el, ok := c.entries[content]; ok {
		el.Value = entry
		c.lru.MoveToFront(el)
		return entry.frozen
	}
	c.entries[content] = c.lru.PushFront(entry)
	for c.lru.Len() > c.size {
		e := c.lru.Remove(c.lru.Back()).(*frozenEntry)
		delete(c.entries, e.content)
	}
	return entry.frozen
}

// len is the number of frozen worlds kept.
func (c *worldCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
