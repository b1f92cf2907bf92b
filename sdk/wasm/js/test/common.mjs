// Where the module is: CODIOS_WASM_DIR (go test sets it to the directory it
// built into), else next to the loader; built with build.sh if missing.
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { load } from "../codios.mjs";

const here = fileURLToPath(new URL("..", import.meta.url));
export const dir = process.env.CODIOS_WASM_DIR ?? here;

export function ensureBuilt() {
  if (!existsSync(`${dir}/codios.wasm`) || !existsSync(`${dir}/wasm_exec.js`)) {
    execFileSync(`${here}/../build.sh`, [dir], { stdio: "inherit" });
  }
}

export async function loadEngine(options = {}) {
  ensureBuilt();
  return load({ wasm: pathToFileURL(`${dir}/codios.wasm`), wasmExec: pathToFileURL(`${dir}/wasm_exec.js`), ...options });
}
