// Package sig builds the byte strings that Biscuit signatures cover: one
// function per signed payload, called by the signer and by the verifier
// alike so that the two cannot disagree. It does no cryptography and knows
// nothing of keys beyond their wire bytes.
//
// # Versions
//
// The version field of a SignedBlock (absent means 0) chooses the layout of
// the block's payload:
//
//   - Version 0, deprecated: [BlockV0]. The authority block and an
//     attenuation block share it.
//   - Version 1: [AuthorityV1] for the authority block, [BlockV1] for the
//     blocks after it, which also cover the previous block's signature.
//
// A third-party block carries a second signature, by the third party, over
// [ExternalV1]; [ExternalV0] is the older form, which the reference
// implementation verifies only when a caller opts into its deprecated
// ("unsafe legacy") mode, because it binds the block to a key rather than
// to one token. A sealed token ends with a signature over [Seal].
//
// # Where the reference and the specification differ
//
// The layouts follow the reference implementation (biscuit-rust,
// crypto/mod.rs), which generated the conformance samples. Its text
// and the specification's disagree in two places, and the code is what the
// tests check against the samples byte for byte:
//
//   - In version 0, the specification lists the next key before its
//     algorithm; the reference writes the algorithm first, in [BlockV0]
//     and [ExternalV0] alike.
//   - The specification does not give the width of the algorithm number;
//     the reference writes a 32-bit little-endian integer everywhere.
//
// The sealing payload has one form only, the version 0 layout followed by
// the last block's signature, whatever the last block's version.
package sig

import "encoding/binary"

// Key is a public key as a payload carries it: the algorithm number of the
// wire schema (0 Ed25519, 1 secp256r1) and the key's wire bytes.
type Key struct {
	Algorithm uint32
	Bytes     []byte
}

// The signature versions of a SignedBlock.
const (
	Version0 uint32 = 0
	Version1 uint32 = 1
)

// Sizes of the fixed-width fields.
const (
	// AlgorithmSize is the width of an algorithm number, little-endian.
	AlgorithmSize = 4
	// VersionSize is the width of a version number, little-endian.
	VersionSize = 4
)

// The tags that separate the fields of a version 1 payload. Each is an
// ASCII word between two NUL bytes.
const (
	tagBlock       = "\x00BLOCK\x00"
	tagExternal    = "\x00EXTERNAL\x00"
	tagVersion     = "\x00VERSION\x00"
	tagPayload     = "\x00PAYLOAD\x00"
	tagAlgorithm   = "\x00ALGORITHM\x00"
	tagNextKey     = "\x00NEXTKEY\x00"
	tagPrevSig     = "\x00PREVSIG\x00"
	tagExternalSig = "\x00EXTERNALSIG\x00"
)

// BlockV0 is the version 0 payload of a block, authority or not:
//
//	block || externalSig || algorithm(nextKey) || nextKey
//
// externalSig is nil when the block has no external signature, as the
// authority block never has.
func BlockV0(block, externalSig []byte, nextKey Key) []byte {
	b := make([]byte, 0, len(block)+len(externalSig)+AlgorithmSize+len(nextKey.Bytes))
	b = append(b, block...)
	b = append(b, externalSig...)
	return appendKey(b, nextKey)
}

// AuthorityV1 is the version 1 payload of the authority block:
//
//	"\0BLOCK\0" "\0VERSION\0" 1 "\0PAYLOAD\0" block
//	"\0ALGORITHM\0" algorithm(nextKey) "\0NEXTKEY\0" nextKey
func AuthorityV1(block []byte, nextKey Key) []byte {
	b := make([]byte, 0, v1Size(block, nextKey))
	return appendBlockV1(b, block, nextKey)
}

// BlockV1 is the version 1 payload of a block after the authority block:
// the fields of [AuthorityV1], then
//
//	"\0PREVSIG\0" prevSig ["\0EXTERNALSIG\0" externalSig]
//
// prevSig is the signature of the block before this one. externalSig is
// nil when the block has no external signature; a non-nil empty slice is
// written as an (empty, so invalid) external signature, as the reference
// does.
func BlockV1(block []byte, nextKey Key, prevSig, externalSig []byte) []byte {
	n := v1Size(block, nextKey) + len(tagPrevSig) + len(prevSig)
	if externalSig != nil {
		n += len(tagExternalSig) + len(externalSig)
	}
	b := make([]byte, 0, n)
	b = appendBlockV1(b, block, nextKey)
	b = append(b, tagPrevSig...)
	b = append(b, prevSig...)
	if externalSig != nil {
		b = append(b, tagExternalSig...)
		b = append(b, externalSig...)
	}
	return b
}

// ExternalV0 is the deprecated payload a third party signed in a version 0
// block:
//
//	block || algorithm(prevKey) || prevKey
//
// prevKey is the key that signs the block itself: the next key of the
// block before it. Nothing ties the signature to one token, so a block
// signed this way can be replayed into any token that reaches that key;
// verify it only on explicit request.
func ExternalV0(block []byte, prevKey Key) []byte {
	b := make([]byte, 0, len(block)+AlgorithmSize+len(prevKey.Bytes))
	b = append(b, block...)
	return appendKey(b, prevKey)
}

// ExternalV1 is the payload a third party signs, in a version 1 block:
//
//	"\0EXTERNAL\0" "\0VERSION\0" 1 "\0PAYLOAD\0" block "\0PREVSIG\0" prevSig
//
// prevSig is the signature of the block before the third-party block, which
// binds the external signature to one token.
func ExternalV1(block, prevSig []byte) []byte {
	b := make([]byte, 0, len(tagExternal)+len(tagVersion)+VersionSize+
		len(tagPayload)+len(block)+len(tagPrevSig)+len(prevSig))
	b = append(b, tagExternal...)
	b = append(b, tagVersion...)
	b = binary.LittleEndian.AppendUint32(b, Version1)
	b = append(b, tagPayload...)
	b = append(b, block...)
	b = append(b, tagPrevSig...)
	b = append(b, prevSig...)
	return b
}

// Seal is the payload of the final signature of a sealed token, made with
// the private key of the last block's next key:
//
//	lastBlock || algorithm(nextKey) || nextKey || lastSig
//
// lastBlock, nextKey and lastSig are the block, next key and signature of
// the last block. The layout does not depend on that block's version.
func Seal(lastBlock []byte, nextKey Key, lastSig []byte) []byte {
	b := make([]byte, 0, len(lastBlock)+AlgorithmSize+len(nextKey.Bytes)+len(lastSig))
	b = append(b, lastBlock...)
	b = appendKey(b, nextKey)
	return append(b, lastSig...)
}

// appendKey appends the algorithm number of k, then its bytes.
func appendKey(b []byte, k Key) []byte {
	b = binary.LittleEndian.AppendUint32(b, k.Algorithm)
	return append(b, k.Bytes...)
}

// appendBlockV1 appends the fields that every version 1 block payload
// starts with.
func appendBlockV1(b, block []byte, nextKey Key) []byte {
	b = append(b, tagBlock...)
	b = append(b, tagVersion...)
	b = binary.LittleEndian.AppendUint32(b, Version1)
	b = append(b, tagPayload...)
	b = append(b, block...)
	b = append(b, tagAlgorithm...)
	b = binary.LittleEndian.AppendUint32(b, nextKey.Algorithm)
	b = append(b, tagNextKey...)
	return append(b, nextKey.Bytes...)
}

// v1Size is the length of the fields appendBlockV1 writes.
func v1Size(block []byte, nextKey Key) int {
	return len(tagBlock) + len(tagVersion) + VersionSize + len(tagPayload) + len(block) +
		len(tagAlgorithm) + AlgorithmSize + len(tagNextKey) + len(nextKey.Bytes)
}
