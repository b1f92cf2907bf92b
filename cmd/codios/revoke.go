package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/codios/codios/sdk"
)

// runRevoke prints the revocation id of one block of a token, the line a
// revocation list (sdk.OpenRevocationFile) holds to revoke that block and
// every token derived from it, and with --list adds it to a list.
func runRevoke(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("revoke")
	tok := holderFlags(fs)
	block := fs.Int("block", 0, "print the revocation id of block `N`: 0 is the authority block")
	list := fs.String("list", "", "add the id to the revocation list `FILE`, replacing it atomically")
	if _, code, done := parseFlags(fs, args, 0, stdout, stderr); done {
		return code
	}
	if !fs.Changed("block") {
		return usageError(stderr, fs, "--block is required")
	}
	if *block < 0 {
		return usageError(stderr, fs, fmt.Sprintf("--block %d: want a block index, 0 for the authority block", *block))
	}
	u, err := tok.loadUnverified()
	if err != nil {
		var m errMissing
		if errors.As(err, &m) {
			return usageError(stderr, fs, m.Error())
		}
		return fail(stderr, "revoke", err)
	}
	// The blocks are decoded without a signature check unless --root-key
	// was given (loadUnverified verified them then): a revocation id is
	// the block's signature, so a forged one only revokes nothing.
	blocks, err := u.UntrustedBlocks()
	if err != nil {
		return fail(stderr, "revoke", fmt.Errorf("%s: %w", *tok.file, err))
	}
	if *block >= len(blocks) {
		return fail(stderr, "revoke", fmt.Errorf("--block %d: %s has %s, 0 to %d", *block, *tok.file, plural(len(blocks), "block"), len(blocks)-1))
	}
	id := blocks[*block].RevocationID
	if *list != "" {
		if err := sdk.AddRevocations(*list, id); err != nil {
			return fail(stderr, "revoke", err)
		}
	}
	fmt.Fprintln(stdout, hex.EncodeToString(id))
	return exitOK
}

// plural is "1 block", "2 blocks".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
