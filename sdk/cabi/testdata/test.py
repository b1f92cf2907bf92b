"""The C ABI from Python (ctypes, standard library only).

Usage: python3 test.py <libcodios1.so> <dir of the standard request>
"""
from __future__ import annotations

import json
import os
import sys
import threading

from codios_ctypes import CodiosError, Lib


def std(d: str, name: str) -> str:
    with open(os.path.join(d, name), encoding="utf-8") as f:
        return f.read()


def expect_error(fn: object, code: int, text: str = "") -> None:
    try:
        fn()  # type: ignore[operator]
    except CodiosError as e:
        assert e.code == code and text in e.message, (e.code, e.message)
        return
    raise AssertionError(f"no error, want code {code}")


def main() -> None:
    lib, d = Lib(sys.argv[1]), sys.argv[2]
    assert lib.call("abi_version", {}) == {"major": 1, "minor": 0}
    k = lib.call("key_generate", {})
    assert lib.call("key_public", {"key": k["private"]})["public"] == k["public"]
    tok = lib.call("mint", {"authority": std(d, "authority.datalog"), "private_key": k["private"]})["token"]
    for h in ("hop1.datalog", "hop2.datalog", "hop3.datalog"):
        tok = lib.call("attenuate", {"token": tok, "block": std(d, h)})["token"]
    policy = std(d, "authorizer.datalog")
    dec = lib.call("authorize", {"token": tok, "root_key": k["public"], "policy": policy,
                                 "time": "2026-12-04T10:00:00Z"})
    assert dec["allowed"] is True, dec
    ins = lib.call("inspect", {"token": tok, "root_key": k["public"]})
    assert ins["verified"] and len(ins["blocks"]) == 4, ins

    expect_error(lambda: lib.raw("mint", b"{"), 1)
    expect_error(lambda: lib.call("mint", {"authority": "right(", "private_key": k["private"]}), 3, "1:7:")
    expect_error(lambda: lib.call("key_parse", {"key": "ed25519/xyz"}), 2)
    expect_error(lambda: lib.raw("key_parse", b" " * ((4 << 20) + 1)), 1, "over the limit")

    g = lib.call("guard_new", {"service": "files", "root_keys": [{"key": k["public"]}], "policy": policy,
                               "audit": {"host": True}})["handle"]
    req = json.dumps({"authorization": ["Bearer " + tok], "request_id": "r1", "method": "GET",
                      "path": "/tmp/file1", "time": "2026-12-04T10:00:00Z"}).encode()
    v = json.loads(lib.guard_check_raw(g, req))
    assert v["outcome"] == "allow" and v["status"] == 200 and v["headers"] == [["X-Request-Id", "r1"]], v
    assert v["audit"]["outcome"] == "allow" and len(v["chain"]) == 4, v

    errors: list[str] = []

    def worker() -> None:
        try:
            for _ in range(100):
                assert json.loads(lib.guard_check_raw(g, req))["outcome"] == "allow"
                lib.raw("noop", b"{}")
        except Exception as e:  # noqa: BLE001 - any failure, collected for the main thread
            errors.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors

    assert lib.release(g) == 0
    assert lib.release(g) == 6
    expect_error(lambda: lib.guard_check_raw(g, req), 6)
    print("ok")


if __name__ == "__main__":
    main()
