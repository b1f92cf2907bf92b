package token

import (
	"context"
	"testing"

	"github.com/codios/codios/datalog"
)

// TestPrefixCacheSharesTheFleetsPrefix: the tokens of a fleet share the
// decoded blocks of their common prefix, decode only their own last
// block, and decide as tokens decoded from scratch do.
func TestPrefixCacheSharesTheFleetsPrefix(t *testing.T) {
	useSignatureCache(t, NewSignatureCache(1<<10))
	root := mustKey(t, Ed25519)
	fleet := standardFleet(t, root, 3)
	var first *Token
	for i, data := range fleet {
		tok, err := Parse(data, root.Public(), nil)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := ParseUnverified(data, nil)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := fresh.decode(nil)
		if err != nil {
			t.Fatal(err)
		}
		for j, b := range tok.Blocks() {
			if got, want := b.Program.String(), plain.blocks[j].Program.String(); got != want {
				t.Fatalf("token %d block %d: cached %q, decoded %q", i, j, got, want)
			}
			if !bytesEqual(b.RevocationID, plain.blocks[j].RevocationID) || !b.NextKey.Equal(plain.blocks[j].NextKey) {
				t.Fatalf("token %d block %d: cached block describes another block", i, j)
			}
		}
		if !authorizeStandard(t, tok).Allowed {
			t.Fatalf("token %d denied", i)
		}
		if i == 0 {
			first = tok
			continue
		}
		for j := range 3 {
			if tok.Blocks()[j] != first.Blocks()[j] {
				t.Errorf("token %d: block %d decoded again, not shared", i, j)
			}
		}
		if tok.Blocks()[3] == first.Blocks()[3] {
			t.Errorf("token %d: its own last block is token 0's", i)
		}
	}
}

// TestPrefixCacheTablesStayShared: attenuating a token whose tables came
// from the cache leaves the cache's tables as they were, so the next token
// with that prefix decodes its blocks with the right symbols.
func TestPrefixCacheTablesStayShared(t *testing.T) {
	useSignatureCache(t, NewSignatureCache(1<<10))
	root := mustKey(t, Ed25519)
	fleet := standardFleet(t, root, 2)
	tok, err := Parse(fleet[0], root.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// New symbols, appended to the tables the cache holds too.
	more, err := tok.Append(mustBlock(t, `check if zebra("okapi"), quokka($q);`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(more.Serialize(), root.Public(), nil); err != nil {
		t.Fatal(err)
	}
	again, err := Parse(fleet[1], root.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := ParseUnverified(fleet[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := u.decode(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := again.Blocks()[3].Program.String(), plain.blocks[3].Program.String(); got != want {
		t.Errorf("after an attenuation: the last block reads %q, want %q", got, want)
	}
}

// TestPrefixCacheOnlyVerified: decoding without verification (to attenuate
// or show an unverified token) remembers nothing, nor does a token that
// fails verification; and a token decoded under a lower nesting limit does
// not find blocks decoded under a higher one.
func TestPrefixCacheOnlyVerified(t *testing.T) {
	c := NewSignatureCache(1 << 10)
	useSignatureCache(t, c)
	root := mustKey(t, Ed25519)
	data := standardToken(t, root).Serialize()
	u, err := ParseUnverified(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.UntrustedBlocks(); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Append(mustBlock(t, `check if operation("read");`), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(data, mustKey(t, Ed25519).Public(), nil); err == nil {
		t.Fatal("verified with another root key")
	}
	if n := c.prefixes.bytesUsed(); n != 0 {
		t.Fatalf("%d bytes cached without a verification", n)
	}

	deep := `check if v($x), $x == [[[[[[[[1]]]]]]]];`
	tok, err := standardToken(t, root).Append(mustBlock(t, deep), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(tok.Serialize(), root.Public(), nil); err != nil {
		t.Fatal(err)
	}
	if c.prefixes.bytesUsed() == 0 {
		t.Fatal("a verified token left nothing cached")
	}
	shallow := &Limits{Datalog: datalog.Limits{MaxDepth: 4}}
	if _, err := Parse(tok.Serialize(), root.Public(), shallow); err == nil {
		t.Error("a block nested deeper than MaxDepth was accepted from the cache")
	}
}

// TestPrefixCacheBounded: the cache's estimated memory stays within its
// bound however many distinct tokens pass, and a token too large for an
// eighth of it is not cached at all.
func TestPrefixCacheBounded(t *testing.T) {
	c := NewSignatureCache(512) // 128 KiB of decoded blocks: some ten tokens
	useSignatureCache(t, c)
	root := mustKey(t, Ed25519)
	for range 20 {
		if _, err := Parse(standardToken(t, root).Serialize(), root.Public(), nil); err != nil {
			t.Fatal(err)
		}
		if used, limit := c.prefixes.bytesUsed(), c.prefixes.maxBytes; used > limit {
			t.Fatalf("%d bytes cached, over the bound of %d", used, limit)
		}
	}
	if c.prefixes.bytesUsed() == 0 {
		t.Fatal("nothing cached")
	}
	small := NewSignatureCache(1)
	useSignatureCache(t, small)
	if _, err := Parse(standardToken(t, root).Serialize(), root.Public(), nil); err != nil {
		t.Fatal(err)
	}
	if n := small.prefixes.bytesUsed(); n != 0 {
		t.Errorf("a token larger than an eighth of the cache was cached (%d bytes)", n)
	}
}

// TestPrefixCacheConcurrent parses a fleet from several goroutines at once
// (under -race in scripts/test): every token decides alike.
func TestPrefixCacheConcurrent(t *testing.T) {
	useSignatureCache(t, NewSignatureCache(1<<10))
	root := mustKey(t, Ed25519)
	fleet := standardFleet(t, root, 8)
	a, err := ParseAuthorizer(standardPolicy, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for _, data := range fleet {
				tok, err := Parse(data, root.Public(), nil)
				if err != nil {
					errs <- err
					return
				}
				d, err := a.Authorize(context.Background(), tok, &Request{Time: requestTime})
				if err != nil || !d.Allowed {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }
