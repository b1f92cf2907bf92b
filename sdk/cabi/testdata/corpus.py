"""The shared corpus (sdk/testdata/corpus) through the C ABI, from Python.

Usage: python3 corpus.py <libcodios1.so> <corpus dir>

Every step's verdict must be the recorded bytes, with "latency_us" set to 0:
the same decision, headers, body and audit record as the Go engine's.
"""
from __future__ import annotations

import glob
import json
import os
import re
import sys

from codios_ctypes import Lib

LATENCY = re.compile(rb'"latency_us":[0-9.eE+-]+')


def main() -> None:
    lib, corpus = Lib(sys.argv[1]), sys.argv[2]
    files = sorted(glob.glob(os.path.join(corpus, "*.json")))
    assert files, f"no corpus in {corpus}"
    failures, steps = 0, 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            case = json.load(f)
        with open(path[: -len(".json")] + ".verdicts.jsonl", "rb") as f:
            want = f.read().splitlines()
        assert len(want) == len(case["steps"]), path
        handle = lib.call("guard_new", case["guard"])["handle"]
        try:
            for i, step in enumerate(case["steps"]):
                steps += 1
                got = LATENCY.sub(b'"latency_us":0', lib.guard_check_raw(handle, json.dumps(step["request"]).encode()))
                verdict = json.loads(got)
                expect = step["expect"]
                if got != want[i] or (verdict["outcome"], verdict["status"]) != (expect["outcome"], expect["status"]):
                    failures += 1
                    print(f"{case['name']} step {i + 1}:\n got {got.decode()}\nwant {want[i].decode()}", file=sys.stderr)
        finally:
            lib.release(handle)
    if failures:
        sys.exit(f"corpus: {failures} of {steps} steps differ from the Go engine's verdicts")
    print(f"corpus: {len(files)} cases, {steps} steps, every verdict byte for byte the Go engine's")
    print("ok")


if __name__ == "__main__":
    main()
