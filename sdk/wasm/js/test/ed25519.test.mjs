// The host's Ed25519 (node:crypto) gives exactly the verdicts of the module's
// own on the edge cases: the 12 vectors of "Taming the many EdDSAs"
// (token/testdata/ed25519_speccheck.json) and, around each, S + L, every
// small-order R and key, and R and key with y + p.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { generateKeyPairSync, sign } from "node:crypto";
import { loadEngine } from "./common.mjs";

const hex = (s) => Uint8Array.from(Buffer.from(s, "hex"));
const spec = JSON.parse(readFileSync(new URL("../../../../token/testdata/ed25519_speccheck.json", import.meta.url), "utf8"));

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;
const le = (b) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
const toLE = (n) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));

// The encodings of the points of small order (y; sign of x apart) and the
// non-canonical p and p + 1 (y = 0, 1).
const smallOrderY = [0n, 1n, P - 1n, P, P + 1n,
  le(hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")),
  le(hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"))];

function cases() {
  const out = spec.vectors.map((v) => ({ name: `speccheck ${v.case}`, pub: hex(v.pub_key), msg: hex(v.message), sig: hex(v.signature), valid: v.valid }));
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const msg = new TextEncoder().encode("an honest payload");
  const pub = Buffer.from(publicKey.export({ format: "jwk" }).x, "base64url");
  out.push({ name: "good", pub: Uint8Array.from(pub), msg, sig: Uint8Array.from(sign(null, msg, privateKey)), valid: true });
  const bases = [...out];
  for (const b of bases) {
    const s = le(b.sig.subarray(32));
    if (s + L < 2n ** 256n) out.push({ ...b, name: `${b.name}, S + L`, sig: Uint8Array.from([...b.sig.subarray(0, 32), ...toLE(s + L)]), valid: undefined });
    for (const y of smallOrderY) {
      for (const sign of [0n, 1n << 255n]) {
        const enc = toLE(y | sign);
        out.push({ ...b, name: `${b.name}, R small order`, sig: Uint8Array.from([...enc, ...b.sig.subarray(32)]), valid: undefined });
        out.push({ ...b, name: `${b.name}, A small order`, pub: enc, valid: undefined });
      }
    }
    for (const [field, get] of [["R", (c) => c.sig.subarray(0, 32)], ["A", (c) => c.pub]]) {
      const enc = get(b);
      const y = le(enc) & ((1n << 255n) - 1n);
      if (y + P < 2n ** 255n) {
        const nc = toLE((y + P) | (le(enc) & (1n << 255n)));
        const c = field === "R" ? { ...b, sig: Uint8Array.from([...nc, ...b.sig.subarray(32)]) } : { ...b, pub: nc };
        out.push({ ...c, name: `${b.name}, ${field} + p`, valid: undefined });
      }
    }
  }
  return out;
}

test("node:crypto and the module's own Ed25519 give the same verdicts", async () => {
  const engine = await loadEngine({ hostEd25519: false });
  const { nodeEd25519 } = await import("../codios.mjs");
  const host = await nodeEd25519();
  let asked = 0;
  const counted = { verify: (buf) => { asked++; return host.verify(buf); }, publicKey: host.publicKey };
  const all = cases();
  assert.ok(all.length > 200, `${all.length} cases`);
  let valid = 0;
  for (const c of all) {
    engine.setEd25519Host(null);
    const alone = engine.verifyEd25519(c.pub, c.msg, c.sig);
    engine.setEd25519Host(counted);
    const hosted = engine.verifyEd25519(c.pub, c.msg, c.sig);
    assert.equal(hosted, alone, `${c.name}: host path ${hosted}, Go path ${alone}`);
    if (c.valid !== undefined) assert.equal(alone, c.valid, `${c.name}: the vector's verdict`);
    if (alone) valid++;
  }
  assert.ok(asked > 0, "the host verifier was never asked");
  assert.ok(valid >= 2 && valid < all.length / 2, `${valid} valid of ${all.length}`);
});

test("a host that throws changes no verdict", async () => {
  const engine = await loadEngine({ hostEd25519: false });
  const all = cases();
  const want = all.map((c) => engine.verifyEd25519(c.pub, c.msg, c.sig));
  engine.setEd25519Host({ verify: () => { throw new Error("host down"); }, publicKey: () => { throw new Error("host down"); } });
  all.forEach((c, i) => assert.equal(engine.verifyEd25519(c.pub, c.msg, c.sig), want[i], c.name));
});
