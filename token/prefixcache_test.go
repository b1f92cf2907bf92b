package token

import (
	"context"
	"testing"

	"github.com/codios/codios/datalog"
)

// TestPrefixCacheSharesTheFleetsPrefix: the tokens of a fleet share the
// decoded blocks of their common prefix, from the second token on, which
// keeps them; each later one decodes only its own last block, and all
// decide as tokens decoded from scratch do.
func TestPrefixCacheSharesTheFleetsPrefix(t *testing.T) {
	useSignatureCache(t, newSignatureCache(1<<10))
	root := mustKey(t, Ed25519)
	fleet := standardFleet(t, root, 4)
	var keeper *Token
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
		switch i {
		case 0:
			continue
		case 1:
			// The prefix decoded a second time: now kept.
			keeper = tok
			continue
		}
		for j := range 3 {
			if tok.Blocks()[j] != keeper.Blocks()[j] {
				t.Errorf("token %d: block %d decoded again, not shared", i, j)
			}
		}
		if tok.Blocks()[3] == keeper.Blocks()[3] {
			t.Errorf("token %d: its own last block is token 1's", i)
		}
	}
}

// TestPrefixCacheTablesStayShared: a token found whole in the cache
// shares the cache's symbol and key tables; attenuating it, with symbols
// new to them, leaves the cache's tables as they were, so that the next
// token found there decodes and extends with the right symbols.
func TestPrefixCacheTablesStayShared(t *testing.T) {
	c := newSignatureCache(1 << 10)
	useSignatureCache(t, c)
	root := mustKey(t, Ed25519)
	data := standardToken(t, root).Serialize()
	var tok *Token
	for range 3 { // seen, kept, found
		var err error
		if tok, err = Parse(data, root.Public(), nil); err != nil {
			t.Fatal(err)
		}
	}
	u, err := ParseUnverified(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, whole := digestPrefixes(u.blocks, u.limits.Datalog.MaxDepth)
	kept := c.prefixes.get(whole)
	if kept == nil || kept.syms != tok.syms {
		t.Fatal("the token found whole does not share the cache's tables")
	}
	symbols := kept.syms.Len()
	more, err := tok.Append(mustBlock(t, `check if zebra("okapi"), quokka($q);`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if kept.syms.Len() != symbols {
		t.Fatalf("attenuating added %d symbols to the cache's table", kept.syms.Len()-symbols)
	}
	again, err := Parse(more.Serialize(), root.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Blocks()[4].Program.String(); got != "check if zebra(\"okapi\"), quokka($q);\n" {
		t.Errorf("the appended block reads %q", got)
	}
}

// TestPrefixCacheSeenOnce: a token decoded once, and its prefix, are not
// kept: most tokens a service sees once.
func TestPrefixCacheSeenOnce(t *testing.T) {
	c := newSignatureCache(1 << 10)
	useSignatureCache(t, c)
	root := mustKey(t, Ed25519)
	for range 5 {
		if _, err := Parse(standardToken(t, root).Serialize(), root.Public(), nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.prefixes.bytesUsed(); n != 0 {
		t.Errorf("%d bytes kept of tokens seen once", n)
	}
}

// TestPrefixCacheOnlyVerified: decoding without verification (to attenuate
// or show an unverified token) remembers nothing, nor does a token that
// fails verification; and a token decoded under a lower nesting limit does
// not find blocks decoded under a higher one.
func TestPrefixCacheOnlyVerified(t *testing.T) {
	c := newSignatureCache(1 << 10)
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
	for range 2 {
		if _, err := Parse(tok.Serialize(), root.Public(), nil); err != nil {
			t.Fatal(err)
		}
	}
	if c.prefixes.bytesUsed() == 0 {
		t.Fatal("a verified token, seen twice, left nothing cached")
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
	c := newSignatureCache(512) // 128 KiB of decoded blocks: some ten tokens
	useSignatureCache(t, c)
	root := mustKey(t, Ed25519)
	for range 20 {
		data := standardToken(t, root).Serialize()
		for range 2 {
			if _, err := Parse(data, root.Public(), nil); err != nil {
				t.Fatal(err)
			}
		}
		if used, limit := c.prefixes.bytesUsed(), c.prefixes.maxBytes; used > limit {
			t.Fatalf("%d bytes cached, over the bound of %d", used, limit)
		}
	}
	if c.prefixes.bytesUsed() == 0 {
		t.Fatal("nothing cached")
	}
	small := newSignatureCache(1)
	useSignatureCache(t, small)
	data := standardToken(t, root).Serialize()
	for range 2 {
		if _, err := Parse(data, root.Public(), nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := small.prefixes.bytesUsed(); n != 0 {
		t.Errorf("a token larger than an eighth of the cache was cached (%d bytes)", n)
	}
}

// TestPrefixCacheConcurrent parses a fleet from several goroutines at once
// (under -race in scripts/test): every token decides alike.
func TestPrefixCacheConcurrent(t *testing.T) {
	useSignatureCache(t, newSignatureCache(1<<10))
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
