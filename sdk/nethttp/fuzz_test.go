package nethttp

import (
	"net/http/httptest"
	"testing"

	"github.com/codios/codios/sdk"
)

// FuzzMiddlewareHeader sends Authorization headers made of a scheme, the
// genuine token with one byte changed (or cut short), and a tail: the
// middleware never panics, and lets through only the genuine token's
// signed blocks. (The same blocks can come in other bytes: base64 ignores
// the unused bits of its last character, and a protobuf field appended
// to the token, such as a root key id, which no signature covers, still
// decodes. A root key id chooses a key from a KeySet; it grants nothing.)
// The inputs stay small, so that minimizing a new one is quick.
func FuzzMiddlewareHeader(f *testing.F) {
	fx := newFixture(f, sdk.Config{})
	good := mustToken(f, fx.summarizer)
	w := fx.send("GET", "/reports/q3/summary.txt", good)
	if w.Code != 200 {
		f.Fatalf("genuine token: %d", w.Code)
	}
	genuine := fx.audit.last(f).Chain
	f.Add("Bearer ", 0, byte(0), "")
	f.Add("Bearer ", 40, byte(1), "")
	f.Add("bearer  ", 0, byte(0), " ")
	f.Add("Bearer", -1, byte(0), "")
	f.Add("Basic ", 3, byte(0xff), "x")
	f.Add("Bearer ", 8, byte(0), "CA0")
	f.Fuzz(func(t *testing.T, scheme string, at int, flip byte, tail string) {
		tok := []byte(good)
		if at >= 0 {
			tok[at%len(tok)] ^= flip
		} else {
			tok = tok[:-at%len(tok)]
		}
		header := scheme + string(tok) + tail
		r := httptest.NewRequest("GET", "/reports/q3/summary.txt", nil)
		r.Header.Set("Authorization", header)
		w := httptest.NewRecorder()
		fx.mw.Wrap(okHandler).ServeHTTP(w, r)
		switch w.Code {
		case 200, 429: // the genuine blocks, within or over their budget
			chain := fx.audit.last(t).Chain
			if len(chain) != len(genuine) {
				t.Fatalf("header %q let through with %d: chain %v", header, w.Code, chain)
			}
			for i := range chain {
				if chain[i] != genuine[i] {
					t.Fatalf("header %q let through with %d: hop %d is %+v", header, w.Code, i, chain[i])
				}
			}
		case 401, 403:
		default:
			t.Fatalf("header %q: status %d", header, w.Code)
		}
	})
}
