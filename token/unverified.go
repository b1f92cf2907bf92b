package token

import (
	"github.com/codios/codios/datalog"
)

// Holding a token is enough to attenuate it: the holder needs no root key,
// only the token's own last key, which travels in it. These methods work
// on an Unverified token, and give back an Unverified token: appending to
// a token vouches for nothing in it. A service verifies the result as it
// would any token.

// open decodes an unverified token's blocks, without checking a
// signature, to attenuate it or inspect it. The token it returns must
// never reach an authorizer: it is not verified.
func (u *Unverified) open() (*Token, error) {
	var next *PrivateKey
	if u.nextSecret != nil {
		k, err := u.proofKey()
		if err != nil {
			return nil, err
		}
		next = k
	}
	return u.decode(next)
}

// unverified turns a token built from an unverified one back into one.
func (t *Token) unverified() *Unverified {
	u := &Unverified{rootKeyID: t.rootKeyID, blocks: t.raw, finalSig: t.finalSig, limits: t.limits}
	if t.next != nil {
		u.nextSecret = t.next.SecretBytes()
	}
	return u
}

// Append attenuates the token as [Token.Append] does, without verifying
// it first.
func (u *Unverified) Append(p *datalog.Program, opts *BlockOptions) (*Unverified, error) {
	t, err := u.open()
	if err != nil {
		return nil, err
	}
	n, err := t.Append(p, opts)
	if err != nil {
		return nil, err
	}
	return n.unverified(), nil
}

// Seal seals the token as [Token.Seal] does, without verifying it first.
func (u *Unverified) Seal() (*Unverified, error) {
	t, err := u.open()
	if err != nil {
		return nil, err
	}
	n, err := t.Seal()
	if err != nil {
		return nil, err
	}
	return n.unverified(), nil
}

// ThirdPartyRequest returns the request for a third-party block, as
// [Token.ThirdPartyRequest] does.
func (u *Unverified) ThirdPartyRequest() (*ThirdPartyRequest, error) {
	t, err := u.open()
	if err != nil {
		return nil, err
	}
	return t.ThirdPartyRequest()
}

// AppendThirdParty appends a signed third-party block, as
// [Token.AppendThirdParty] does, without verifying the token first.
func (u *Unverified) AppendThirdParty(b *ThirdPartyBlock, opts *BlockOptions) (*Unverified, error) {
	t, err := u.open()
	if err != nil {
		return nil, err
	}
	n, err := t.AppendThirdParty(b, opts)
	if err != nil {
		return nil, err
	}
	return n.unverified(), nil
}

// Serialize returns the token's wire bytes.
func (u *Unverified) Serialize() []byte {
	return serialize(u.rootKeyID, u.blocks, u.nextSecret, u.finalSig)
}

// Sealed reports whether the token is sealed.
func (u *Unverified) Sealed() bool { return u.nextSecret == nil }

// UntrustedBlocks decodes the blocks without checking any signature, for
// tools that show a token they cannot verify. Nothing in them is vouched
// for: never authorize with them.
func (u *Unverified) UntrustedBlocks() ([]*Block, error) {
	t, err := u.open()
	if err != nil {
		return nil, err
	}
	return t.blocks, nil
}
