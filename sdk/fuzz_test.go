package sdk

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/codios/codios/token"
)

// FuzzParseRevocationList: any file either parses or is refused with an
// error; a parsed list holds only ids its lines spell.
func FuzzParseRevocationList(f *testing.F) {
	f.Add([]byte("# revoked\n0a0b\n\nffee\n"))
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

// FuzzMiddlewareHeader sends Authorization headers made of a scheme, the
// genuine token with one byte changed (or none), and a tail: the
// middleware never panics, and only the genuine token is let through.
// The inputs stay small, so that minimizing a new one is quick.
func FuzzMiddlewareHeader(f *testing.F) {
	fx := newFixture(f, Config{})
	good := mustToken(f, fx.summarizer)
	goodRaw, _ := token.DecodeText(good, nil)
	f.Add("Bearer ", 0, byte(0), "")
	f.Add("Bearer ", 40, byte(1), "")
	f.Add("bearer  ", 0, byte(0), " ")
	f.Add("Bearer", -1, byte(0), "")
	f.Add("Basic ", 3, byte(0xff), "x")
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
		case 200, 429: // the genuine token, within or over its budget
			s, ok := strings.CutPrefix(strings.ToLower(scheme), "bearer ")
			// Base64 decoding ignores the unused bits of the last
			// character: the same bytes can be spelled more than one way.
			raw, err := token.DecodeText(string(tok), nil)
			if !ok || strings.TrimSpace(s) != "" || err != nil || !bytes.Equal(raw, goodRaw) || strings.TrimSpace(tail) != "" {
				t.Fatalf("header %q let through with %d", header, w.Code)
			}
		case 401, 403:
		default:
			t.Fatalf("header %q: status %d", header, w.Code)
		}
	})
}
