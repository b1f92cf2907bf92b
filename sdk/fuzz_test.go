package sdk

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseRevocationList: any file either parses or is refused with an
// error; a parsed list holds only ids its lines spell.
func FuzzParseRevocationList(f *testing.F) {
	f.Add([]byte("# revoked\n0a0b\n\nffee\n# end 2\n"))
	f.Add([]byte("0a0b\n# end 1\n"))
	f.Add([]byte("zz\n"))
	f.Add([]byte(strings.Repeat("ab", 200)))
	f.Fuzz(func(t *testing.T, data []byte) {
		ids, err := ParseRevocationList(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(ids) > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("%d ids from %d lines", len(ids), bytes.Count(data, []byte("\n"))+1)
		}
	})
}
