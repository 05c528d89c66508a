#include "napi_util.h"

#include <string.h>

void ipk_throw_type(napi_env env, const char* msg) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_type_error(env, "IPCKIT_INVALID_ARGUMENT", msg);
}

bool ipk_get_i32(napi_env env, napi_value v, int32_t* out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    ipk_throw_type(env, "expected a number");
    return false;
  }
  return true;
}

bool ipk_get_i64(napi_env env, napi_value v, int64_t* out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    ipk_throw_type(env, "expected a number");
    return false;
  }
  return true;
}

bool ipk_get_bool(napi_env env, napi_value v, bool* out) {
  if (napi_get_value_bool(env, v, out) != napi_ok) {
    ipk_throw_type(env, "expected a boolean");
    return false;
  }
  return true;
}

bool ipk_get_bytes(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t length = 0;
    void* p = NULL;
    if (napi_get_typedarray_info(env, v, &type, &length, &p, NULL, NULL) != napi_ok) goto fail;
    size_t width = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: width = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: width = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: width = 8; break;
      default: width = 1; break;
    }
    *data = p;
    *len = length * width;
    if (*data == NULL) *len = 0;
    return true;
  }
  if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    void* p = NULL;
    size_t length = 0;
    if (napi_get_dataview_info(env, v, &length, &p, NULL, NULL) != napi_ok) goto fail;
    *data = p;
    *len = p ? length : 0;
    return true;
  }
fail:
  ipk_throw_type(env, "expected a TypedArray or DataView");
  return false;
}

bool ipk_get_string(napi_env env, napi_value v, char* buf, size_t cap, size_t* len) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) {
    ipk_throw_type(env, "expected a string");
    return false;
  }
  if (n + 1 > cap) {
    ipk_throw_type(env, "string too long");
    return false;
  }
  napi_get_value_string_utf8(env, v, buf, cap, &n);
  if (len) *len = n;
  return true;
}

napi_value ipk_int(napi_env env, int64_t v) {
  napi_value r;
  if (v >= INT32_MIN && v <= INT32_MAX)
    napi_create_int32(env, (int32_t)v, &r);
  else
    napi_create_double(env, (double)v, &r);
  return r;
}

napi_value ipk_undefined(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

void ipk_export_fn(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);
  napi_set_named_property(env, exports, name, f);
}

void ipk_export_int(napi_env env, napi_value exports, const char* name, int64_t v) {
  napi_set_named_property(env, exports, name, ipk_int(env, v));
}

void ipk_call(napi_env env, napi_async_context ctx, napi_value recv, napi_value fn,
              size_t argc, const napi_value* argv) {
  napi_status s = napi_make_callback(env, ctx, recv, fn, argc, argv, NULL);
  if (s == napi_pending_exception) {
    napi_value err;
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
  }
}
