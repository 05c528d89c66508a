#include "pipe.h"
#include "pipe_napi.h"
#include "../common/fd.h"
#include "../io/io.h"

#include <errno.h>
#include <limits.h>

/* pipe(out: Int32Array(2)) -> 0 | -errno */
static napi_value js_pipe(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  uint8_t* out;
  size_t len;
  if (!ipk_get_bytes(env, argv[0], &out, &len)) return NULL;
  if (len < 2 * sizeof(int)) return ipk_int(env, -EINVAL);
  int fds[2];
  int r = ipk_pipe_create(fds);
  if (r == 0) {
    ((int*)(void*)out)[0] = fds[0];
    ((int*)(void*)out)[1] = fds[1];
  }
  return ipk_int(env, r);
}

static napi_value js_pipe_capacity(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t fd;
  if (!ipk_get_i32(env, argv[0], &fd)) return NULL;
  return ipk_int(env, ipk_pipe_get_capacity(fd));
}

static napi_value js_set_pipe_capacity(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  int32_t fd, n;
  if (!ipk_get_i32(env, argv[0], &fd) || !ipk_get_i32(env, argv[1], &n)) return NULL;
  return ipk_int(env, ipk_pipe_set_capacity(fd, n));
}

static napi_value js_fd_kind(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t fd;
  if (!ipk_get_i32(env, argv[0], &fd)) return NULL;
  return ipk_int(env, ipk_fd_kind(fd));
}

/* dupCloexec(fd, minFd) -> newFd | -errno */
static napi_value js_dup_cloexec(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  int32_t fd, min;
  if (!ipk_get_i32(env, argv[0], &fd) || !ipk_get_i32(env, argv[1], &min)) return NULL;
  return ipk_int(env, ipk_fd_dup_cloexec(fd, min));
}

/* setCloexec(fd, on) -> 0 | -errno */
static napi_value js_set_cloexec(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  int32_t fd;
  bool on;
  if (!ipk_get_i32(env, argv[0], &fd) || !ipk_get_bool(env, argv[1], &on)) return NULL;
  return ipk_int(env, ipk_fd_set_cloexec(fd, on));
}

static napi_value js_get_cloexec(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t fd;
  if (!ipk_get_i32(env, argv[0], &fd)) return NULL;
  return ipk_int(env, ipk_fd_get_cloexec(fd));
}

static napi_value js_status_flags(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t fd;
  if (!ipk_get_i32(env, argv[0], &fd)) return NULL;
  return ipk_int(env, ipk_fd_get_status_flags(fd));
}

/* closeFd(fd) -> 0 | -errno: for fds not (yet) wrapped in a handle. */
static napi_value js_close_fd(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t fd;
  if (!ipk_get_i32(env, argv[0], &fd)) return NULL;
  return ipk_int(env, ipk_fd_close(fd));
}

void ipk_pipe_napi_init(napi_env env, napi_value exports) {
  IPK_EXPORT_FN(env, exports, "pipe", js_pipe);
  IPK_EXPORT_FN(env, exports, "pipeCapacity", js_pipe_capacity);
  IPK_EXPORT_FN(env, exports, "setPipeCapacity", js_set_pipe_capacity);
  IPK_EXPORT_FN(env, exports, "fdKind", js_fd_kind);
  IPK_EXPORT_FN(env, exports, "dupCloexec", js_dup_cloexec);
  IPK_EXPORT_FN(env, exports, "setCloexec", js_set_cloexec);
  IPK_EXPORT_FN(env, exports, "getCloexec", js_get_cloexec);
  IPK_EXPORT_FN(env, exports, "statusFlags", js_status_flags);
  IPK_EXPORT_FN(env, exports, "closeFd", js_close_fd);
  ipk_export_int(env, exports, "PIPE_BUF", PIPE_BUF);
  ipk_export_int(env, exports, "PIPE_NOWAIT", ipk_io_pipe_nowait_supported());
  ipk_export_int(env, exports, "KIND_FIFO", IPK_KIND_FIFO);
  ipk_export_int(env, exports, "KIND_SOCKET", IPK_KIND_SOCKET);
  ipk_export_int(env, exports, "KIND_CHAR", IPK_KIND_CHAR);
  ipk_export_int(env, exports, "KIND_FILE", IPK_KIND_FILE);
  ipk_export_int(env, exports, "KIND_DIR", IPK_KIND_DIR);
  ipk_export_int(env, exports, "KIND_OTHER", IPK_KIND_OTHER);
}
