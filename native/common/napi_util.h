/* Small helpers for the *_napi.c glue files: argument conversion, exports.
 * Native functions return -errno numbers rather than throwing; TypeScript
 * turns them into Node-shaped errors. They throw only for misuse of the
 * binding itself (a wrong argument type), which the TypeScript layer checks
 * first, so a bad call can never reach a syscall. */
#ifndef IPK_NAPI_UTIL_H
#define IPK_NAPI_UTIL_H

#include "platform.h"

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPK_EXPORT_FN(env, exports, name, fn) ipk_export_fn((env), (exports), (name), (fn))

/* Declares argc/argv for n arguments and fetches them; returns NULL on failure. */
#define IPK_ARGS(n)                                                          \
  size_t argc = (n);                                                         \
  napi_value argv[(n) > 0 ? (n) : 1];                                        \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL; \
  if (argc < (n)) {                                                          \
    ipk_throw_type(env, "missing argument");                                 \
    return NULL;                                                             \
  }

void ipk_throw_type(napi_env env, const char* msg);
bool ipk_get_i32(napi_env env, napi_value v, int32_t* out);
bool ipk_get_i64(napi_env env, napi_value v, int64_t* out);
bool ipk_get_bool(napi_env env, napi_value v, bool* out);
/* Any TypedArray or DataView: pointer to its first byte and its byte length. */
bool ipk_get_bytes(napi_env env, napi_value v, uint8_t** data, size_t* len);
/* A UTF-8 string into buf (NUL-terminated); fails if it does not fit. */
bool ipk_get_string(napi_env env, napi_value v, char* buf, size_t cap, size_t* len);

napi_value ipk_int(napi_env env, int64_t v);
napi_value ipk_undefined(napi_env env);
void ipk_export_fn(napi_env env, napi_value exports, const char* name, napi_callback fn);
void ipk_export_int(napi_env env, napi_value exports, const char* name, int64_t v);

/* Calls fn (with this = recv) from a libuv callback: runs inside a handle
 * scope the caller opened, drains microtasks and nextTicks afterwards, and
 * reports a JS exception as uncaught instead of losing it. */
void ipk_call(napi_env env, napi_async_context ctx, napi_value recv, napi_value fn,
              size_t argc, const napi_value* argv);

#endif
