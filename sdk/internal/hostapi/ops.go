package hostapi

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/internal/decisionjson"
	"github.com/codios/codios/internal/explain"
	"github.com/codios/codios/sdk"
	"github.com/codios/codios/token"
)

// Param is a Datalog parameter in JSON: a string, an integer, a bool, or
// an object {"bytes": "hex"} | {"date": "RFC3339"} | {"key": "ed25519/…"}.
type Param struct{ v datalog.Param }

// UnmarshalJSON reads one parameter.
func (p *Param) UnmarshalJSON(b []byte) error {
	var raw any
	d := json.NewDecoder(bytesReader(b))
	d.UseNumber()
	if err := d.Decode(&raw); err != nil {
		return err
	}
	switch x := raw.(type) {
	case string:
		p.v = datalog.String(x)
	case bool:
		p.v = datalog.Bool(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return fmt.Errorf("parameter %s is not a 64-bit integer", x)
		}
		p.v = datalog.Integer(i)
	case map[string]any:
		if len(x) != 1 {
			return fmt.Errorf("a typed parameter is an object of one field: bytes, date or key")
		}
		for k, v := range x {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("parameter field %q wants a string", k)
			}
			switch k {
			case "bytes":
				bs, err := hex.DecodeString(s)
				if err != nil {
					return fmt.Errorf("bytes parameter: %w", err)
				}
				p.v = datalog.Bytes(bs)
			case "date":
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					return fmt.Errorf("date parameter: %w", err)
				}
				if t.Unix() < 0 {
					return fmt.Errorf("date parameter: dates before 1970 cannot be represented")
				}
				p.v = datalog.DateOf(t)
			case "key":
				k, err := token.ParsePublicKey(s)
				if err != nil {
					return err
				}
				p.v = k.Datalog()
			default:
				return fmt.Errorf("unknown parameter type %q: want bytes, date or key", k)
			}
		}
	default:
		return fmt.Errorf("a parameter is a string, an integer, a bool or a typed object, not %s", b)
	}
	return nil
}

func params(m map[string]Param) datalog.Params {
	if len(m) == 0 {
		return nil
	}
	out := make(datalog.Params, len(m))
	for k, v := range m {
		out[k] = v.v
	}
	return out
}

func privateKey(s string) (*token.PrivateKey, *Error) {
	if s == "" {
		return nil, errorf(BadArgument, "hostapi: private_key is required")
	}
	k, err := token.ParsePrivateKey(s)
	if err != nil {
		return nil, classify(err, InvalidKey)
	}
	return k, nil
}

func publicKey(s string) (token.PublicKey, *Error) {
	k, err := token.ParsePublicKey(s)
	if err != nil {
		return token.PublicKey{}, classify(err, InvalidKey)
	}
	return k, nil
}

// --- keys

// KeyGenerateIn asks for a new key pair; algorithm is "ed25519" (default)
// or "secp256r1".
type KeyGenerateIn struct {
	Algorithm string `json:"algorithm,omitempty"`
}

// KeyOut is a key pair in text form.
type KeyOut struct {
	Private string `json:"private,omitempty"`
	Public  string `json:"public"`
}

// KeyGenerate makes a new key pair.
func KeyGenerate(in *KeyGenerateIn) (KeyOut, *Error) {
	alg := token.Ed25519
	switch in.Algorithm {
	case "", "ed25519":
	case "secp256r1":
		alg = token.Secp256r1
	default:
		return KeyOut{}, errorf(BadArgument, "hostapi: unknown algorithm %q: want ed25519 or secp256r1", in.Algorithm)
	}
	k, err := token.GenerateKey(alg, nil)
	if err != nil {
		return KeyOut{}, classify(err, Internal)
	}
	return KeyOut{Private: k.SecretText(), Public: k.Public().String()}, nil
}

// KeyIn is a key in text form, public or private.
type KeyIn struct {
	Key string `json:"key"`
}

// KeyParse checks a key's text form and returns it canonical: a private
// key gives both halves.
func KeyParse(in *KeyIn) (KeyOut, *Error) {
	if k, err := token.ParsePublicKey(in.Key); err == nil {
		return KeyOut{Public: k.String()}, nil
	}
	k, e := privateKey(in.Key)
	if e != nil {
		return KeyOut{}, e
	}
	return KeyOut{Private: k.SecretText(), Public: k.Public().String()}, nil
}

// KeyPublic returns the public half of a private key.
func KeyPublic(in *KeyIn) (KeyOut, *Error) {
	k, e := privateKey(in.Key)
	if e != nil {
		return KeyOut{}, e
	}
	return KeyOut{Public: k.Public().String()}, nil
}

// --- building tokens

// TokenOut is a token in both forms: text (base64 URL-safe) and bytes
// (standard base64 of the serialized token, as JSON carries bytes).
type TokenOut struct {
	Token string `json:"token"`
	Bytes []byte `json:"bytes"`
}

func tokenOut(data []byte) TokenOut {
	return TokenOut{Token: base64.URLEncoding.EncodeToString(data), Bytes: data}
}

// MintIn mints a token from its authority block's Datalog.
type MintIn struct {
	Authority  string           `json:"authority"`
	Params     map[string]Param `json:"params,omitempty"`
	PrivateKey string           `json:"private_key"`
	RootKeyID  *uint32          `json:"root_key_id,omitempty"`
	Context    string           `json:"context,omitempty"`
	Filename   string           `json:"filename,omitempty"`
}

// Mint signs a new token with the root private key.
func Mint(in *MintIn) (TokenOut, *Error) {
	k, e := privateKey(in.PrivateKey)
	if e != nil {
		return TokenOut{}, e
	}
	p, err := datalog.ParseBlock(in.Authority, &datalog.ParseOptions{Filename: in.Filename, Params: params(in.Params)})
	if err != nil {
		return TokenOut{}, classify(err, Parse)
	}
	t, err := token.New(k, p, &token.BlockOptions{RootKeyID: in.RootKeyID, Context: in.Context})
	if err != nil {
		return TokenOut{}, classify(err, InvalidTok)
	}
	return tokenOut(t.Serialize()), nil
}

func unverified(text string) (*token.Unverified, *Error) {
	data, err := token.DecodeText(text, nil)
	if err != nil {
		return nil, classify(err, InvalidTok)
	}
	u, err := token.ParseUnverified(data, nil)
	if err != nil {
		return nil, classify(err, InvalidTok)
	}
	return u, nil
}

// AttenuateIn appends a block to a token, offline: no key but the
// token's own.
type AttenuateIn struct {
	Token    string           `json:"token"`
	Block    string           `json:"block"`
	Params   map[string]Param `json:"params,omitempty"`
	Context  string           `json:"context,omitempty"`
	Filename string           `json:"filename,omitempty"`
}

// Attenuate narrows a token with one more block. The token is not
// verified: whoever holds it may narrow it, and the verifier checks.
func Attenuate(in *AttenuateIn) (TokenOut, *Error) {
	u, e := unverified(in.Token)
	if e != nil {
		return TokenOut{}, e
	}
	p, err := datalog.ParseBlock(in.Block, &datalog.ParseOptions{Filename: in.Filename, Params: params(in.Params)})
	if err != nil {
		return TokenOut{}, classify(err, Parse)
	}
	n, err := u.Append(p, &token.BlockOptions{Context: in.Context})
	if err != nil {
		return TokenOut{}, classify(err, InvalidTok)
	}
	return tokenOut(n.Serialize()), nil
}

// TokenIn is a token in text form.
type TokenIn struct {
	Token string `json:"token"`
}

// Seal makes a token that can no longer be attenuated.
func Seal(in *TokenIn) (TokenOut, *Error) {
	u, e := unverified(in.Token)
	if e != nil {
		return TokenOut{}, e
	}
	n, err := u.Seal()
	if err != nil {
		return TokenOut{}, classify(err, InvalidTok)
	}
	return tokenOut(n.Serialize()), nil
}

// BytesOut is serialized data (standard base64 in JSON).
type BytesOut struct {
	Bytes []byte `json:"bytes"`
}

// ThirdPartyRequest returns the request a third party signs a block for.
func ThirdPartyRequest(in *TokenIn) (BytesOut, *Error) {
	u, e := unverified(in.Token)
	if e != nil {
		return BytesOut{}, e
	}
	r, err := u.ThirdPartyRequest()
	if err != nil {
		return BytesOut{}, classify(err, InvalidTok)
	}
	return BytesOut{r.Serialize()}, nil
}

// ThirdPartySignIn signs a block for a third-party request.
type ThirdPartySignIn struct {
	Request    []byte           `json:"request"`
	Block      string           `json:"block"`
	Params     map[string]Param `json:"params,omitempty"`
	PrivateKey string           `json:"private_key"`
	Filename   string           `json:"filename,omitempty"`
}

// ThirdPartySign signs the block with the third party's key.
func ThirdPartySign(in *ThirdPartySignIn) (BytesOut, *Error) {
	k, e := privateKey(in.PrivateKey)
	if e != nil {
		return BytesOut{}, e
	}
	r, err := token.ParseThirdPartyRequest(in.Request)
	if err != nil {
		return BytesOut{}, classify(err, InvalidTok)
	}
	p, err := datalog.ParseBlock(in.Block, &datalog.ParseOptions{Filename: in.Filename, Params: params(in.Params)})
	if err != nil {
		return BytesOut{}, classify(err, Parse)
	}
	b, err := r.Sign(k, p)
	if err != nil {
		return BytesOut{}, classify(err, InvalidTok)
	}
	return BytesOut{b.Serialize()}, nil
}

// ThirdPartyAppendIn appends a signed third-party block to a token.
type ThirdPartyAppendIn struct {
	Token string `json:"token"`
	Block []byte `json:"block"`
}

// ThirdPartyAppend appends the signed block.
func ThirdPartyAppend(in *ThirdPartyAppendIn) (TokenOut, *Error) {
	u, e := unverified(in.Token)
	if e != nil {
		return TokenOut{}, e
	}
	b, err := token.ParseThirdPartyBlock(in.Block)
	if err != nil {
		return TokenOut{}, classify(err, InvalidTok)
	}
	n, err := u.AppendThirdParty(b, nil)
	if err != nil {
		return TokenOut{}, classify(err, InvalidTok)
	}
	return tokenOut(n.Serialize()), nil
}

// --- reading tokens

// InspectIn is a token and, optionally, the root key to verify it with.
type InspectIn struct {
	Token   string `json:"token"`
	RootKey string `json:"root_key,omitempty"`
}

// InspectOut describes a token's blocks.
type InspectOut struct {
	Verified      bool       `json:"verified"`
	Sealed        bool       `json:"sealed"`
	RootKeyID     *uint32    `json:"root_key_id,omitempty"`
	Blocks        []BlockOut `json:"blocks"`
	RevocationIDs []string   `json:"revocation_ids"`
	// Chain is the delegation chain, only of a verified token: who
	// delegated to whom cannot be told from unverified signatures.
	Chain []sdk.Hop `json:"chain,omitempty"`
}

// BlockOut is one block.
type BlockOut struct {
	Index        int    `json:"index"`
	Source       string `json:"source"`
	Version      uint32 `json:"version"`
	Context      string `json:"context,omitempty"`
	Signer       string `json:"signer"`
	ExternalKey  string `json:"external_key,omitempty"`
	RevocationID string `json:"revocation_id"`
}

// Inspect decodes a token, verified when a root key is given.
func Inspect(in *InspectIn) (InspectOut, *Error) {
	var blocks []*token.Block
	var out InspectOut
	if in.RootKey != "" {
		k, e := publicKey(in.RootKey)
		if e != nil {
			return out, e
		}
		t, err := token.ParseText(in.Token, k, nil)
		if err != nil {
			return out, classify(err, InvalidTok)
		}
		blocks, out.Verified, out.Sealed = t.Blocks(), true, t.Sealed()
		if id, ok := t.RootKeyID(); ok {
			out.RootKeyID = &id
		}
		if out.Chain, err = sdk.Chain(t); err != nil {
			return out, classify(err, InvalidTok)
		}
	} else {
		u, e := unverified(in.Token)
		if e != nil {
			return out, e
		}
		bs, err := u.UntrustedBlocks()
		if err != nil {
			return out, classify(err, InvalidTok)
		}
		blocks, out.Sealed = bs, u.Sealed()
	}
	out.Blocks, out.RevocationIDs = []BlockOut{}, []string{}
	for _, b := range blocks {
		bo := BlockOut{Index: b.Index, Source: b.Program.String(), Version: b.Version, Context: b.Context,
			Signer: b.SignedBy(), RevocationID: hex.EncodeToString(b.RevocationID)}
		if b.ExternalKey != nil {
			bo.ExternalKey = b.ExternalKey.String()
		}
		out.Blocks = append(out.Blocks, bo)
		out.RevocationIDs = append(out.RevocationIDs, bo.RevocationID)
	}
	return out, nil
}

// AuthorizeIn authorizes a token against a policy, as `codios authorize`.
type AuthorizeIn struct {
	Token      string           `json:"token"`
	RootKey    string           `json:"root_key"`
	Policy     string           `json:"policy"`
	PolicyFile string           `json:"policy_file,omitempty"`
	Params     map[string]Param `json:"params,omitempty"`
	Facts      []string         `json:"facts,omitempty"`
	Time       string           `json:"time,omitempty"` // RFC 3339; "" means now
	Explain    bool             `json:"explain,omitempty"`
}

// AuthorizeOut is the decision JSON of `codios authorize --json`.
type AuthorizeOut struct {
	*decisionjson.Decision
	World []FactGroup `json:"world,omitempty"`
}

// FactGroup is the world's facts of one origin, when explained.
type FactGroup struct {
	Origin []string `json:"origin"`
	Facts  []string `json:"facts"`
}

// Authorize verifies the token and decides. A denial is a result, not an
// error.
func Authorize(in *AuthorizeIn) (*AuthorizeOut, *Error) {
	k, e := publicKey(in.RootKey)
	if e != nil {
		return nil, e
	}
	req := &token.Request{Time: time.Now(), Explain: in.Explain}
	if in.Time != "" {
		t, err := time.Parse(time.RFC3339, in.Time)
		if err != nil {
			return nil, errorf(BadArgument, "hostapi: time: %v", err)
		}
		req.Time = t
	}
	for _, src := range in.Facts {
		f, err := datalog.ParseFact(src, &datalog.ParseOptions{Filename: "fact"})
		if err != nil {
			return nil, classify(err, Parse)
		}
		req.Facts = append(req.Facts, f)
	}
	policy, err := datalog.ParseAuthorizer(in.Policy, &datalog.ParseOptions{Filename: in.PolicyFile, Params: params(in.Params)})
	if err != nil {
		return nil, classify(err, Parse)
	}
	t, err := token.ParseText(in.Token, k, nil)
	if err != nil {
		return nil, classify(err, InvalidTok)
	}
	a, err := token.NewAuthorizer(policy, nil)
	if err != nil {
		return nil, classify(err, Parse)
	}
	d, err := a.Authorize(context.Background(), t, req)
	if err != nil {
		return nil, classify(err, Limit)
	}
	out := &AuthorizeOut{Decision: decisionjson.New(d, t)}
	if out.Policy != nil && out.Policy.Line > 0 {
		out.Policy.File = in.PolicyFile
	}
	for i := range out.FailedChecks {
		if c := &out.FailedChecks[i]; c.Block == int(datalog.AuthorizerBlock) && c.Line > 0 {
			c.File = in.PolicyFile
		}
	}
	if in.Explain {
		for _, g := range d.Facts {
			fg := FactGroup{Origin: []string{}, Facts: []string{}}
			for _, o := range g.Origin {
				fg.Origin = append(fg.Origin, o.String())
			}
			for _, f := range g.Facts {
				fg.Facts = append(fg.Facts, f.String())
			}
			out.World = append(out.World, fg)
		}
		for i, fc := range d.FailedChecks {
			out.FailedChecks[i].Missing = explain.Missing(fc.Check, d.Facts)
		}
	}
	return out, nil
}
