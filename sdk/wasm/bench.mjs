// The standard request (shared/bench/standard) through the WebAssembly build, by
// the method of shared/anchors/biscuit-wasm/bench.mjs (median µs, 20 warm-up
// calls), to run by hand beside it:
//
//   sdk/wasm/build.sh && node sdk/wasm/bench.mjs [iterations] [--no-host]
//
// unseen: authorize (policy parsed, token verified and evaluated) on distinct
// 4-block tokens; fleet: distinct tokens sharing a 3-block prefix (its
// signatures already verified); guard: guard_check of one token, repeated;
// load: instantiation to the first call.
import { readFileSync } from "node:fs";
import { load } from "./js/codios.mjs";

const dir = process.env.STANDARD ?? new URL("../../../shared/bench/standard/", import.meta.url).pathname;
const read = (name) => readFileSync(`${dir}/${name}`, "utf8");
const args = process.argv.slice(2);
const iters = Number(args.find((a) => /^\d+$/.test(a)) ?? 300);
const hostEd25519 = !args.includes("--no-host");
const authority = read("authority.datalog");
const hops = ["hop1.datalog", "hop2.datalog", "hop3.datalog"].map(read);
const policy = read("authorizer.datalog");
const time = "2026-12-04T00:00:00Z";

const loads = [];
let engine;
for (let i = 0; i < 5; i++) {
  const s = performance.now();
  engine = await load({ hostEd25519 });
  engine.callJSON("abi_version", {});
  loads.push(performance.now() - s);
}
const root = engine.callJSON("key_generate", {});
const mint = (n) => {
  let t = engine.callJSON("mint", { authority, private_key: root.private }).token;
  for (let i = 0; i < n - 1; i++) t = engine.callJSON("attenuate", { token: t, block: hops[i % 3] }).token;
  return t;
};
const enc = new TextEncoder();
const authorizeIn = (token) => enc.encode(JSON.stringify({ token, root_key: root.public, policy, time }));
const decide = (input) => {
  const d = JSON.parse(new TextDecoder().decode(engine.call("authorize", input)));
  if (!d.allowed) throw new Error(`expected allow: ${JSON.stringify(d)}`);
};
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
function timed(list, f) {
  for (const x of list.slice(0, 20)) f(x); // warm up the JIT
  return median(list.slice(20).map((x) => { const s = performance.now(); f(x); return (performance.now() - s) * 1000; }));
}
const tag = `codios-wasm${hostEd25519 ? "" : " (no host Ed25519)"}`;
console.log(`${tag}  load=${median(loads).toFixed(1)} ms (first ${loads[0].toFixed(1)} ms)`);

const unseen = Array.from({ length: iters + 20 }, () => authorizeIn(mint(4)));
console.log(`${tag}  unseen 4 blocks  full=${timed(unseen, decide).toFixed(1).padStart(8)} µs`);

const prefix = mint(3);
const fleet = Array.from({ length: iters + 20 }, (_, i) =>
  authorizeIn(engine.callJSON("attenuate", { token: prefix, block: hops[2], context: `call ${i}` }).token));
console.log(`${tag}  fleet (distinct 4-block tokens, shared 3-block prefix)  full=${timed(fleet, decide).toFixed(1).padStart(8)} µs`);

const { handle } = engine.callJSON("guard_new", { service: "files", root_keys: [{ key: root.public }], policy, audit: { host: true } });
const req = enc.encode(JSON.stringify({ authorization: [`Bearer ${mint(4)}`], request_id: "r1", method: "GET", path: "/tmp/file1", host: "files.local", time }));
const check = (r) => {
  const v = engine.guardCheck(handle, r);
  if (v[12] !== 0x61) throw new Error(new TextDecoder().decode(v)); // {"outcome":"allow"
};
console.log(`${tag}  guard check, repeated token  full=${timed(Array(iters + 20).fill(req), check).toFixed(1).padStart(8)} µs`);
