package token

import (
	"crypto/sha256"
	"encoding/binary"
)

// seenTags remembers digests seen once, a tag of each in a slot, so that
// a cache keeps only what comes a second time: most tokens a service
// sees once, and keeping them would cost memory and the garbage
// collector's time for nothing. A digest whose slot another took since is
// seen as new once more. The caller holds its cache's lock.
type seenTags []uint64

// second reports whether d was seen before, giving its slot back, or
// remembers it.
func (s seenTags) second(d [sha256.Size]byte) bool {
	slot := &s[binary.LittleEndian.Uint64(d[:8])%uint64(len(s))]
	tag := binary.LittleEndian.Uint64(d[8:16]) | 1 // never an empty slot's
	if *slot == tag {
		*slot = 0
		return true
	}
	*slot = tag
	return false
}
