package hostapi

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/codios/codios/sdk"
)

func call(t *testing.T, op string, in any) map[string]any {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, e := Call(op, b)
	if e != nil {
		t.Fatalf("%s: %d %s", op, e.Code, e.Message)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%s: %v in %s", op, err, out)
	}
	return m
}

func fail(t *testing.T, op, in string, want Code, msg string) {
	t.Helper()
	out, e := Call(op, []byte(in))
	if e == nil {
		t.Fatalf("%s(%s) = %s, want error %d", op, in, out, want)
	}
	if e.Code != want || !strings.Contains(e.Message, msg) {
		t.Fatalf("%s(%s) = %d %q, want %d containing %q", op, in, e.Code, e.Message, want, msg)
	}
}

// std reads a file of the standard request (a copy of
// /work/shared/bench/standard, shared with the C ABI's tests).
func std(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "cabi", "testdata", "standard", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// standard mints the standard request's 4-block token.
func standard(t *testing.T) (tok, root string) {
	k := call(t, "key_generate", map[string]any{})
	tok = call(t, "mint", map[string]any{"authority": std(t, "authority.datalog"), "private_key": k["private"]})["token"].(string)
	for _, h := range []string{"hop1.datalog", "hop2.datalog", "hop3.datalog"} {
		tok = call(t, "attenuate", map[string]any{"token": tok, "block": std(t, h)})["token"].(string)
	}
	return tok, k["public"].(string)
}

func TestVersion(t *testing.T) {
	v := call(t, "abi_version", map[string]any{})
	if v["major"] != float64(VersionMajor) || v["minor"] != float64(VersionMinor) {
		t.Fatal(v)
	}
}

func TestKeys(t *testing.T) {
	k := call(t, "key_generate", map[string]any{"algorithm": "ed25519"})
	priv, pub := k["private"].(string), k["public"].(string)
	if !strings.HasPrefix(priv, "ed25519-private/") || !strings.HasPrefix(pub, "ed25519/") {
		t.Fatal(k)
	}
	if p := call(t, "key_public", map[string]any{"key": priv}); p["public"] != pub {
		t.Fatal(p)
	}
	if p := call(t, "key_parse", map[string]any{"key": pub}); p["public"] != pub || p["private"] != nil {
		t.Fatal(p)
	}
	if p := call(t, "key_parse", map[string]any{"key": priv}); p["private"] != priv {
		t.Fatal(p)
	}
	if k := call(t, "key_generate", map[string]any{"algorithm": "secp256r1"}); !strings.HasPrefix(k["public"].(string), "secp256r1/") {
		t.Fatal(k)
	}
	fail(t, "key_parse", `{"key":"ed25519/zz"}`, InvalidKey, "")
	fail(t, "key_public", `{"key":"ed25519/`+strings.Repeat("00", 32)+`"}`, InvalidKey, "")
	fail(t, "key_generate", `{"algorithm":"rsa"}`, BadArgument, "rsa")
}

func TestMintAuthorize(t *testing.T) {
	tok, root := standard(t)
	in := map[string]any{"token": tok, "root_key": root, "policy": std(t, "authorizer.datalog"),
		"policy_file": "authorizer.datalog", "time": "2026-12-04T10:00:00Z"}
	d := call(t, "authorize", in)
	if d["allowed"] != true {
		t.Fatalf("standard request denied: %v", d)
	}
	in["time"] = "2029-07-01T00:00:00Z" // hop2's expiry
	in["explain"] = true
	d = call(t, "authorize", in)
	if d["allowed"] != false || d["world"] == nil {
		t.Fatalf("expired: %v", d)
	}
	// A parameter and a request fact.
	k := call(t, "key_generate", map[string]any{})
	tok2 := call(t, "mint", map[string]any{"authority": "right({r}, {n}, {ok});", "private_key": k["private"],
		"params": map[string]any{"r": "/x", "n": 3, "ok": true}, "root_key_id": 7})["token"].(string)
	d = call(t, "authorize", map[string]any{"token": tok2, "root_key": k["public"], "facts": []string{`resource("/x")`},
		"policy": "allow if right($r, {n}, true), resource($r);", "params": map[string]any{"n": 3}})
	if d["allowed"] != true {
		t.Fatalf("with params: %v", d)
	}
	fail(t, "authorize", `{"token":"`+tok2+`","root_key":"`+root+`","policy":"allow if true;"}`, InvalidTok, "")
	fail(t, "mint", `{"authority":"user(\"a\");\nright(","private_key":"`+k["private"].(string)+`","filename":"a.datalog"}`, Parse, "a.datalog:2:")
	fail(t, "mint", `{"authority":"user(\"a\");","private_key":"nope"}`, InvalidKey, "")
	fail(t, "mint", `{"authority":"user({u});","private_key":"`+k["private"].(string)+`","params":{"u":{"date":"x"}}}`, BadArgument, "date")
	fail(t, "authorize", `{"token":"!!!","root_key":"`+root+`","policy":"allow if true;"}`, InvalidTok, "")
}

func TestInspectSealThirdParty(t *testing.T) {
	tok, root := standard(t)
	i := call(t, "inspect", map[string]any{"token": tok, "root_key": root})
	blocks := i["blocks"].([]any)
	if i["verified"] != true || len(blocks) != 4 || len(i["revocation_ids"].([]any)) != 4 {
		t.Fatal(i)
	}
	if b := blocks[1].(map[string]any); b["signer"] != "holder of block 0" || !strings.Contains(b["source"].(string), "starts_with") {
		t.Fatal(b)
	}
	if chain := i["chain"].([]any); len(chain) != 4 || chain[2].(map[string]any)["revocation_id"] != i["revocation_ids"].([]any)[2] {
		t.Fatalf("chain: %v", chain)
	}
	if u := call(t, "inspect", map[string]any{"token": tok}); u["verified"] != false || u["chain"] != nil {
		t.Fatalf("an unverified token has no chain: %v", u)
	}
	s := call(t, "seal", map[string]any{"token": tok})["token"].(string)
	fail(t, "attenuate", `{"token":"`+s+`","block":"check if true;"}`, InvalidTok, "sealed")

	tp := call(t, "key_generate", map[string]any{})
	req := call(t, "thirdparty_request", map[string]any{"token": tok})["bytes"]
	blk := call(t, "thirdparty_sign", map[string]any{"request": req, "block": `approved("/tmp/file1");`, "private_key": tp["private"]})["bytes"]
	tok3 := call(t, "thirdparty_append", map[string]any{"token": tok, "block": blk})["token"].(string)
	d := call(t, "authorize", map[string]any{"token": tok3, "root_key": root, "time": "2026-12-04T10:00:00Z",
		"policy": std(t, "authorizer.datalog") + "\ncheck if approved($r) trusting {k};", "params": map[string]any{"k": map[string]any{"key": tp["public"]}}})
	if d["allowed"] != true {
		t.Fatalf("third party: %v", d)
	}
	i = call(t, "inspect", map[string]any{"token": tok3, "root_key": root})
	if b := i["blocks"].([]any)[4].(map[string]any); b["external_key"] != tp["public"] {
		t.Fatal(b)
	}
	if hop := i["chain"].([]any)[4].(map[string]any); hop["signer"] != tp["public"] || hop["agent"] != nil {
		t.Fatalf("a third party no earlier block names is a signer, not an agent: %v", hop)
	}
}

// guardPolicy is the standard authorizer without its own resource and
// operation facts: the guard gives them from the request.
const guardPolicy = "allow if right($r, $op), resource($r), operation($op);"

func guardConfig(t *testing.T, root string, audit map[string]any) map[string]any {
	return map[string]any{"service": "files", "root_keys": []any{map[string]any{"key": root}},
		"policy": guardPolicy, "policy_file": "policy.datalog", "audit": audit}
}

func TestGuard(t *testing.T) {
	tok, root := standard(t)
	logPath := filepath.Join(t.TempDir(), "audit.log")
	h := call(t, "guard_new", guardConfig(t, root, map[string]any{"file": logPath}))["handle"].(float64)
	req := `{"authorization":["Bearer ` + tok + `"],"request_id":"r1","method":"GET","path":"/tmp/file1","host":"files.local","time":"2026-12-04T10:00:00Z"}`
	out, e := GuardCheck(uint64(h), []byte(req))
	if e != nil {
		t.Fatal(e)
	}
	if !strings.HasPrefix(string(out), `{"outcome":"allow","status":200,"headers":[["X-Request-Id","r1"]],"body":null,"audit":{`) ||
		!strings.Contains(string(out), `"chain":[{"block":0`) {
		t.Fatalf("allow: %s", out)
	}
	// A write: hop1 refuses it.
	out, e = Call("guard_check", []byte(`{"guard":`+jsonNum(h)+`,"request":`+strings.Replace(req, `"GET"`, `"PUT"`, 1)+`}`))
	if e != nil || !strings.HasPrefix(string(out), `{"outcome":"deny","status":403,`) || !strings.Contains(string(out), `"body":{`) {
		t.Fatalf("deny: %s %v", out, e)
	}
	// No token.
	out, _ = GuardCheck(uint64(h), []byte(`{"method":"GET","path":"/tmp/file1"}`))
	if !strings.HasPrefix(string(out), `{"outcome":"invalid","status":401,`) {
		t.Fatalf("no token: %s", out)
	}
	// Many goroutines at once.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if out, e := GuardCheck(uint64(h), []byte(req)); e != nil || !strings.HasPrefix(string(out), `{"outcome":"allow"`) {
					t.Errorf("concurrent: %s %v", out, e)
					return
				}
			}
		})
	}
	wg.Wait()
	fail(t, "guard_check", `{"guard":`+jsonNum(h)+`,"request":{"method":"GET","path":"/","colour":1}}`, BadArgument, "colour")
	call(t, "release", map[string]any{"handle": h})
	if _, e := GuardCheck(uint64(h), []byte(req)); e == nil || e.Code != NotFound {
		t.Fatalf("released guard: %v", e)
	}
	fail(t, "release", `{"handle":`+jsonNum(h)+`}`, NotFound, "released")
	if b, err := os.ReadFile(logPath); err != nil || strings.Count(string(b), "\n") != 163 {
		t.Fatalf("audit log: %d lines, %v", strings.Count(string(b), "\n"), err)
	}

	fail(t, "guard_new", `{"service":"s","root_keys":[{"key":"`+root+`"}],"policy":"allow if","audit":{"host":true}}`, Parse, "1:9:")
	fail(t, "guard_new", `{"service":"s","root_keys":[{"key":"`+root+`"}],"policy":"allow if true;"}`, BadArgument, "audit")
	fail(t, "guard_new", `{"service":"s","root_keys":[{"key":"x"}],"policy":"allow if true;","audit":{"host":true}}`, InvalidKey, "")
	// A key set with ids, host audit, revoked ids.
	g2 := call(t, "guard_new", map[string]any{"service": "files", "root_keys": []any{map[string]any{"key": root, "id": 1}, map[string]any{"key": root}},
		"policy": std(t, "authorizer.datalog"), "audit": map[string]any{"host": true}, "leeway": "30s", "cache_bytes": 1 << 20,
		"revocations": map[string]any{"ids": []string{call(t, "inspect", map[string]any{"token": tok})["revocation_ids"].([]any)[2].(string)}}})["handle"].(float64)
	defer Release(uint64(g2))
	if out, _ := GuardCheck(uint64(g2), []byte(req)); !strings.HasPrefix(string(out), `{"outcome":"revoked","status":403,`) {
		t.Fatalf("revoked: %s", out)
	}
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }

func TestBadInput(t *testing.T) {
	fail(t, "mint", `{`, BadArgument, "")
	fail(t, "mint", `{"authority":"","private_key":"x","colour":1}`, BadArgument, "colour")
	fail(t, "mint", `{"authority":"a(1);"} {}`, BadArgument, "trailing")
	fail(t, "key_parse", `[]`, BadArgument, "")
	fail(t, "frobnicate", `{}`, NotFound, "frobnicate")
	fail(t, "release", `{"handle":123456789}`, NotFound, "123456789")
	big := `{"key":"` + strings.Repeat("a", MaxInput) + `"}`
	fail(t, "key_parse", big, BadArgument, "over the limit")
	if _, e := GuardCheck(987654321, []byte(`{}`)); e == nil || e.Code != NotFound {
		t.Fatal(e)
	}
}

func TestPanicRecovered(t *testing.T) {
	ops["test_panic"] = func([]byte) ([]byte, *Error) { panic("boom") }
	defer delete(ops, "test_panic")
	out, e := Call("test_panic", nil)
	if out != nil || e == nil || e.Code != Internal || !strings.Contains(e.Message, "boom") {
		t.Fatal(out, e)
	}
}

// TestVerdictEncoding holds the hand-written verdict encoding equal to
// json.Marshal of VerdictOut, for every kind of verdict.
func TestVerdictEncoding(t *testing.T) {
	tok, root := standard(t)
	h := call(t, "guard_new", guardConfig(t, root, map[string]any{"host": true}))["handle"].(float64)
	defer Release(uint64(h))
	v, _ := get(uint64(h))
	g := v.(*guard)
	for _, r := range []*sdk.GuardRequest{
		{Authorization: []string{"Bearer " + tok}, RequestID: "r1", Method: "GET", Path: "/tmp/file1"},
		{Authorization: []string{"Bearer " + tok}, RequestID: "<&>", Method: "PUT", Path: "/tmp/file1", Host: "é"},
		{Method: "GET", Path: "/x"},
		{Authorization: []string{"Bearer x", "Bearer y"}, Method: "GET", Path: "/x"},
		{Authorization: []string{"Bearer " + tok}, Method: "GET", Path: "/tmp/file1", MapError: errors.New("no \"map\"\n")},
	} {
		vd := g.g.Check(context.Background(), r)
		rec, err := vd.Record.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		want := VerdictOut{Outcome: vd.Outcome, Status: vd.Status, Headers: [][2]string{}, Body: json.RawMessage("null"), Audit: rec, Chain: []sdk.Hop{}}
		for _, hd := range vd.Headers {
			want.Headers = append(want.Headers, [2]string{hd.Name, hd.Value})
		}
		if len(vd.Body) > 0 {
			want.Body = vd.Body
		}
		chain := []byte("[]")
		if vd.Auth != nil {
			want.Chain = vd.Auth.Chain
			chain, _ = g.chainJSON(vd.Auth)
		}
		wb, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendVerdict(nil, &vd, rec, chain); string(got) != string(wb) {
			t.Errorf("%s:\n got %s\nwant %s", vd.Outcome, got, wb)
		}
	}
}
