"""A minimal ctypes binding of libcodios1, for the tests and the benchmark.

Standard library only. The real Python SDK is written over the same
functions; this one only shows the ABI works from Python.
"""
from __future__ import annotations

import ctypes
import json
from typing import Any

ABI_MAJOR = 1

_U8P = ctypes.POINTER(ctypes.c_uint8)
OPS = ("abi_version", "key_generate", "key_parse", "key_public", "mint", "attenuate", "seal",
       "thirdparty_request", "thirdparty_sign", "thirdparty_append", "inspect", "authorize",
       "guard_new", "noop")


class CodiosError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message


class Lib:
    def __init__(self, path: str) -> None:
        lib = ctypes.CDLL(path)
        lib.codios_version.restype = ctypes.c_uint32
        lib.codios_version.argtypes = []
        lib.codios_free.restype = None
        lib.codios_free.argtypes = [_U8P]
        sig: list[Any] = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_U8P), ctypes.POINTER(ctypes.c_size_t)]
        for op in OPS:
            f = getattr(lib, "codios_" + op)
            f.restype, f.argtypes = ctypes.c_int32, sig
        lib.codios_guard_check.restype = ctypes.c_int32
        lib.codios_guard_check.argtypes = [ctypes.c_uint64] + sig
        lib.codios_release.restype = ctypes.c_int32
        lib.codios_release.argtypes = [ctypes.c_uint64]
        self.lib = lib
        v = lib.codios_version()
        if v >> 16 != ABI_MAJOR:
            raise RuntimeError(f"libcodios ABI {v >> 16}.{v & 0xffff}, want {ABI_MAJOR}.x")

    def _take(self, code: int, out: Any, n: ctypes.c_size_t) -> bytes:
        try:
            data = ctypes.string_at(out, n.value)
        finally:
            self.lib.codios_free(out)
        if code != 0:
            e = json.loads(data)
            raise CodiosError(e["code"], e["message"])
        return data

    def raw(self, op: str, data: bytes) -> bytes:
        out, n = _U8P(), ctypes.c_size_t()
        code = getattr(self.lib, "codios_" + op)(data, len(data), ctypes.byref(out), ctypes.byref(n))
        return self._take(code, out, n)

    def call(self, op: str, arg: dict[str, Any]) -> Any:
        return json.loads(self.raw(op, json.dumps(arg).encode()))

    def guard_check_raw(self, guard: int, req: bytes) -> bytes:
        out, n = _U8P(), ctypes.c_size_t()
        code = self.lib.codios_guard_check(guard, req, len(req), ctypes.byref(out), ctypes.byref(n))
        return self._take(code, out, n)

    def release(self, handle: int) -> int:
        return int(self.lib.codios_release(handle))
