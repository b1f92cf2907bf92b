// The loader of the Codios engine built for WebAssembly (GOOS=js GOARCH=wasm):
// it instantiates the module (Node: from a file; browser: from fetch), gives it
// node:crypto's Ed25519 verification when there is one, and exposes the
// operations of sdk/internal/hostapi as functions. No dependencies; no logic of
// its own beyond turning the module's error objects into thrown CodiosErrors.
//
// The module and Go's wasm_exec.js (the one of the Go that built the module)
// are build outputs: sdk/wasm/build.sh writes both, by default next to this file.

/** Error codes, as in the C header (sdk/internal/hostapi). */
export const Code = Object.freeze({
  ok: 0, bad_argument: 1, invalid_key: 2, parse: 3, invalid_token: 4,
  limit: 5, not_found: 6, io: 7, internal: 8,
});
const codeNames = Object.fromEntries(Object.entries(Code).map(([k, v]) => [v, k]));

/** An operation's error: code (see Code) and the Go error's text. */
export class CodiosError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "CodiosError";
    this.code = code;
    this.codeName = codeNames[code] ?? "unknown";
  }
}

const isNode = typeof process === "object" && process.versions?.node !== undefined;

async function bytesOf(src) {
  if (src instanceof Uint8Array || src instanceof ArrayBuffer) return src;
  const url = src instanceof URL ? src : new URL(src, import.meta.url);
  if (isNode && url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    return readFile(url);
  }
  return null; // fetched by the caller
}

async function instantiate(src, imports) {
  const bytes = await bytesOf(src);
  if (bytes !== null) return (await WebAssembly.instantiate(bytes, imports)).instance;
  const url = src instanceof URL ? src : new URL(src, import.meta.url);
  const res = fetch(url);
  if (WebAssembly.instantiateStreaming) {
    try {
      return (await WebAssembly.instantiateStreaming(res, imports)).instance;
    } catch (e) {
      // A server that does not send application/wasm: compile from the bytes.
      if (!(e instanceof TypeError)) throw e;
    }
  }
  const body = await (await fetch(url)).arrayBuffer();
  return (await WebAssembly.instantiate(body, imports)).instance;
}

// The KeyObjects of the keys seen last: a service's root key verifies every
// token, so its KeyObject is made once. Bounded: cleared when full.
const maxKeys = 1024;

/**
 * node:crypto's Ed25519 work for the module ({verify, publicKey}), or null
 * where there is none (a browser).
 */
export async function nodeEd25519() {
  if (!isNode) return null;
  let crypto;
  try {
    crypto = await import("node:crypto");
  } catch {
    return null;
  }
  const keys = new Map();
  // buf: the key (32 bytes), the signature (64), the message. Any throw
  // (a key OpenSSL will not import) is taken as "not verified": the engine
  // then verifies by itself, so the host can only ever confirm.
  const b64 = (b) => Buffer.from(b.buffer, b.byteOffset, b.length).toString("base64url");
  const verify = (buf) => {
    const id = Buffer.from(buf.buffer, buf.byteOffset, 32).toString("latin1");
    let key = keys.get(id);
    if (key === undefined) {
      if (keys.size >= maxKeys) keys.clear();
      // A JWK, not DER: OpenSSL imports it about 12 times faster (6 against
      // 74 µs in Node 20), and a token brings a new key with every block.
      const x = b64(buf.subarray(0, 32));
      try {
        key = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
      } catch {
        key = null;
      }
      keys.set(id, key);
    }
    if (key === null) return false;
    return crypto.verify(null, buf.subarray(96), key, buf.subarray(32, 96));
  };
  // A seed's public key (a token's proof): RFC 8032's derivation by OpenSSL.
  const publicKey = (seed) => {
    const priv = crypto.createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: b64(seed), x: "" }, format: "jwk" });
    return Buffer.from(crypto.createPublicKey(priv).export({ format: "jwk" }).x, "base64url");
  };
  return { verify, publicKey };
}

let loads = 0;

/**
 * Loads the engine. options.wasm: the module (a path or URL, or its bytes);
 * options.wasmExec: Go's wasm_exec.js (a URL; default next to this file);
 * options.hostEd25519: false to verify signatures in the module only.
 */
export async function load(options = {}) {
  const wasm = options.wasm ?? new URL("./codios.wasm", import.meta.url);
  if (typeof globalThis.Go !== "function") {
    await import(String(options.wasmExec ?? new URL("./wasm_exec.js", import.meta.url)));
  }
  const go = new globalThis.Go();
  const instance = await instantiate(wasm, go.importObject);
  // The module hands its object to a global function named in its
  // arguments, removed as soon as it has been called.
  const name = `__codios_ready_${++loads}_${Math.random().toString(36).slice(2)}`;
  let api = null;
  globalThis[name] = (a) => { api = a; };
  go.argv = ["codios", name];
  const exited = go.run(instance);
  delete globalThis[name];
  if (api === null) {
    await exited;
    throw new CodiosError(Code.internal, "the module exited before it was ready");
  }
  if (options.hostEd25519 !== false) {
    const host = await nodeEd25519();
    if (host !== null) api.setEd25519Host(host);
  }
  return new Engine(api);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function unwrap(r) {
  if (r instanceof Uint8Array) return r;
  throw new CodiosError(r.code, r.message);
}

/** The engine: the module's operations. */
export class Engine {
  #api;
  constructor(api) { this.#api = api; }
  /** The ABI version of the module. */
  get abiVersion() { return this.#api.abiVersion; }
  /** One operation: bytes in, bytes out; throws CodiosError. */
  call(op, input) { return unwrap(this.#api.call(op, input)); }
  /** One operation, JSON in and out. */
  callJSON(op, value) {
    return JSON.parse(decoder.decode(this.call(op, encoder.encode(JSON.stringify(value)))));
  }
  /** token.PublicKey.Verify on a raw Ed25519 key (the tests' view of the rules). */
  verifyEd25519(key, message, signature) { return this.#api.verifyEd25519(key, message, signature); }
  /** A guard's check (the hot path): the request's JSON bytes in, the verdict's out. */
  guardCheck(handle, request) { return unwrap(this.#api.guardCheck(handle, request)); }
  /**
   * Sets (or with null removes) the host's Ed25519 work: {verify, publicKey}.
   * load() sets node:crypto's in Node; without one the module does it all.
   */
  setEd25519Host(host) { this.#api.setEd25519Host(host ?? null); }
}
