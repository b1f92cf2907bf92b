package token

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Describe prints the token for a person: its root key id, whether it is
// sealed, then each block in order with its signer, versions, revocation
// id and Datalog. The chain reads top to bottom as the delegation path.
func (t *Token) Describe() string {
	var b strings.Builder
	if id, ok := t.RootKeyID(); ok {
		fmt.Fprintf(&b, "root key id: %d\n", id)
	}
	if t.Sealed() {
		b.WriteString("sealed: no block can be appended\n")
	} else {
		b.WriteString("open: its holder can append blocks\n")
	}
	for i, blk := range t.blocks {
		kind := "authority"
		switch blk.Signer.Kind {
		case SignedByPrevious:
			kind = "attenuation"
		case SignedByThirdParty:
			kind = "third-party"
		}
		fmt.Fprintf(&b, "\nblock %d (%s), signed by %s\n", i, kind, blk.SignedBy())
		fmt.Fprintf(&b, "  datalog v3.%d, signature v%d\n", blk.Version-3, blk.SignatureVersion)
		if blk.Context != "" {
			fmt.Fprintf(&b, "  context: %q\n", blk.Context)
		}
		fmt.Fprintf(&b, "  revocation id: %s\n", hex.EncodeToString(blk.RevocationID))
		for _, line := range strings.Split(strings.TrimRight(blk.Program.String(), "\n"), "\n") {
			if line != "" {
				b.WriteString("    " + line + "\n")
			}
		}
	}
	return b.String()
}
