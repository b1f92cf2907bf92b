// The shared corpus (sdk/testdata/corpus) through the WebAssembly build:
// every step's verdict must be the Go engine's recorded bytes, with
// "latency_us" set to 0, both with the host's Ed25519 (node:crypto) and
// with the module's own.
//
// The module has no file system: Go's js/wasm reaches Node's fs only
// through callbacks, which a synchronous call cannot wait for. A case whose
// guard names an audit or revocation file is refused by guard_new with an
// io error, and that is what this test wants of it; the host writes the
// verdict's audit record itself ({"audit": {"host": true}}).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadEngine } from "./common.mjs";
import { Code, CodiosError } from "../codios.mjs";

const corpus = fileURLToPath(new URL("../../../testdata/corpus/", import.meta.url));
const latency = /"latency_us":[0-9.eE+-]+/g;
const enc = new TextEncoder();
const dec = new TextDecoder();

const cases = readdirSync(corpus)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => ({
    ...JSON.parse(readFileSync(corpus + f, "utf8")),
    verdicts: readFileSync(corpus + f.replace(/\.json$/, ".verdicts.jsonl"), "utf8").split("\n").filter((l) => l !== ""),
  }));

for (const hostEd25519 of [true, false]) {
  test(`corpus, ${hostEd25519 ? "node:crypto's" : "the module's"} Ed25519`, async () => {
    assert.ok(cases.length > 0, `no corpus in ${corpus}`);
    const engine = await loadEngine({ hostEd25519 });
    let steps = 0;
    for (const c of cases) {
      assert.equal(c.verdicts.length, c.steps.length, c.name);
      if (c.guard.audit?.file !== undefined || c.guard.revocations?.file !== undefined) {
        assert.throws(() => engine.callJSON("guard_new", c.guard), (e) => e instanceof CodiosError && e.code === Code.io, c.name);
        continue;
      }
      const { handle } = engine.callJSON("guard_new", c.guard);
      try {
        c.steps.forEach((step, i) => {
          const got = dec.decode(engine.guardCheck(handle, enc.encode(JSON.stringify(step.request)))).replace(latency, '"latency_us":0');
          assert.equal(got, c.verdicts[i], `${c.name} step ${i + 1}`);
          const v = JSON.parse(got);
          assert.deepEqual([v.outcome, v.status], [step.expect.outcome, step.expect.status], `${c.name} step ${i + 1}`);
          steps++;
        });
      } finally {
        engine.callJSON("release", { handle });
      }
    }
    assert.ok(steps >= 40, `${steps} steps`);
  });
}
