/*
 * codios.h: the Codios engine's C interface, ABI version 1.0.
 *
 * The library is libcodios1.so (the file name carries the ABI's major
 * version: an incompatible change gives libcodios2.so). Build it with
 *     go build -buildmode=c-shared -o libcodios1.so ./sdk/cabi
 * This header, not the one cgo writes beside the library, is the interface.
 *
 * Every operation takes JSON (in, in_len bytes, no NUL needed) and returns
 * a code: 0 with *out holding the result JSON, or an error code with *out
 * holding {"code": n, "message": "..."}. *out is NUL-terminated for
 * convenience; *out_len excludes the NUL. Every *out must be freed with
 * codios_free, on success and on error alike. Inputs over 4 MiB are
 * refused (CODIOS_BAD_ARGUMENT). The JSON formats are those of the Go
 * package sdk/internal/hostapi (see its documentation and CONTRACT.md).
 *
 * All functions are safe to call from many threads at once. A Go panic
 * never crosses this boundary: it is returned as CODIOS_INTERNAL.
 * Handles (guards) are opaque numbers, released with codios_release; an
 * unknown or released handle is CODIOS_NOT_FOUND.
 */
#ifndef CODIOS_H
#define CODIOS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CODIOS_ABI_MAJOR 1
#define CODIOS_ABI_MINOR 0

enum codios_code {
    CODIOS_OK = 0,
    CODIOS_BAD_ARGUMENT = 1, /* bad JSON, unknown or missing field, too large */
    CODIOS_INVALID_KEY = 2,
    CODIOS_PARSE = 3,        /* Datalog syntax error; the message has line:col */
    CODIOS_INVALID_TOKEN = 4,/* malformed, bad signature, unknown root key, over limits */
    CODIOS_LIMIT = 5,        /* evaluation limits */
    CODIOS_NOT_FOUND = 6,    /* unknown or released handle */
    CODIOS_IO = 7,
    CODIOS_INTERNAL = 8      /* a recovered panic */
};

/* The ABI version: major << 16 | minor. Check the major equals CODIOS_ABI_MAJOR. */
uint32_t codios_version(void);

/* Frees a buffer the library returned. NULL is allowed. */
void codios_free(uint8_t *p);

/* Operations: JSON in, JSON out (see above). */
int32_t codios_abi_version(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int32_t codios_key_generate(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int32_t codios_key_parse(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int32_t codios_key_public(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int32_t codios_mint(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int32_t codios_attenuate(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int32_t codios_seal(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int32_t codios_thirdparty_request(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int32_t codios_thirdparty_sign(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int32_t codios_thirdparty_append(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int32_t codios_inspect(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int32_t codios_authorize(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int32_t codios_guard_new(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int32_t codios_noop(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);

/* The hot path: decide one request (guard_check's request JSON) with the
 * guard of handle guard, as returned by codios_guard_new ({"handle": n}).
 * *out is the verdict JSON. */
int32_t codios_guard_check(uint64_t guard, const uint8_t *req, size_t req_len,
                           uint8_t **out, size_t *out_len);

/* Releases a handle; returns CODIOS_OK or CODIOS_NOT_FOUND. */
int32_t codios_release(uint64_t handle);

#ifdef __cplusplus
}
#endif
#endif /* CODIOS_H */
