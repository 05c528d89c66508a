#include "fifo.h"
#include "fifo_napi.h"

#include <errno.h>
#include <limits.h>

/* createFifo(pathBytes, mode) -> 0 | -errno */
static napi_value js_create(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  char path[PATH_MAX];
  int32_t mode;
  if (!ipk_get_string(env, argv[0], path, sizeof path, NULL) || !ipk_get_i32(env, argv[1], &mode)) return NULL;
  return ipk_int(env, ipk_fifo_create(path, mode));
}

/* openFifo(path, forWrite, out: Float64Array(1) owner uid) -> fd | -errno */
static napi_value js_open(napi_env env, napi_callback_info info) {
  IPK_ARGS(3);
  char path[PATH_MAX];
  bool w;
  uint8_t* out;
  size_t len;
  if (!ipk_get_string(env, argv[0], path, sizeof path, NULL) || !ipk_get_bool(env, argv[1], &w) ||
      !ipk_get_bytes(env, argv[2], &out, &len))
    return NULL;
  if (len < sizeof(double)) return ipk_int(env, -EINVAL);
  long owner = -1;
  int r = ipk_fifo_open(path, w, &owner);
  double o = (double)owner;
  memcpy(out, &o, sizeof o);
  return ipk_int(env, r);
}

void ipk_fifo_napi_init(napi_env env, napi_value exports) {
  IPK_EXPORT_FN(env, exports, "fifoCreate", js_create);
  IPK_EXPORT_FN(env, exports, "fifoOpen", js_open);
  ipk_export_int(env, exports, "ENOTFIFO", IPK_ENOTFIFO);
}
