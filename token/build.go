package token

import (
	"bytes"
	"fmt"
	"io"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token/internal/format"
	"github.com/codios/codios/token/internal/pb"
	"github.com/codios/codios/token/internal/sig"
)

// BlockOptions are the optional settings of a new block.
type BlockOptions struct {
	// RootKeyID names the root key, for verifiers holding a KeySet. Only
	// for the authority block.
	RootKeyID *uint32
	// Context is a free-form string the block carries (not evaluated).
	Context string
	// Rand is the source of the next key pair; nil means crypto/rand.
	Rand io.Reader
	// Limits bounds the token, as Parse would.
	Limits *Limits
	// LegacySignature signs the block with the deprecated version 0
	// payload instead of version 1, for verifiers that know no other
	// (biscuit-go v2.2.0 among them). A first-party chain stays bound by
	// its keys; third-party blocks always use version 1.
	LegacySignature bool
}

// New mints a token: the authority block, signed with the root key.
func New(root *PrivateKey, authority *datalog.Program, opts *BlockOptions) (*Token, error) {
	if opts == nil {
		opts = &BlockOptions{}
	}
	c := &chain{rootKeyID: opts.RootKeyID, syms: format.NewSymbols(), keys: &format.Keys{}, limits: limitsOf(opts.Limits)}
	data, prog, version, err := encodeBlock(authority, c.syms, c.keys, false, opts.Context)
	if err != nil {
		return nil, err
	}
	next, err := GenerateKey(Ed25519, opts.Rand)
	if err != nil {
		return nil, err
	}
	payload, sigVersion := sig.AuthorityV1(data, sigKey(next.Public())), sig.Version1
	if opts.LegacySignature {
		payload, sigVersion = sig.BlockV0(data, nil, sigKey(next.Public())), sig.Version0
	}
	signature, err := root.Sign(payload)
	if err != nil {
		return nil, err
	}
	c.push(rawBlock{data: data, nextKey: next.Public(), signature: signature, sigVersion: sigVersion}, prog, version, opts.Context)
	c.next = next
	return c.token(), nil
}

// encodeBlock encodes a program at the version its features require, and
// decodes the bytes back, so that a block is only ever signed if it reads
// back as the program it came from.
func encodeBlock(p *datalog.Program, syms *format.Symbols, keys *format.Keys, thirdParty bool, context string) ([]byte, *datalog.Program, uint32, error) {
	if err := checkProgram(p); err != nil {
		return nil, nil, 0, err
	}
	version := format.RequiredVersion(p, thirdParty)
	msg, err := format.Encode(p, syms, keys, version)
	if err != nil {
		return nil, nil, 0, err
	}
	if context != "" {
		msg.Context = new(context)
	}
	data, err := msg.MarshalVT()
	if err != nil {
		return nil, nil, 0, err
	}
	back, err := format.Decode(msg, syms, keys, thirdParty, datalog.DefaultLimits().MaxDepth)
	if err != nil {
		return nil, nil, 0, err
	}
	return data, back, version, nil
}

// checkProgram refuses what no block may hold: policies, and rules whose
// head variables their body does not bind.
func checkProgram(p *datalog.Program) error {
	if len(p.Policies) > 0 {
		return fmt.Errorf("%w: a block cannot hold policies", ErrFormat)
	}
	w := datalog.NewWorld(nil)
	if _, err := w.AddBlock(p, nil); err != nil {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return nil
}

func (c *chain) push(rb rawBlock, prog *datalog.Program, version uint32, context string) {
	c.raw = append(c.raw, rb)
	c.blocks = append(c.blocks, newBlock(len(c.blocks), c.raw, prog, version, context))
}

// clone copies the chain for a new block.
func (c *chain) clone() *chain {
	return &chain{
		rootKeyID: c.rootKeyID,
		blocks:    append([]*Block(nil), c.blocks...),
		raw:       append([]rawBlock(nil), c.raw...),
		syms:      c.syms.Clone(),
		keys:      c.keys.Clone(),
		limits:    c.limits,
	}
}

// Append attenuates the token offline: it returns a new token with one
// more block, signed with the token's own last key. The block's checks
// can only narrow what the token allows. No other key is needed.
func (t *Token) Append(p *datalog.Program, opts *BlockOptions) (*Token, error) {
	n, err := t.chain.append(p, opts)
	if err != nil {
		return nil, err
	}
	return n.token(), nil
}

func (c *chain) append(p *datalog.Program, opts *BlockOptions) (*chain, error) {
	if opts == nil {
		opts = &BlockOptions{}
	}
	if err := c.canAppend(); err != nil {
		return nil, err
	}
	n := c.clone()
	data, prog, version, err := encodeBlock(p, n.syms, n.keys, false, opts.Context)
	if err != nil {
		return nil, err
	}
	return n.sign(data, prog, version, opts, nil, c.next)
}

func (c *chain) canAppend() error {
	if c.next == nil {
		return ErrSealed
	}
	if len(c.blocks)+1 > c.limits.Datalog.MaxBlocks {
		return limitErr(datalog.LimitBlocks, c.limits.Datalog.MaxBlocks)
	}
	return nil
}

// sign signs a new last block with the current last key and generates
// the next one.
func (n *chain) sign(data []byte, prog *datalog.Program, version uint32, opts *BlockOptions, ext *externalSig, key *PrivateKey) (*chain, error) {
	next, err := GenerateKey(Ed25519, opts.Rand)
	if err != nil {
		return nil, err
	}
	var extSig []byte
	if ext != nil {
		extSig = ext.signature
	}
	prev := n.raw[len(n.raw)-1].signature
	payload, sigVersion := sig.BlockV1(data, sigKey(next.Public()), prev, extSig), sig.Version1
	if opts.LegacySignature {
		payload, sigVersion = sig.BlockV0(data, nil, sigKey(next.Public())), sig.Version0
	}
	signature, err := key.Sign(payload)
	if err != nil {
		return nil, err
	}
	n.push(rawBlock{data: data, nextKey: next.Public(), signature: signature, external: ext, sigVersion: sigVersion}, prog, version, opts.Context)
	n.next = next
	return n, nil
}

// Seal returns the token sealed: its last key is replaced by a signature
// with it, so that no block can be appended any more.
func (t *Token) Seal() (*Token, error) {
	n, err := t.chain.seal()
	if err != nil {
		return nil, err
	}
	return n.token(), nil
}

func (c *chain) seal() (*chain, error) {
	if c.next == nil {
		return nil, ErrSealed
	}
	n := c.clone()
	last := n.raw[len(n.raw)-1]
	final, err := c.next.Sign(sig.Seal(last.data, sigKey(last.nextKey), last.signature))
	if err != nil {
		return nil, err
	}
	n.finalSig = final
	return n, nil
}

// ThirdPartyRequest is what a token holder sends a third party so that it
// can sign a block for this token, and for no other: it carries the last
// block's signature, which the third party's signature covers.
type ThirdPartyRequest struct {
	previousSignature []byte
}

// ThirdPartyRequest returns the request for a third-party block.
func (t *Token) ThirdPartyRequest() (*ThirdPartyRequest, error) {
	return t.chain.thirdPartyRequest()
}

func (c *chain) thirdPartyRequest() (*ThirdPartyRequest, error) {
	if err := c.canAppend(); err != nil {
		return nil, err
	}
	return &ThirdPartyRequest{previousSignature: bytes.Clone(c.raw[len(c.raw)-1].signature)}, nil
}

// Serialize returns the request's wire bytes.
func (r *ThirdPartyRequest) Serialize() []byte {
	return mustEncode((&pb.ThirdPartyBlockRequest{PreviousSignature: r.previousSignature}).MarshalVT())
}

// ParseThirdPartyRequest decodes a request. The legacy fields of old
// implementations must be empty.
func ParseThirdPartyRequest(data []byte) (*ThirdPartyRequest, error) {
	var msg pb.ThirdPartyBlockRequest
	if err := pb.UnmarshalThirdPartyBlockRequest(data, &msg); err != nil {
		return nil, fmt.Errorf("%w: third-party request: %w", ErrFormat, err)
	}
	if msg.LegacyPreviousKey != nil || len(msg.LegacyPublicKeys) > 0 {
		return nil, fmt.Errorf("%w: third-party request from an outdated implementation (legacy fields set)", ErrFormat)
	}
	if len(msg.PreviousSignature) == 0 {
		return nil, fmt.Errorf("%w: third-party request without a previous signature", ErrFormat)
	}
	return &ThirdPartyRequest{previousSignature: msg.PreviousSignature}, nil
}

// ThirdPartyBlock is a block signed by a third party, ready to be
// appended to the token its request came from.
type ThirdPartyBlock struct {
	payload   []byte
	signature []byte
	key       PublicKey
}

// Sign writes and signs a third-party block for the requesting token. The
// block is encoded with symbol and key tables of its own: the third party
// never sees the token.
func (r *ThirdPartyRequest) Sign(key *PrivateKey, p *datalog.Program) (*ThirdPartyBlock, error) {
	data, _, _, err := encodeBlock(p, format.NewSymbols(), &format.Keys{}, true, "")
	if err != nil {
		return nil, err
	}
	signature, err := key.Sign(sig.ExternalV1(data, r.previousSignature))
	if err != nil {
		return nil, err
	}
	return &ThirdPartyBlock{payload: data, signature: signature, key: key.Public()}, nil
}

// Serialize returns the signed block's wire bytes.
func (b *ThirdPartyBlock) Serialize() []byte {
	return mustEncode((&pb.ThirdPartyBlockContents{
		Payload:           b.payload,
		ExternalSignature: &pb.ExternalSignature{Signature: b.signature, PublicKey: keyToProto(b.key)},
	}).MarshalVT())
}

// ParseThirdPartyBlock decodes a signed third-party block.
func ParseThirdPartyBlock(data []byte) (*ThirdPartyBlock, error) {
	var msg pb.ThirdPartyBlockContents
	if err := pb.UnmarshalThirdPartyBlockContents(data, &msg); err != nil {
		return nil, fmt.Errorf("%w: third-party block: %w", ErrFormat, err)
	}
	key, err := keyFromProto(msg.GetExternalSignature().GetPublicKey())
	if err != nil {
		return nil, err
	}
	return &ThirdPartyBlock{payload: msg.GetPayload(), signature: msg.GetExternalSignature().GetSignature(), key: key}, nil
}

// Signer is the third party's public key.
func (b *ThirdPartyBlock) Signer() PublicKey { return b.key }

// AppendThirdParty appends a block a third party signed for this token.
// The third party's signature must cover this token's last signature,
// and the block must decode; then the token's last key signs it as usual.
func (t *Token) AppendThirdParty(b *ThirdPartyBlock, opts *BlockOptions) (*Token, error) {
	n, err := t.chain.appendThirdParty(b, opts)
	if err != nil {
		return nil, err
	}
	return n.token(), nil
}

func (c *chain) appendThirdParty(b *ThirdPartyBlock, opts *BlockOptions) (*chain, error) {
	if opts == nil {
		opts = &BlockOptions{}
	}
	if opts.LegacySignature {
		return nil, fmt.Errorf("%w: third-party blocks are signed with version 1 only", ErrFormat)
	}
	if err := c.canAppend(); err != nil {
		return nil, err
	}
	prev := c.raw[len(c.raw)-1].signature
	if err := b.key.Verify(sig.ExternalV1(b.payload, prev), b.signature); err != nil {
		return nil, fmt.Errorf("third-party block: %w", err)
	}
	ext := &externalSig{signature: b.signature, key: b.key}
	n := c.clone()
	blk, err := decodeBlock(0, []rawBlock{{data: b.payload, external: ext}}, nil, nil, c.limits)
	if err != nil {
		return nil, fmt.Errorf("third-party block: %w", err)
	}
	if err := checkProgram(blk.Program); err != nil {
		return nil, fmt.Errorf("third-party block: %w", err)
	}
	return n.sign(b.payload, blk.Program, blk.Version, opts, ext, c.next)
}
