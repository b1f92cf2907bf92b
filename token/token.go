package token

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/internal/edhost"
	"github.com/codios/codios/token/internal/format"
	"github.com/codios/codios/token/internal/pb"
	"github.com/codios/codios/token/internal/sig"
)

// Unverified is a token whose signatures have not been checked. Its
// blocks are kept as the bytes that the signatures cover; nothing in them
// is decoded until Verify has checked every signature.
type Unverified struct {
	rootKeyID *uint32
	blocks    []rawBlock
	// proof: the last link's private key, or the final signature of a
	// sealed token.
	nextSecret []byte
	finalSig   []byte
	limits     Limits
}

// rawBlock is one SignedBlock, decoded from the wire but not verified.
type rawBlock struct {
	data       []byte // the serialized Block
	nextKey    PublicKey
	signature  []byte
	external   *externalSig
	sigVersion uint32
}

type externalSig struct {
	signature []byte
	key       PublicKey
}

// Token is a verified token: every signature checked, every block decoded.
// It comes only from verification ([Parse], [Unverified.Verify]) or from
// signing ([New], [Token.Append], ...). It is an immutable value:
// authorizing it changes nothing in it, and attenuating it returns a new
// Token.
type Token struct {
	chain
	// content identifies what the blocks say (see contentOf): an
	// Authorizer keys the world it keeps loaded for a repeated token by
	// it.
	content contentID
	// blockBytes is the size of the blocks on the wire, from which the
	// caches estimate the memory of what they keep of the token.
	blockBytes int
}

// chain is a token's blocks, decoded, with what serializes and extends
// them. A Token holds one verified or signed here; attenuating an
// Unverified works on one that is neither, and gives an Unverified back.
type chain struct {
	rootKeyID *uint32
	blocks    []*Block
	raw       []rawBlock
	next      *PrivateKey // nil when sealed
	finalSig  []byte
	// syms and keys are the token's tables: the defaults and the symbols
	// and keys of its first-party blocks, for encoding the next block.
	syms   *format.Symbols
	keys   *format.Keys
	limits Limits
}

// contentID is a SHA-256 digest of a token's blocks as they are signed:
// each block's bytes and third-party key. Two tokens with the same
// content load the same world, whatever their proofs.
type contentID [sha256.Size]byte

// contentOf digests the blocks of a chain.
func contentOf(raw []rawBlock) contentID {
	h := sha256.New()
	// Lengths and a kind byte frame the parts, so that no two contents
	// write the same bytes.
	var buf [10]byte
	for _, rb := range raw {
		binary.BigEndian.PutUint64(buf[:], uint64(len(rb.data)))
		h.Write(buf[:8])
		h.Write(rb.data)
		if rb.external == nil {
			buf[0] = 0
			h.Write(buf[:1])
			continue
		}
		k := rb.external.key
		buf[0], buf[1] = 1, byte(k.alg)
		binary.BigEndian.PutUint64(buf[2:], uint64(len(k.wire)))
		h.Write(buf[:])
		h.Write(k.wire)
	}
	var id contentID
	h.Sum(id[:0])
	return id
}

// token makes a Token of a chain whose signatures were checked or made
// here.
func (c *chain) token() *Token {
	n := 0
	for _, rb := range c.raw {
		n += len(rb.data)
	}
	return &Token{chain: *c, content: contentOf(c.raw), blockBytes: n}
}

// Block is one decoded block of a token.
type Block struct {
	// Index is the block's place: 0 for the authority block.
	Index int
	// Program is the block's Datalog.
	Program *datalog.Program
	// Version is the Datalog version the block declares (3 to 6: v3.0 to
	// v3.3).
	Version uint32
	// Context is the block's free-form context string, if any.
	Context string
	// ExternalKey is the key of the third party that signed the block, or
	// nil for a first-party block.
	ExternalKey *PublicKey
	// RevocationID is the block's signature: revoking it revokes the
	// token and every token derived from it.
	RevocationID []byte
	// NextKey is the public key of the next link of the chain.
	NextKey PublicKey
	// SignatureVersion is the payload format of the block's signature (0
	// or 1).
	SignatureVersion uint32
	// Signer is who vouches for the block.
	Signer Signer
}

// Signer says who vouches for a block: the root key for the authority
// block, the holder of the previous block (its NextKey) for an
// attenuation block, and a third party for a third-party block, which
// the previous holder signs too.
type Signer struct {
	Kind SignerKind
	// Key is the previous block's NextKey, or the third party's key. It
	// is the zero PublicKey for the root key, which the verifier chose.
	Key PublicKey
}

// SignerKind is the kind of a block's signer.
type SignerKind uint8

const (
	// SignedByRoot: the authority block, signed with the root key.
	SignedByRoot SignerKind = iota
	// SignedByPrevious: an attenuation block, signed by the holder of
	// the previous block.
	SignedByPrevious
	// SignedByThirdParty: a third-party block.
	SignedByThirdParty
)

// String names the signer for a person: "root key", "holder of the
// previous block", or "third party" and the key.
func (s Signer) String() string {
	switch s.Kind {
	case SignedByRoot:
		return "root key"
	case SignedByPrevious:
		return "holder of the previous block"
	}
	return "third party " + s.Key.String()
}

// SignedBy names the block's signer for a person: "root key", "holder of
// block 2", or "third party" and the key.
func (b *Block) SignedBy() string {
	if b.Signer.Kind == SignedByPrevious {
		return fmt.Sprint("holder of block ", b.Index-1)
	}
	return b.Signer.String()
}

// Parse decodes a serialized token and verifies it with the root key
// that keys chooses. It is ParseUnverified then Verify.
func Parse(data []byte, keys RootKeys, limits *Limits) (*Token, error) {
	u, err := ParseUnverified(data, limits)
	if err != nil {
		return nil, err
	}
	return u.Verify(keys)
}

// ParseText decodes a token in its base64 text form, then verifies it.
func ParseText(text string, keys RootKeys, limits *Limits) (*Token, error) {
	data, err := DecodeText(text, limits)
	if err != nil {
		return nil, err
	}
	return Parse(data, keys, limits)
}

// DecodeText decodes the base64 URL-safe text form of a token, with or
// without padding and with or without the "biscuit:" prefix.
func DecodeText(text string, limits *Limits) ([]byte, error) {
	l := limitsOf(limits)
	text = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), "biscuit:"))
	if base64.RawURLEncoding.DecodedLen(len(text)) > l.MaxTokenBytes+2 {
		return nil, limitErr(datalog.LimitTokenBytes, l.MaxTokenBytes)
	}
	data, err := base64.URLEncoding.DecodeString(text)
	if err != nil {
		data, err = base64.RawURLEncoding.DecodeString(text)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: token is not base64 URL text: %w", ErrFormat, err)
	}
	return data, nil
}

func limitsOf(l *Limits) Limits {
	if l == nil {
		return Limits{}.withDefaults()
	}
	return l.withDefaults()
}

// ParseUnverified decodes the outer structure of a token: its blocks'
// bytes, keys and signatures. Block contents stay undecoded.
func ParseUnverified(data []byte, limits *Limits) (*Unverified, error) {
	l := limitsOf(limits)
	if len(data) > l.MaxTokenBytes {
		return nil, limitErr(datalog.LimitTokenBytes, l.MaxTokenBytes)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: the token is empty", ErrFormat)
	}
	var msg pb.Biscuit
	if err := pb.UnmarshalBiscuit(data, &msg); err != nil {
		// Say which it looks like: people paste tokens cut short.
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: the token is truncated: its %d bytes end inside a field: %w", ErrFormat, len(data), err)
		}
		return nil, fmt.Errorf("%w: the token is garbled, not a Biscuit token's bytes: %w", ErrFormat, err)
	}
	if 1+len(msg.GetBlocks()) > l.Datalog.MaxBlocks {
		return nil, limitErr(datalog.LimitBlocks, l.Datalog.MaxBlocks)
	}
	u := &Unverified{rootKeyID: msg.RootKeyId, limits: l}
	all := append([]*pb.SignedBlock{msg.GetAuthority()}, msg.GetBlocks()...)
	for i, sb := range all {
		rb, err := decodeSignedBlock(sb)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", i, err)
		}
		if i == 0 && rb.external != nil {
			return nil, fmt.Errorf("%w: the authority block cannot have an external signature", ErrFormat)
		}
		u.blocks = append(u.blocks, rb)
	}
	switch p := msg.GetProof().GetContent().(type) {
	case *pb.Proof_NextSecret:
		u.nextSecret = p.NextSecret
	case *pb.Proof_FinalSignature:
		u.finalSig = p.FinalSignature
	default:
		return nil, fmt.Errorf("%w: token has no proof", ErrFormat)
	}
	return u, nil
}

func decodeSignedBlock(sb *pb.SignedBlock) (rawBlock, error) {
	next, err := keyFromProto(sb.GetNextKey())
	if err != nil {
		return rawBlock{}, err
	}
	rb := rawBlock{data: sb.GetBlock(), nextKey: next, signature: sb.GetSignature(), sigVersion: sb.GetVersion()}
	if rb.sigVersion > sig.Version1 {
		return rawBlock{}, fmt.Errorf("%w: unknown signature version %d", ErrFormat, rb.sigVersion)
	}
	if es := sb.GetExternalSignature(); es != nil {
		key, err := keyFromProto(es.GetPublicKey())
		if err != nil {
			return rawBlock{}, err
		}
		if rb.sigVersion < sig.Version1 {
			return rawBlock{}, fmt.Errorf("%w: a third-party block needs signature version 1", ErrFormat)
		}
		rb.external = &externalSig{signature: es.GetSignature(), key: key}
	}
	return rb, nil
}

func keyFromProto(k *pb.PublicKey) (PublicKey, error) {
	if k == nil {
		return PublicKey{}, fmt.Errorf("%w: missing public key", ErrFormat)
	}
	key, err := wirePublicKey(Algorithm(k.GetAlgorithm()), k.GetKey())
	if err != nil {
		return PublicKey{}, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return key, nil
}

// keyToProto is the wire message of a key, to be encoded: it shares the
// key's bytes.
func keyToProto(k PublicKey) *pb.PublicKey {
	return &pb.PublicKey{Algorithm: pb.PublicKey_Algorithm(k.Algorithm()).Enum(), Key: k.wire}
}

func sigKey(k PublicKey) sig.Key { return sig.Key{Algorithm: uint32(k.Algorithm()), Bytes: k.wire} }

// RootKeyID returns the root key id the token names, if any.
func (u *Unverified) RootKeyID() (uint32, bool) { return rootKeyID(u.rootKeyID) }

func rootKeyID(id *uint32) (uint32, bool) {
	if id == nil {
		return 0, false
	}
	return *id, true
}

// Verify checks every signature of the chain, from the root key that keys
// chooses for the token's root key id, then the proof, then decodes the
// blocks. Nothing of a block is decoded before all signatures pass.
func (u *Unverified) Verify(keys RootKeys) (*Token, error) {
	root, err := keys.RootKey(u.rootKeyID)
	if err != nil {
		return nil, err
	}
	// One cache for the whole verification, whatever
	// SetSignatureCacheSize does meanwhile.
	cache := signatures.Load()
	next, err := u.verifySignatures(root, cache)
	if err != nil {
		return nil, err
	}
	c, err := u.decodeCached(next, cache.decoded())
	if err != nil {
		return nil, err
	}
	return c.token(), nil
}

// verifySignatures checks the chain and the proof. It returns the last
// link's private key, nil for a sealed token.
func (u *Unverified) verifySignatures(root PublicKey, cache *signatureCache) (*PrivateKey, error) {
	checks := make([]sigCheck, 0, len(u.blocks)+1)
	signer := root
	for i, b := range u.blocks {
		if signer.Algorithm() == Ed25519 && len(b.signature) != ed25519SignatureSize {
			return nil, fmt.Errorf("%w: block %d: an Ed25519 signature has %d bytes, not %d", ErrFormat, i, len(b.signature), ed25519SignatureSize)
		}
		checks = append(checks, sigCheck{key: signer, payload: signedPayload(u.blocks, i), sig: b.signature, block: i})
		if b.external != nil {
			checks = append(checks, sigCheck{key: b.external.key, payload: sig.ExternalV1(b.data, u.blocks[i-1].signature),
				sig: b.external.signature, block: i, external: true})
		}
		signer = b.nextKey
	}
	last := u.blocks[len(u.blocks)-1]
	if u.finalSig != nil {
		checks = append(checks, sigCheck{key: signer, payload: sig.Seal(last.data, sigKey(last.nextKey), last.signature),
			sig: u.finalSig, block: -1})
	}
	if err := cache.verify(checks); err != nil {
		return nil, err
	}
	if u.finalSig != nil {
		return nil, nil
	}
	return u.proofKey()
}

// proofKey decodes the proof of an open token, the private key of its last
// link, and checks that it is the key the last block names: without it,
// whoever dropped the last blocks of a chain could pass the rest off.
func (u *Unverified) proofKey() (*PrivateKey, error) {
	last := u.blocks[len(u.blocks)-1].nextKey
	next, err := NewPrivateKey(last.Algorithm(), u.nextSecret)
	if err != nil {
		return nil, fmt.Errorf("%w: proof: %w", ErrFormat, err)
	}
	if !next.Public().Equal(last) {
		return nil, fmt.Errorf("%w: the proof's key is not the last block's next key", ErrInvalidSignature)
	}
	return next, nil
}

// sigCheck is one signature of a token to verify.
type sigCheck struct {
	key          PublicKey
	payload, sig []byte
	block        int // -1: the final signature of a sealed token
	external     bool
}

func (c sigCheck) String() string {
	switch {
	case c.block < 0:
		return "sealed token: final signature"
	case c.external:
		return fmt.Sprintf("block %d: external signature", c.block)
	}
	return fmt.Sprintf("block %d", c.block)
}

// verifyAll verifies signatures: the Ed25519 ones together in one batch
// (verifyEd25519Batch), which costs about half as much as one by one in a
// long chain, and the others alone. The batch accepts exactly what
// PublicKey.Verify accepts: both apply the rules of ed25519Options, with
// the cofactored equation that batch and single verification share, and
// when the batch fails each signature is checked alone, in order, so that
// the error names the first that fails. A batch that fails for want of
// luck (probability 2^-128) costs time, never a wrong answer.
func verifyAll(checks []sigCheck) error {
	verified := false
	var batch []*sigCheck
	for i := range checks {
		if c := &checks[i]; c.key.alg == Ed25519 && len(c.sig) == ed25519SignatureSize {
			batch = append(batch, c)
		}
	}
	if len(batch) >= 2 && edhost.Get() == nil {
		verified = verifyEd25519Batch(batch, cryptoRand)
	}
	for _, c := range checks {
		if verified && c.key.alg == Ed25519 && len(c.sig) == ed25519SignatureSize {
			continue
		}
		if err := c.key.Verify(c.payload, c.sig); err != nil {
			return fmt.Errorf("%s: %w", c, err)
		}
	}
	return nil
}

// signedPayload is the payload that block i's signature covers.
func signedPayload(blocks []rawBlock, i int) []byte {
	b := blocks[i]
	var ext []byte
	if b.external != nil {
		ext = b.external.signature
	}
	if b.sigVersion == sig.Version0 {
		return sig.BlockV0(b.data, ext, sigKey(b.nextKey))
	}
	if i == 0 {
		return sig.AuthorityV1(b.data, sigKey(b.nextKey))
	}
	return sig.BlockV1(b.data, sigKey(b.nextKey), blocks[i-1].signature, ext)
}

// decode decodes every block with its symbol and key tables: the token's
// growing tables for first-party blocks, fresh ones for third-party blocks.
// It checks no signature: Verify calls it once they pass.
func (u *Unverified) decode(next *PrivateKey) (*chain, error) {
	return u.decodeCached(next, nil)
}

// decodeCached is decode through the decoded prefixes of a signature
// cache (see prefixcache.go), for a chain whose signatures all passed:
// only verified chains are remembered.
func (u *Unverified) decodeCached(next *PrivateKey, cache *prefixCache) (*chain, error) {
	c := &chain{rootKeyID: u.rootKeyID, raw: u.blocks, next: next, finalSig: u.finalSig, limits: u.limits}
	c.blocks = make([]*Block, 0, len(u.blocks))
	var shorter, whole prefixDigest
	start := 0
	if cache != nil {
		shorter, whole = digestPrefixes(u.blocks, u.limits.Datalog.MaxDepth)
		if p := cache.get(whole); p != nil {
			c.blocks, c.syms, c.keys = append(c.blocks, p.blocks...), p.syms, p.keys
			return c, nil
		}
		if p := cache.get(shorter); p != nil && len(u.blocks) > 1 {
			c.blocks = append(c.blocks, p.blocks...)
			// The cached tables are shared: extend copies.
			c.syms, c.keys = p.syms.Clone(), p.keys.Clone()
			start = len(p.blocks)
		}
	}
	if start == 0 {
		c.syms, c.keys = format.NewSymbols(), &format.Keys{}
	}
	// Remember what is decoded a second time (see prefixcache.go).
	keepShorter := cache != nil && start == 0 && len(u.blocks) > 1 && cache.second(shorter)
	keepWhole := cache != nil && cache.second(whole)
	for i := start; i < len(u.blocks); i++ {
		if keepShorter && i == len(u.blocks)-1 {
			// The first n-1 blocks, for the tokens narrowed from this one.
			cache.add(newDecodedPrefix(shorter, u.blocks, c.blocks[:i:i], c.syms.Clone(), c.keys.Clone()))
		}
		blk, err := decodeBlock(i, u.blocks, c.syms, c.keys, u.limits)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", i, err)
		}
		c.blocks = append(c.blocks, blk)
	}
	if keepWhole {
		// The tables are the chain's from here on, never extended: an
		// attenuation copies them first.
		cache.add(newDecodedPrefix(whole, u.blocks, c.blocks[:len(c.blocks):len(c.blocks)], c.syms, c.keys))
	}
	return c, nil
}

// decodeBlock decodes block i of a chain. A first-party block extends the
// token's tables; a third-party block is read with tables of its own.
func decodeBlock(i int, chain []rawBlock, syms *format.Symbols, keys *format.Keys, l Limits) (*Block, error) {
	rb := chain[i]
	var msg pb.Block
	if err := pb.UnmarshalBlock(rb.data, &msg); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if rb.external != nil {
		syms, keys = format.NewSymbols(), &format.Keys{}
	}
	if err := syms.Extend(msg.GetSymbols()); err != nil {
		return nil, err
	}
	var declared []datalog.PublicKey
	for _, k := range msg.GetPublicKeys() {
		key, err := keyFromProto(k)
		if err != nil {
			return nil, err
		}
		declared = append(declared, key.Datalog())
	}
	if err := keys.Extend(declared); err != nil {
		return nil, err
	}
	prog, err := format.Decode(&msg, syms, keys, rb.external != nil, l.Datalog.MaxDepth)
	if err != nil {
		return nil, err
	}
	return newBlock(i, chain, prog, msg.GetVersion(), msg.GetContext()), nil
}

// newBlock describes block i of a chain, holding prog.
func newBlock(i int, chain []rawBlock, prog *datalog.Program, version uint32, context string) *Block {
	rb := chain[i]
	blk := &Block{
		Index: i, Program: prog, Version: version, Context: context,
		RevocationID: bytes.Clone(rb.signature), NextKey: rb.nextKey, SignatureVersion: rb.sigVersion,
	}
	switch {
	case rb.external != nil:
		k := rb.external.key
		blk.ExternalKey = &k
		blk.Signer = Signer{Kind: SignedByThirdParty, Key: k}
	case i > 0:
		blk.Signer = Signer{Kind: SignedByPrevious, Key: chain[i-1].nextKey}
	}
	return blk
}

// Blocks returns the token's blocks in order, the authority block first.
// They are shared with the token (and with every token appended from it,
// and a Cache): read them, do not modify them.
func (t *Token) Blocks() []*Block { return t.blocks }

// RootKeyID returns the root key id the token names, if any.
func (t *Token) RootKeyID() (uint32, bool) { return rootKeyID(t.rootKeyID) }

// Sealed reports whether the token is sealed: it can no longer be
// attenuated.
func (t *Token) Sealed() bool { return t.next == nil }

// RevocationIDs returns each block's revocation id, in order.
func (t *Token) RevocationIDs() [][]byte {
	ids := make([][]byte, len(t.blocks))
	for i, b := range t.blocks {
		ids[i] = bytes.Clone(b.RevocationID)
	}
	return ids
}

// Serialize returns the token's wire bytes.
func (t *Token) Serialize() []byte {
	var secret []byte
	if t.next != nil {
		secret = t.next.SecretBytes()
	}
	return serialize(t.rootKeyID, t.raw, secret, t.finalSig)
}

// serialize writes a token's chain and proof: the private key of its last
// link (secret), or the final signature of a sealed token.
func serialize(rootKeyID *uint32, raw []rawBlock, secret, finalSig []byte) []byte {
	// The messages of the chain come from one allocation per kind: they
	// live only until they are encoded.
	var (
		sbs      = make([]pb.SignedBlock, len(raw))
		keys     = make([]pb.PublicKey, len(raw))
		algs     = make([]pb.PublicKey_Algorithm, len(raw))
		versions = make([]uint32, len(raw))
	)
	msg := &pb.Biscuit{RootKeyId: rootKeyID, Proof: &pb.Proof{}, Blocks: make([]*pb.SignedBlock, 0, max(len(raw)-1, 0))}
	for i, rb := range raw {
		algs[i] = pb.PublicKey_Algorithm(rb.nextKey.alg)
		keys[i] = pb.PublicKey{Algorithm: &algs[i], Key: rb.nextKey.wire}
		sb := &sbs[i]
		sb.Block, sb.NextKey, sb.Signature = rb.data, &keys[i], rb.signature
		if rb.sigVersion != sig.Version0 {
			versions[i] = rb.sigVersion
			sb.Version = &versions[i]
		}
		if rb.external != nil {
			sb.ExternalSignature = &pb.ExternalSignature{Signature: rb.external.signature, PublicKey: keyToProto(rb.external.key)}
		}
		if i == 0 {
			msg.Authority = sb
		} else {
			msg.Blocks = append(msg.Blocks, sb)
		}
	}
	if secret != nil {
		msg.Proof.Content = &pb.Proof_NextSecret{NextSecret: secret}
	} else {
		msg.Proof.Content = &pb.Proof_FinalSignature{FinalSignature: finalSig}
	}
	return mustEncode(msg.MarshalVT())
}

// mustEncode is the result of encoding a message this package built. Only
// a required field left unset fails to encode, and every builder sets
// them all: an error here is a bug, not bad input.
func mustEncode(data []byte, err error) []byte {
	if err != nil {
		panic("token: encoding a message: " + err.Error())
	}
	return data
}

// String returns the token's text form: its bytes in base64 URL-safe
// encoding with padding, as other implementations print it.
func (t *Token) String() string {
	return base64.URLEncoding.EncodeToString(t.Serialize())
}

// RootKeys chooses the root public key that verifies a token, from the
// token's root key id (nil when it names none). A [PublicKey] is a
// RootKeys that accepts any id; a [KeySet] looks the id up.
type RootKeys interface {
	RootKey(id *uint32) (PublicKey, error)
}

// RootKey returns k whatever the id: a single trusted root.
func (k PublicKey) RootKey(*uint32) (PublicKey, error) { return k, nil }

// KeySet is a set of root keys by id, so that keys can rotate: a new key
// gets a new id, and both verify while tokens of the old one live.
type KeySet struct {
	// Keys maps root key ids to keys.
	Keys map[uint32]PublicKey
	// Default verifies tokens that name no root key id, if set.
	Default *PublicKey
}

// RootKey returns the key of id, or ErrUnknownRootKey.
func (s KeySet) RootKey(id *uint32) (PublicKey, error) {
	if id == nil {
		if s.Default != nil {
			return *s.Default, nil
		}
		return PublicKey{}, fmt.Errorf("%w: the token names no root key id", ErrUnknownRootKey)
	}
	k, ok := s.Keys[*id]
	if !ok {
		return PublicKey{}, fmt.Errorf("%w: id %d", ErrUnknownRootKey, *id)
	}
	return k, nil
}
