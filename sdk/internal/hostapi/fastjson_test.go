package hostapi

import (
	"reflect"
	"testing"
)

// FuzzDecodeRequest holds the fast request decoder equal to the strict
// one: whatever it accepts, encoding/json decodes to the same request.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { } `, `{"method":"GET","path":"/x"}`,
		`{"authorization":["Bearer abc"],"request_id":"r1","method":"GET","path":"/tmp/file1","host":"h","time":"2026-12-04T10:00:00Z"}`,
		`{"authorization":[],"facts":["tenant(\"acme\")"],"operation":"read","resource":""}`,
		`{"operation":"read","resource":"/r","facts":["a(1)","b(2)"],"map_error":"bad"}`,
		`{"Method":"GET"}`, `{"method":"GET","method":"PUT"}`, `{"method":"G\u0045T"}`, `{"method":"é"}`,
		`{"method":null}`, `{"authorization":null}`, `{"authorization":["a",]}`, `{"method":"GET",}`,
		`{"colour":1}`, `{"method":"GET"} {}`, `{"method":"GET"`, `[]`, ``, `{"path":"a\tb"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var fast GuardRequest
		if !fastRequest(in, &fast) {
			return
		}
		var strict GuardRequest
		if e := decode(in, &strict); e != nil {
			t.Fatalf("fast decoder accepted %q, strict refused: %v", in, e)
		}
		if !reflect.DeepEqual(fast, strict) {
			t.Fatalf("%q:\nfast   %+v\nstrict %+v", in, fast, strict)
		}
	})
}

// TestFastDecoderUsed keeps the hot path on the fast decoder: a plain
// request must not fall back to encoding/json.
func TestFastDecoderUsed(t *testing.T) {
	var r GuardRequest
	if !fastRequest([]byte(`{"authorization":["Bearer abc"],"request_id":"r1","method":"GET","path":"/tmp/file1","time":"2026-12-04T10:00:00Z"}`), &r) || r.Path != "/tmp/file1" {
		t.Fatalf("%+v", r)
	}
	for _, in := range []string{`{"Method":"GET"}`, `{"method":"GET","method":"PUT"}`, `{"method":"G\u0045T"}`, `{"method":"GET"} x`} {
		if fastRequest([]byte(in), &GuardRequest{}) {
			t.Errorf("fast decoder accepted %s", in)
		}
	}
}
