package interop

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	biscuit "github.com/biscuit-auth/biscuit-go/v2"
	bgdatalog "github.com/biscuit-auth/biscuit-go/v2/datalog"
	"github.com/biscuit-auth/biscuit-go/v2/parser"
)

// biscuit-go's side: minting, verifying and authorizing with biscuit-go
// v2.2.0 alone.

var (
	goRoot    = ed25519.NewKeyFromSeed(rootSeed)
	goRootPub = goRoot.Public().(ed25519.PublicKey)
)

// goMint mints a token with biscuit-go from blocks in its syntax.
func goMint(blocks []string, sealed bool) ([]byte, error) {
	var tok *biscuit.Biscuit
	for i, src := range blocks {
		blk, err := parser.FromStringBlock(src)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", i, err)
		}
		if i == 0 {
			b := biscuit.NewBuilder(goRoot)
			if err := b.AddBlock(blk); err != nil {
				return nil, err
			}
			tok, err = b.Build()
		} else {
			bb := tok.CreateBlock()
			if err := bb.AddBlock(blk); err != nil {
				return nil, err
			}
			tok, err = tok.Append(nil, bb.Build())
		}
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", i, err)
		}
	}
	if sealed {
		var err error
		if tok, err = tok.Seal(nil); err != nil {
			return nil, err
		}
	}
	return tok.Serialize()
}

// goCheckFailed starts the error biscuit-go's Authorize returns when a
// check fails. It wraps no sentinel, so that only its text tells it from
// the other errors that start "biscuit: verification failed:" (a fact or
// rule it cannot convert).
const goCheckFailed = "biscuit: verification failed: failed to verify "

// goDecide verifies and authorizes a token with biscuit-go, and returns
// the kind of its decision. The time limit of evaluation is raised from
// biscuit-go's 2ms, which a loaded machine can exceed.
func goDecide(data []byte, authorizer string) (kind string, err error) {
	// biscuit-go panics on some input; one case must not end the others.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("biscuit-go panicked: %v", p)
		}
	}()
	tok, err := biscuit.Unmarshal(data)
	if err != nil {
		return "", err
	}
	a, err := tok.Authorizer(goRootPub, biscuit.WithWorldOptions(bgdatalog.WithMaxDuration(10*time.Second)))
	if err != nil {
		return "", err
	}
	p, err := goParseAuthorizer(authorizer)
	if err != nil {
		return "", fmt.Errorf("authorizer: %w", err)
	}
	a.AddAuthorizer(p)
	err = a.Authorize()
	switch {
	case err == nil:
		return allow, nil
	case errors.Is(err, biscuit.ErrPolicyDenied):
		return deny, nil
	case errors.Is(err, biscuit.ErrNoMatchingPolicy):
		return noMatch, nil
	case strings.HasPrefix(err.Error(), goCheckFailed):
		return checkFailed, nil
	}
	return "", err
}

// goParseAuthorizer parses an authorizer. biscuit-go v2.2.0's parser
// panics on every deny policy: (*Policy).ToBiscuit, parser/grammar.go:671,
// reads the queries of p.Allow, nil for a deny policy. So each policy is
// parsed alone, a deny policy as an allow policy whose kind is then
// changed. The statements are split at ';', which no case has inside a
// string.
func goParseAuthorizer(src string) (biscuit.ParsedAuthorizer, error) {
	var a biscuit.ParsedAuthorizer
	var rest []string
	for _, stmt := range strings.Split(src, ";") {
		stmt = strings.TrimSpace(stmt)
		deny := strings.HasPrefix(stmt, "deny if ")
		if !deny && !strings.HasPrefix(stmt, "allow if ") {
			rest = append(rest, stmt)
			continue
		}
		if deny {
			stmt = "allow if " + strings.TrimPrefix(stmt, "deny if ")
		}
		p, err := parser.FromStringPolicy(stmt)
		if err != nil {
			return a, err
		}
		if deny {
			p.Kind = biscuit.PolicyKindDeny
		}
		a.Policies = append(a.Policies, p)
	}
	blk, err := parser.FromStringBlock(strings.Join(rest, ";"))
	if err != nil {
		return a, err
	}
	a.Block = blk
	return a, nil
}

// errInvalidSignature is the error biscuit-go gives a signature that does
// not verify.
var errInvalidSignature = biscuit.ErrInvalidSignature
