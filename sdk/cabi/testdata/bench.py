"""The cost of the C ABI from Python (ctypes), run by hand:

    go build -buildmode=c-shared -o /tmp/libcodios1.so ./sdk/cabi
    python3 sdk/cabi/testdata/bench.py /tmp/libcodios1.so sdk/cabi/testdata/standard

It prints the median of a call that does nothing (codios_noop), and of a
guard check of the standard request's token, repeated (the guard's caches
warm), each timed over batches of calls.
"""
from __future__ import annotations

import ctypes
import json
import os
import statistics
import sys
import time

from codios_ctypes import _U8P, Lib


def median_us(fn: object, batch: int, rounds: int) -> float:
    per: list[float] = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        for _ in range(batch):
            fn()  # type: ignore[operator]
        per.append((time.perf_counter_ns() - t0) / batch / 1000)
    return statistics.median(per)


def main() -> None:
    lib, d = Lib(sys.argv[1]), sys.argv[2]

    def std(name: str) -> str:
        with open(os.path.join(d, name), encoding="utf-8") as f:
            return f.read()

    k = lib.call("key_generate", {})
    tok = lib.call("mint", {"authority": std("authority.datalog"), "private_key": k["private"]})["token"]
    for h in ("hop1.datalog", "hop2.datalog", "hop3.datalog"):
        tok = lib.call("attenuate", {"token": tok, "block": std(h)})["token"]
    g = lib.call("guard_new", {"service": "files", "root_keys": [{"key": k["public"]}],
                               "policy": std("authorizer.datalog"), "audit": {"host": True}})["handle"]
    req = json.dumps({"authorization": ["Bearer " + tok], "request_id": "r1", "method": "GET",
                      "path": "/tmp/file1", "time": "2026-12-04T10:00:00Z"}).encode()
    assert json.loads(lib.guard_check_raw(g, req))["outcome"] == "allow"

    # The bare calls, as a binding would make them: out-parameters, copy, free.
    c = lib.lib
    out, n = _U8P(), ctypes.c_size_t()
    pout, pn = ctypes.byref(out), ctypes.byref(n)
    empty = b"{}"

    def noop() -> None:
        c.codios_noop(empty, 2, pout, pn)
        ctypes.string_at(out, n.value)
        c.codios_free(out)

    def check() -> None:
        c.codios_guard_check(g, req, len(req), pout, pn)
        ctypes.string_at(out, n.value)
        c.codios_free(out)

    def check_parsed() -> None:
        json.loads(lib.guard_check_raw(g, req))

    for name, fn, batch in (("noop (call, copy out, free)", noop, 10000),
                            ("guard_check, standard request, repeated token", check, 1000),
                            ("guard_check + json.loads of the verdict", check_parsed, 1000)):
        median_us(fn, batch, 3)  # warm up
        print(f"{name}: median {median_us(fn, batch, 21):.2f} µs per call")
    lib.release(g)


if __name__ == "__main__":
    main()
