package token

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"
	"sync/atomic"
)

// signatureCache remembers signatures that verified, so that the blocks a
// token shares with tokens seen before are not verified again: agents
// narrow their token on every call, and a service sees a stream of
// distinct tokens that differ only in their last block. Verifying a
// signature is a pure function of the algorithm, the key, the signed bytes
// and the signature; an entry is the SHA-256 digest of exactly these, so a
// hit is a verification done before, with the same answer. Only
// signatures that verified are remembered; a failed one is checked anew
// every time.
//
// With the signatures, the cache keeps the decoded blocks of the chains
// they verified (prefixcache.go), so that a token narrowed from one seen
// before decodes only its new blocks: up to 256 bytes of decoded Datalog
// per signature of its size, estimated from the blocks' size on the wire,
// least recently used dropped first.
//
// The cache holds at most its size in signatures, about 115 bytes each
// when full (the digest, its slot and its map entry), dropping first the
// entries that were not used since the clock last passed them. It is safe
// for concurrent use: its shards have locks of their own. A hit costs a
// digest and a lookup, under a microsecond for a block
// (BenchmarkSignatureCacheHit), where an Ed25519 verification costs some
// 50 µs.
type signatureCache struct {
	size   int // in signatures
	shards []sigShard
	// prefixes holds the decoded blocks of verified chains
	// (prefixcache.go).
	prefixes *prefixCache
}

// DefaultSignatureCacheSize is the number of signatures the cache that
// verification uses holds unless SetSignatureCacheSize says otherwise:
// 65,536 take 7.5 MB when full (measured), and their decoded blocks up to
// 16 MiB (estimated), memory only as the cache fills.
const DefaultSignatureCacheSize = 1 << 16

// signatures is the cache that verification uses: [Parse], [ParseText],
// [Unverified.Verify], and through them a [Cache] and the sdk middleware.
// Nil verifies every signature every time.
var signatures atomic.Pointer[signatureCache]

func init() { signatures.Store(newSignatureCache(DefaultSignatureCacheSize)) }

// SetSignatureCacheSize replaces the cache of verified signatures that
// every verification in the process shares with an empty one of entries
// signatures (0: none, so that every signature is verified every time),
// and returns the size it had. It is safe to call at any time; a
// verification under way finishes with the cache it started with.
func SetSignatureCacheSize(entries int) (previous int) {
	var c *signatureCache
	if entries > 0 {
		c = newSignatureCache(entries)
	}
	if old := signatures.Swap(c); old != nil {
		previous = old.size
	}
	return previous
}

// A signature cache has up to maxSigShards shards, enough that cores
// verifying tokens at once rarely meet on one lock, of at least
// minSigShard entries, so that a small cache still keeps its hot entries.
const (
	maxSigShards = 16
	minSigShard  = 64
)

// sigDigest is the SHA-256 digest of one signature check (sigHasher).
type sigDigest [sha256.Size]byte

// sigShard is a part of a cache: a clock of digests. Each slot's used bit
// is set by a hit and cleared as the hand passes; the hand evicts the
// first slot it finds unused.
type sigShard struct {
	mu    sync.Mutex
	size  int
	index map[sigDigest]int32 // the slot of each digest
	slots []sigSlot
	hand  int
	// A cache line apart from the next shard's lock, which another core
	// may hold.
	_ [64]byte
}

type sigSlot struct {
	digest sigDigest
	used   bool
}

// newSignatureCache returns a cache of at most entries signatures (at
// least 1).
func newSignatureCache(entries int) *signatureCache {
	entries = max(entries, 1)
	n := 1
	for n*2 <= min(entries/minSigShard, maxSigShards) {
		n *= 2
	}
	c := &signatureCache{size: entries, shards: make([]sigShard, n), prefixes: newPrefixCache(entries * decodedBytesPerSignature)}
	for i := range c.shards {
		c.shards[i] = sigShard{size: entries / n, index: map[sigDigest]int32{}}
	}
	return c
}

// decodedBytesPerSignature sizes the decoded blocks a cache keeps by its
// number of signatures: 256 bytes each, 16 MiB for the default cache.
const decodedBytesPerSignature = 256

// decoded returns the cache of decoded prefixes, nil for a nil cache.
func (c *signatureCache) decoded() *prefixCache {
	if c == nil {
		return nil
	}
	return c.prefixes
}

// len is the number of signatures cached.
func (c *signatureCache) len() int {
	if c == nil {
		return 0
	}
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.slots)
		s.mu.Unlock()
	}
	return n
}

// verify is verifyAll through the cache: the checks it holds pass, the
// others are verified together and, if every one passes, remembered. It
// reuses checks' storage.
func (c *signatureCache) verify(checks []sigCheck) error {
	if c == nil {
		return verifyAll(checks)
	}
	var (
		h       = newSigHasher()
		buf     [8]sigDigest
		digests = buf[:0]
		misses  = checks[:0]
	)
	for _, chk := range checks {
		d := h.digest(&chk)
		if c.shard(d).hit(d) {
			continue
		}
		misses = append(misses, chk)
		digests = append(digests, d)
	}
	// A batch that passes, or the one-by-one fallback after it, vouches
	// for every signature it holds; an error vouches for none.
	if err := verifyAll(misses); err != nil {
		return err
	}
	for _, d := range digests {
		c.shard(d).add(d)
	}
	return nil
}

func (c *signatureCache) shard(d sigDigest) *sigShard {
	return &c.shards[int(d[0])&(len(c.shards)-1)]
}

// sigHasher digests the checks of one verification, its buffers reused
// from check to check (the hash writes them through an interface: they
// live on the heap).
type sigHasher struct {
	h      hash.Hash
	header [4 + 3*binary.MaxVarintLen64]byte
	sum    sigDigest
}

func newSigHasher() *sigHasher { return &sigHasher{h: sha256.New()} }

// digest hashes everything one verification depends on: the algorithm,
// the key's wire bytes, the signed payload and the signature, each after
// the lengths, so that no two checks write the same bytes.
func (s *sigHasher) digest(c *sigCheck) sigDigest {
	b := binary.BigEndian.AppendUint32(s.header[:0], uint32(c.key.alg))
	b = binary.AppendUvarint(b, uint64(len(c.key.wire)))
	b = binary.AppendUvarint(b, uint64(len(c.payload)))
	b = binary.AppendUvarint(b, uint64(len(c.sig)))
	s.h.Reset()
	s.h.Write(b)
	s.h.Write(c.key.wire)
	s.h.Write(c.payload)
	s.h.Write(c.sig)
	s.h.Sum(s.sum[:0])
	return s.sum
}

func (s *sigShard) hit(d sigDigest) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[d]
	if ok {
		s.slots[i].used = true
	}
	return ok
}

// add remembers d. A full shard gives the slot of the first entry the hand
// finds unused since it last passed.
func (s *sigShard) add(d sigDigest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.index[d]; ok {
		return
	}
	if len(s.slots) < s.size {
		s.index[d] = int32(len(s.slots))
		s.slots = append(s.slots, sigSlot{digest: d})
		return
	}
	for s.slots[s.hand].used {
		s.slots[s.hand].used = false
		s.hand = (s.hand + 1) % len(s.slots)
	}
	delete(s.index, s.slots[s.hand].digest)
	s.slots[s.hand] = sigSlot{digest: d}
	s.index[d] = int32(s.hand)
	s.hand = (s.hand + 1) % len(s.slots)
}
