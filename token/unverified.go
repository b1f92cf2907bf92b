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
// signature, to attenuate it or show it. What it returns is never made
// a Token: the result of attenuating it is an Unverified again.
func (u *Unverified) open() (*chain, error) {
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

// unverified turns a chain built from an unverified one back into one.
func (c *chain) unverified() *Unverified {
	u := &Unverified{rootKeyID: c.rootKeyID, blocks: c.raw, finalSig: c.finalSig, limits: c.limits}
	if c.next != nil {
		u.nextSecret = c.next.SecretBytes()
	}
	return u
}

// Append attenuates the token as [Token.Append] does, without verifying
// it first.
func (u *Unverified) Append(p *datalog.Program, opts *BlockOptions) (*Unverified, error) {
	c, err := u.open()
	if err != nil {
		return nil, err
	}
	n, err := c.append(p, opts)
	if err != nil {
		return nil, err
	}
	return n.unverified(), nil
}

// Seal seals the token as [Token.Seal] does, without verifying it first.
func (u *Unverified) Seal() (*Unverified, error) {
	c, err := u.open()
	if err != nil {
		return nil, err
	}
	n, err := c.seal()
	if err != nil {
		return nil, err
	}
	return n.unverified(), nil
}

// ThirdPartyRequest returns the request for a third-party block, as
// [Token.ThirdPartyRequest] does.
func (u *Unverified) ThirdPartyRequest() (*ThirdPartyRequest, error) {
	c, err := u.open()
	if err != nil {
		return nil, err
	}
	return c.thirdPartyRequest()
}

// AppendThirdParty appends a signed third-party block, as
// [Token.AppendThirdParty] does, without verifying the token first.
func (u *Unverified) AppendThirdParty(b *ThirdPartyBlock, opts *BlockOptions) (*Unverified, error) {
	c, err := u.open()
	if err != nil {
		return nil, err
	}
	n, err := c.appendThirdParty(b, opts)
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
	c, err := u.open()
	if err != nil {
		return nil, err
	}
	return c.blocks, nil
}
