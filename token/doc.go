// Package token is Codios's capability token: a Biscuit v3 token (format
// of the Biscuit specification v3.3), wire-compatible with every Biscuit
// implementation. A token is an append-only chain of signed blocks of
// Datalog (package datalog); each holder can narrow it offline, and any
// service verifies it with the root public key alone.
//
// # Entry points
//
//   - Keys: [GenerateKey], [ParsePublicKey], [ParsePrivateKey]; Ed25519
//     and ECDSA P-256. A [PrivateKey] never prints its secret.
//   - Minting: [New] signs the authority block with the root key.
//   - Attenuating: [Token.Append] adds a block with the token's own last
//     key; [Token.Seal] forbids further blocks. Third-party blocks:
//     [Token.ThirdPartyRequest], [ThirdPartyRequest.Sign] (by the third
//     party), [Token.AppendThirdParty].
//   - Verifying: [Parse] and [ParseText], or [ParseUnverified] then
//     [Unverified.Verify], with a root key or a [KeySet] of keys by id.
//   - Authorizing: an [Authorizer] holds a service's policy, compiled
//     once; [Authorizer.Authorize] evaluates a token and a [Request] into
//     a [Decision], plain data, with the world's facts and the answers
//     to queries when the request asks for them.
//   - Inspecting: [Token.Blocks] gives each block's Datalog, version,
//     [Signer] and revocation id; [Token.Describe] prints the delegation
//     path for a person.
//   - Serving many calls: a [Cache] of verified tokens spares a repeated
//     token its decoding and signature checks ([Cache.ParseText] finds it
//     by its text), never its authorization. An Authorizer keeps the
//     world of a token it authorizes again (its blocks and the policy,
//     loaded once, a datalog.Frozen) for up to [DefaultCachedWorlds]
//     tokens, and each request adds only its own facts. A [Token] is a
//     value: none of this is kept in it. Distinct tokens that share
//     blocks (an agent narrows its token on each call) share their
//     verification: a cache of verified signatures
//     spares each the signatures, and the decoding, of its blocks seen
//     before.
//
// # Compatibility
//
// Blocks are minted at the lowest Datalog version their features need and
// signed with signature version 1; [BlockOptions.LegacySignature] signs
// with version 0 for verifiers that know no other (biscuit-go v2.2.0).
// Tokens of every Biscuit v3 implementation are read, both signature
// versions, Ed25519 and P-256 keys.
//
// # Trust model
//
// Each block is signed by the key whose public half the previous block
// carries; the authority block by the root key. The last private key
// travels in the token, so that its holder can append a block — and
// nobody can remove or change one: a block's signature covers its
// bytes, its next key and (signature version 1) the previous signature.
// Every signature is checked before any block content is decoded: an
// [Unverified] token exposes no Datalog but through
// [Unverified.UntrustedBlocks], and never becomes a [Token] but through
// [Unverified.Verify]; attenuating one gives an Unverified back. A third-party block carries a
// second signature, by an outside key, over its contents and the previous
// signature, so that it is bound to one token; a trusting clause naming
// that key trusts its facts. Block contents are then evaluated under the
// scope rules of package datalog: facts a block adds can never widen what
// the authority granted.
//
// A chain's Ed25519 signatures are verified in one batch, written over
// curve25519-voi's curve arithmetic (batch.go: voi's own batch verifier
// measured 28% slower on the standard request), which costs about half as
// much as one by one in a long chain. Single and batch verification apply
// the same rules (the cofactored equation of RFC 8032, canonical S and R,
// small-order keys and Rs refused, a non-canonical key taken as written),
// so a batch accepts exactly what one-by-one
// verification accepts, on the edge cases of "Taming the many EdDSAs"
// among others; a failed batch is checked signature by signature to name
// the bad block. The cofactored equation agrees with the reference
// implementation's cofactorless one on every signature the signing
// algorithm makes.
//
// A signature that verified is remembered in a cache (sized by
// [SetSignatureCacheSize]) by the
// SHA-256 digest of everything its verification reads: the algorithm, the
// key, the signed bytes and the signature. Verification is a pure
// function of these, so a hit is exactly a verification done before, by
// this process, with the same answer; a signature that failed is never
// remembered, and a batch's signatures are remembered only when every one
// of them verified. A token's proof is checked on every call. The cache
// is bounded (its memory is stated with it) and holds no secret: whoever
// fills it with signatures of their own costs a service the
// verifications it would have paid without it, no more. A hit is faster
// than a verification, so the time of a call tells whether a block was
// seen before; only one who holds the block can ask.
//
// # Limits
//
// A token from the network is hostile until verified. [Limits] bounds its
// size and its number of blocks (datalog's MaxBlocks, the one bound on
// blocks) before anything is decoded, and the nesting of its terms and
// expressions when blocks are decoded; [DefaultLimits] gives the
// defaults. An [Authorizer]'s datalog limits bound evaluation, by counted
// steps first and by a wall-clock backstop, so that a decision does not
// depend on the machine's load. Errors wrap [ErrFormat],
// [ErrInvalidSignature], [ErrInvalidKey], [ErrUnknownRootKey],
// [ErrSealed] or [ErrLimit].
package token
