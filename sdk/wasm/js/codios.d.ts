// Types of codios.mjs, the loader of the Codios engine built for WebAssembly.

/** Error codes, as in the C header (sdk/internal/hostapi). */
export declare const Code: Readonly<{
  ok: 0; bad_argument: 1; invalid_key: 2; parse: 3; invalid_token: 4;
  limit: 5; not_found: 6; io: 7; internal: 8;
}>;

/** An operation's error: its code and the Go error's text. */
export declare class CodiosError extends Error {
  readonly code: number;
  readonly codeName: string;
}

/** The host's Ed25519 work, given to the module. */
export interface Ed25519Host {
  /** buf: the key (32 bytes), the signature (64), then the message. */
  verify(buf: Uint8Array): boolean;
  /** The public key of an RFC 8032 seed. */
  publicKey(seed: Uint8Array): Uint8Array;
}

export interface LoadOptions {
  /** The module: a path or URL (default: codios.wasm next to codios.mjs), or its bytes. */
  wasm?: string | URL | Uint8Array | ArrayBuffer;
  /** Go's wasm_exec.js, of the Go that built the module (default: next to codios.mjs). */
  wasmExec?: string | URL;
  /** false: the module verifies signatures alone, even in Node. */
  hostEd25519?: boolean;
}

export declare function load(options?: LoadOptions): Promise<Engine>;

/** node:crypto's Ed25519 work, or null where there is none (a browser). */
export declare function nodeEd25519(): Promise<Ed25519Host | null>;

export declare class Engine {
  readonly abiVersion: number;
  /** One operation of hostapi: bytes in, bytes out. Throws CodiosError. */
  call(op: string, input: Uint8Array): Uint8Array;
  /** One operation, JSON in and out. Throws CodiosError. */
  callJSON<T = unknown>(op: string, value: unknown): T;
  /** A guard's check: the request's JSON bytes in, the verdict's JSON bytes out. */
  guardCheck(handle: number, request: Uint8Array): Uint8Array;
  /** token.PublicKey.Verify on a raw Ed25519 key. */
  verifyEd25519(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** Sets, or with null removes, the host's Ed25519 work. */
  setEd25519Host(host: Ed25519Host | null): void;
}
