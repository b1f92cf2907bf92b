package token

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/internal/samples"
)

// seedTokens adds every sample token and a fresh standard token.
func seedTokens(f *testing.F) {
	if s, dir, err := samples.Load(); err == nil {
		for _, tc := range s.TestCases {
			if data, err := os.ReadFile(filepath.Join(dir, tc.Filename)); err == nil {
				f.Add(data)
			}
		}
	}
	root, err := NewPrivateKey(Ed25519, make([]byte, 32))
	if err != nil {
		f.Fatal(err)
	}
	data := standardToken(f, root).Serialize()
	f.Add(data)
}

func typedTokenError(err error) bool {
	for _, e := range []error{ErrFormat, ErrInvalidSignature, ErrInvalidKey, ErrUnknownRootKey, ErrLimit} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// FuzzParse feeds bytes to the whole service path: parse, verify, and
// (when the signatures hold) authorize. A decision or a typed error,
// never a panic.
func FuzzParse(f *testing.F) {
	seedTokens(f)
	root, _ := NewPrivateKey(Ed25519, make([]byte, 32))
	a, err := ParseAuthorizer(standardPolicy, nil, &AuthorizerOptions{Limits: datalog.Limits{MaxSteps: 200_000}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Parse(data, root.Public(), nil)
		if err != nil {
			if !typedTokenError(err) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if _, err := a.Authorize(context.Background(), tok, &Request{Time: requestTime}); err != nil && !isDatalogError(err) {
			t.Fatalf("untyped evaluation error: %v", err)
		}
	})
}

// FuzzDecodeAuthorize skips the signatures, as a root key's holder could
// sign anything: it decodes the blocks of any bytes and authorizes them,
// under tight limits. A decision or a typed error, never a panic or hang.
func FuzzDecodeAuthorize(f *testing.F) {
	seedTokens(f)
	a, err := ParseAuthorizer(`resource("/tmp/file1"); operation("read"); time(2028-01-01T00:00:00Z);
		allow if right($r, $op), resource($r), operation($op); deny if true;`, nil,
		&AuthorizerOptions{Limits: datalog.Limits{MaxSteps: 200_000, MaxFacts: 2000}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := ParseUnverified(data, nil)
		if err != nil {
			if !typedTokenError(err) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		// Random bytes carry no valid signature: decode the blocks
		// unverified and authorize them as a token's.
		c, err := u.decode(nil)
		if err != nil {
			if !typedTokenError(err) {
				t.Fatalf("untyped decoding error: %v", err)
			}
			return
		}
		for _, b := range c.blocks {
			_ = b.Program.String()
		}
		// The first call evaluates from scratch, the next from a
		// frozen world of the blocks and the policy, the third in a
		// world the second gave back: all three must decide alike.
		var first string
		for i := range 3 {
			d, err := a.authorize(context.Background(), c.blocks, contentOf(c.raw), len(data), &Request{Explain: true})
			if err != nil && !isDatalogError(err) {
				t.Fatalf("untyped evaluation error: %v", err)
			}
			got := decisionText(d, err)
			if errors.Is(err, datalog.ErrTimeLimit) || errors.Is(err, datalog.ErrStepLimit) {
				// A wall-clock limit, or a step limit: a world from a
				// snapshot counts only the request's steps.
				return
			}
			if i == 0 {
				first = got
			} else if got != first {
				t.Fatalf("call %d decided otherwise:\n got %s\nwant %s", i+1, got, first)
			}
		}
	})
}

func isDatalogError(err error) bool {
	for _, e := range []error{datalog.ErrLimit, datalog.ErrInvalidType, datalog.ErrOverflow, datalog.ErrDivideByZero,
		datalog.ErrInvalidStack, datalog.ErrShadowedVariable, datalog.ErrUnknownVariable, datalog.ErrUndefinedExtern,
		datalog.ErrExtern, datalog.ErrInvalidBlockRule} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
