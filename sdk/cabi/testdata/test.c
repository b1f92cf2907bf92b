/* The C ABI from C: version, mint, attenuate, authorize, a guard, errors,
 * and many threads at once. Usage: test <dir of the standard request>.
 * Every buffer is freed, so that valgrind can check for leaks. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codios.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); failures++; } } while (0)

typedef int32_t (*op_fn)(const uint8_t *, size_t, uint8_t **, size_t *);

/* run calls op on in and returns its output (to free), and the code in *code. */
static char *run(op_fn op, const char *in, int32_t *code) {
    uint8_t *out = NULL;
    size_t n = 0;
    *code = op((const uint8_t *)in, strlen(in), &out, &n);
    if (out == NULL || strlen((char *)out) != n) {
        fprintf(stderr, "FAIL: no output or a wrong length\n");
        exit(1);
    }
    return (char *)out;
}

/* field returns a copy of the string value of "name" in json (no escapes in our values). */
static char *field(const char *json, const char *name) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\":\"", name);
    const char *p = strstr(json, key);
    if (!p) return NULL;
    p += strlen(key);
    const char *e = strchr(p, '"');
    return strndup(p, e - p);
}

/* quote returns s as a JSON string, malloc'd. */
static char *quote(const char *s) {
    char *q = malloc(strlen(s) * 6 + 3), *w = q;
    *w++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { *w++ = '\\'; *w++ = c; }
        else if (c == '\n') { *w++ = '\\'; *w++ = 'n'; }
        else if (c < 0x20) w += sprintf(w, "\\u%04x", c);
        else *w++ = c;
    }
    *w++ = '"';
    *w = 0;
    return q;
}

static char *readfile(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc(n + 1);
    if (fread(b, 1, n, f) != (size_t)n) { perror(path); exit(1); }
    b[n] = 0;
    fclose(f);
    char *q = quote(b);
    free(b);
    return q;
}

static char *fmt(const char *format, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    char *s = NULL;
    if (vasprintf(&s, format, ap) < 0) exit(1);
    va_end(ap);
    return s;
}

static uint64_t guard;
static const char *request;

static void *worker(void *arg) {
    (void)arg;
    for (int i = 0; i < 200; i++) {
        uint8_t *out = NULL;
        size_t n = 0;
        int32_t c = codios_guard_check(guard, (const uint8_t *)request, strlen(request), &out, &n);
        CHECK(c == CODIOS_OK && strncmp((char *)out, "{\"outcome\":\"allow\"", 18) == 0, "thread check: %d %s", c, out);
        codios_free(out);
        c = codios_noop((const uint8_t *)"{}", 2, &out, &n);
        CHECK(c == CODIOS_OK, "noop %d", c);
        codios_free(out);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: test <standard dir>\n"); return 2; }
    const char *dir = argv[1];
    int32_t c;

    uint32_t v = codios_version();
    CHECK(v >> 16 == CODIOS_ABI_MAJOR, "version %u.%u", v >> 16, v & 0xffff);
    char *ver = run(codios_abi_version, "{}", &c);
    CHECK(c == 0 && strcmp(ver, "{\"major\":1,\"minor\":0}") == 0, "abi_version %s", ver);
    codios_free((uint8_t *)ver);

    char *keys = run(codios_key_generate, "{}", &c);
    CHECK(c == 0, "key_generate %s", keys);
    char *priv = field(keys, "private"), *pub = field(keys, "public");
    codios_free((uint8_t *)keys);

    char *auth = readfile(dir, "authority.datalog");
    char *in = fmt("{\"authority\":%s,\"private_key\":\"%s\"}", auth, priv);
    char *minted = run(codios_mint, in, &c);
    CHECK(c == 0, "mint %s", minted);
    char *tok = field(minted, "token");
    free(in); free(auth); codios_free((uint8_t *)minted);
    const char *hops[] = {"hop1.datalog", "hop2.datalog", "hop3.datalog"};
    for (int i = 0; i < 3; i++) {
        char *h = readfile(dir, hops[i]);
        in = fmt("{\"token\":\"%s\",\"block\":%s}", tok, h);
        char *att = run(codios_attenuate, in, &c);
        CHECK(c == 0, "attenuate %s", att);
        free(tok);
        tok = field(att, "token");
        free(h); free(in); codios_free((uint8_t *)att);
    }

    char *policy = readfile(dir, "authorizer.datalog");
    in = fmt("{\"token\":\"%s\",\"root_key\":\"%s\",\"policy\":%s,\"time\":\"2026-12-04T10:00:00Z\"}", tok, pub, policy);
    char *dec = run(codios_authorize, in, &c);
    CHECK(c == 0 && strstr(dec, "\"allowed\":true"), "authorize %s", dec);
    free(in); codios_free((uint8_t *)dec);

    /* Errors: bad JSON, a Datalog syntax error, a wrong root key. */
    char *e = run(codios_mint, "{", &c);
    CHECK(c == CODIOS_BAD_ARGUMENT && strncmp(e, "{\"code\":1,\"message\":", 20) == 0, "bad json %d %s", c, e);
    codios_free((uint8_t *)e);
    in = fmt("{\"authority\":\"right(\",\"private_key\":\"%s\"}", priv);
    e = run(codios_mint, in, &c);
    CHECK(c == CODIOS_PARSE && strstr(e, "1:7:"), "parse %d %s", c, e);
    free(in); codios_free((uint8_t *)e);
    in = fmt("{\"token\":\"%s\",\"root_key\":\"ed25519/%064d\",\"policy\":\"allow if true;\"}", tok, 0);
    e = run(codios_authorize, in, &c);
    CHECK(c == CODIOS_INVALID_KEY || c == CODIOS_INVALID_TOKEN, "wrong root %d %s", c, e);
    free(in); codios_free((uint8_t *)e);

    in = fmt("{\"service\":\"files\",\"root_keys\":[{\"key\":\"%s\"}],\"policy\":%s,\"audit\":{\"host\":true}}", pub, policy);
    char *g = run(codios_guard_new, in, &c);
    CHECK(c == 0 && sscanf(g, "{\"handle\":%lu}", &guard) == 1, "guard_new %s", g);
    free(in); codios_free((uint8_t *)g);
    char *req = fmt("{\"authorization\":[\"Bearer %s\"],\"request_id\":\"r1\",\"method\":\"GET\",\"path\":\"/tmp/file1\",\"time\":\"2026-12-04T10:00:00Z\"}", tok);
    request = req;

    pthread_t th[8];
    for (int i = 0; i < 8; i++) pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);

    CHECK(codios_release(guard) == CODIOS_OK, "release");
    CHECK(codios_release(guard) == CODIOS_NOT_FOUND, "release twice");
    uint8_t *out = NULL;
    size_t n = 0;
    c = codios_guard_check(guard, (const uint8_t *)req, strlen(req), &out, &n);
    CHECK(c == CODIOS_NOT_FOUND, "released guard %d %s", c, out);
    codios_free(out);
    codios_free(NULL);

    free(req); free(policy); free(tok); free(priv); free(pub);
    if (failures) { fprintf(stderr, "%d failures\n", failures); return 1; }
    puts("ok");
    return 0;
}
