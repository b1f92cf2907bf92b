// The module's operations as JavaScript sees them: the first call after
// loading decides correctly, errors are thrown with the contract's codes,
// and a guard decides the standard request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CodiosError, Code } from "../codios.mjs";
import { loadEngine } from "./common.mjs";

// The standard request (shared/bench/standard), shortened.
const standard = {
  authority: 'user("alice"); right("/tmp/file1", "read"); check if time($t), $t < 2030-01-01T00:00:00Z;',
  hops: ['check if operation("read");', 'check if time($t), $t < 2029-06-01T00:00:00Z;', 'check if resource("/tmp/file1"), operation("read");'],
  policy: 'resource("/tmp/file1"); operation("read"); allow if right($r, $op), resource($r), operation($op);',
};

function mint(engine, root, hops = standard.hops) {
  let t = engine.callJSON("mint", { authority: standard.authority, private_key: root.private }).token;
  for (const block of hops) t = engine.callJSON("attenuate", { token: t, block }).token;
  return t;
}

test("the first call after loading decides correctly", async () => {
  // A fresh module for each: the first authorize is the first call that
  // verifies and evaluates (key_generate and mint do neither).
  for (const hostEd25519 of [true, false]) {
    const engine = await loadEngine({ hostEd25519 });
    const root = engine.callJSON("key_generate", {});
    const tok = mint(engine, root);
    const d = engine.callJSON("authorize", { token: tok, root_key: root.public, policy: standard.policy, time: "2026-12-04T00:00:00Z" });
    assert.equal(d.allowed, true, JSON.stringify(d));
    const other = engine.callJSON("key_generate", {});
    assert.throws(() => engine.callJSON("authorize", { token: tok, root_key: other.public, policy: standard.policy }),
      (e) => e instanceof CodiosError && e.code === Code.invalid_token);
    // A token narrowed past its request is denied, not an error.
    const narrow = engine.callJSON("attenuate", { token: tok, block: 'check if operation("write");' }).token;
    const n = engine.callJSON("authorize", { token: narrow, root_key: root.public, policy: standard.policy, time: "2026-12-04T00:00:00Z" });
    assert.equal(n.allowed, false);
  }
});

test("secp256r1 keys mint, sign and verify inside the module", async () => {
  // P-256 is the engine's own code (token/internal/p256), never the host's.
  const engine = await loadEngine();
  const root = engine.callJSON("key_generate", { algorithm: "secp256r1" });
  assert.ok(root.public.startsWith("secp256r1/"), root.public);
  const tok = mint(engine, root);
  const d = engine.callJSON("authorize", { token: tok, root_key: root.public, policy: standard.policy, time: "2026-12-04T00:00:00Z" });
  assert.equal(d.allowed, true, JSON.stringify(d));
  const other = engine.callJSON("key_generate", { algorithm: "secp256r1" });
  assert.throws(() => engine.callJSON("authorize", { token: tok, root_key: other.public, policy: standard.policy }),
    (e) => e instanceof CodiosError && e.code === Code.invalid_token);
  // A block signed by a secp256r1 third party appends and verifies.
  const third = engine.callJSON("key_generate", { algorithm: "secp256r1" });
  const request = engine.callJSON("thirdparty_request", { token: tok }).bytes;
  const block = engine.callJSON("thirdparty_sign", { request, block: 'check if operation("read");', private_key: third.private }).bytes;
  const appended = engine.callJSON("thirdparty_append", { token: tok, block }).token;
  const info = engine.callJSON("inspect", { token: appended, root_key: root.public });
  assert.equal(info.verified, true);
  assert.equal(info.blocks.at(-1).external_key, third.public);
});

test("errors cross as CodiosErrors with the contract's codes", async () => {
  const engine = await loadEngine();
  const cases = [
    [() => engine.call("mint", new TextEncoder().encode("{not json")), Code.bad_argument],
    [() => engine.callJSON("mint", { authority: "x(", private_key: engine.callJSON("key_generate", {}).private }), Code.parse],
    [() => engine.callJSON("key_parse", { key: "ed25519/zz" }), Code.invalid_key],
    [() => engine.callJSON("release", { handle: 987654 }), Code.not_found],
    [() => engine.call("no_such_op", new Uint8Array()), Code.not_found],
    [() => engine.call("mint", "not bytes"), Code.bad_argument],
    [() => engine.guardCheck(424242, new TextEncoder().encode("{}")), Code.not_found],
    [() => engine.guardCheck(1, "not bytes"), Code.bad_argument],
  ];
  for (const [f, code] of cases) {
    assert.throws(f, (e) => e instanceof CodiosError && e.code === code && e.message.length > 0, `want code ${code}`);
  }
  // The module is still alive after every error.
  assert.ok(engine.callJSON("key_generate", {}).public.startsWith("ed25519/"));
});

test("a guard decides the standard request, and again from its cache", async () => {
  const engine = await loadEngine();
  const root = engine.callJSON("key_generate", {});
  const tok = mint(engine, root);
  const { handle } = engine.callJSON("guard_new", { service: "files", root_keys: [{ key: root.public }], policy: standard.policy, audit: { host: true } });
  const enc = new TextEncoder(), dec = new TextDecoder();
  const req = (auth) => enc.encode(JSON.stringify({ authorization: auth, request_id: "r1", method: "GET", path: "/tmp/file1", host: "files.local", time: "2026-12-04T00:00:00Z" }));
  for (let i = 0; i < 3; i++) {
    const v = JSON.parse(dec.decode(engine.guardCheck(handle, req([`Bearer ${tok}`]))));
    assert.equal(v.outcome, "allow", JSON.stringify(v));
    assert.equal(v.status, 200);
    assert.deepEqual(v.headers[0], ["X-Request-Id", "r1"]);
  }
  const none = JSON.parse(dec.decode(engine.guardCheck(handle, req([]))));
  assert.equal(none.status, 401);
  const bad = JSON.parse(dec.decode(engine.guardCheck(handle, req(["Bearer " + tok.slice(0, -8) + "AAAAAAAA"]))));
  assert.equal(bad.status, 401);
  engine.callJSON("release", { handle });
  assert.throws(() => engine.guardCheck(handle, req([])), (e) => e.code === Code.not_found);
});
