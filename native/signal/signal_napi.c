#include "signal.h"
#include "signal_napi.h"
#include "../common/fd.h"
#include "../io/io.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

/* An environment that exits (a worker terminated, the main thread ending)
 * with subscriptions still open: unsubscribe, restoring dispositions, and
 * close the write end. Registered after the environment's own cleanup hook,
 * so it runs first (hooks run in reverse order) and the write end is gone
 * before that hook closes the read end. */
static void on_env_exit(void* arg) {
  int slot = (int)(intptr_t)arg - 1;
  ipk_sig_close(slot, NULL);
}

static void* hook_arg(int slot) { return (void*)(intptr_t)(slot + 1); }

/* signalOpen(out: Int32Array(2)) -> slot | -errno; out = [readFd, capacity] */
static napi_value js_signal_open(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  uint8_t* out;
  size_t len;
  if (!ipk_get_bytes(env, argv[0], &out, &len)) return NULL;
  if (len < 2 * sizeof(int32_t)) return ipk_int(env, -EINVAL);
  int rfd = -1, cap = 0;
  int slot = ipk_sig_open(env, &rfd, &cap);
  if (slot < 0) return ipk_int(env, slot);
  if (napi_add_env_cleanup_hook(env, on_env_exit, hook_arg(slot)) != napi_ok) {
    ipk_sig_close(slot, env);
    ipk_fd_close(rfd); /* nobody else has it yet */
    return ipk_int(env, -ENOMEM);
  }
  ((int32_t*)(void*)out)[0] = rfd; /* JavaScript wraps and owns it */
  ((int32_t*)(void*)out)[1] = cap;
  return ipk_int(env, slot);
}

/* signalClose(slot) -> 0 | -errno. Close the read end after this. */
static napi_value js_signal_close(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t slot;
  if (!ipk_get_i32(env, argv[0], &slot)) return NULL;
  int r = ipk_sig_close(slot, env);
  if (r == 0) napi_remove_env_cleanup_hook(env, on_env_exit, hook_arg(slot));
  return ipk_int(env, r);
}

/* signalSubscribe(slot, signo) / signalUnsubscribe(slot, signo) -> 0 | -errno */
static napi_value js_signal_subscribe(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  int32_t slot, signo;
  if (!ipk_get_i32(env, argv[0], &slot) || !ipk_get_i32(env, argv[1], &signo)) return NULL;
  return ipk_int(env, ipk_sig_subscribe(slot, env, signo));
}

static napi_value js_signal_unsubscribe(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  int32_t slot, signo;
  if (!ipk_get_i32(env, argv[0], &slot) || !ipk_get_i32(env, argv[1], &signo)) return NULL;
  return ipk_int(env, ipk_sig_unsubscribe(slot, env, signo));
}

static napi_value js_signal_capacity(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t slot;
  if (!ipk_get_i32(env, argv[0], &slot)) return NULL;
  return ipk_int(env, ipk_sig_capacity(slot));
}

static napi_value js_signal_dropped(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t slot;
  if (!ipk_get_i32(env, argv[0], &slot)) return NULL;
  return ipk_int(env, ipk_sig_dropped(slot));
}

/* signalRetake(signo) -> 1 | 0 | -errno */
static napi_value js_signal_retake(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t signo;
  if (!ipk_get_i32(env, argv[0], &signo)) return NULL;
  return ipk_int(env, ipk_sig_retake(signo));
}

/* signalDescribe(signo) -> string | -errno (for tests) */
static napi_value js_signal_describe(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t signo;
  if (!ipk_get_i32(env, argv[0], &signo)) return NULL;
  char buf[128];
  int n = ipk_sig_describe(signo, buf, sizeof buf);
  if (n < 0) return ipk_int(env, n);
  napi_value s;
  if (napi_create_string_utf8(env, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, &s) != napi_ok) return NULL;
  return s;
}

/* signalKill(pid, signo) -> 0 | -errno */
static napi_value js_signal_kill(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  int32_t pid, signo;
  if (!ipk_get_i32(env, argv[0], &pid) || !ipk_get_i32(env, argv[1], &signo)) return NULL;
  return ipk_int(env, ipk_sig_kill(pid, signo));
}

/* signalQueue(pid, signo, value) -> 0 | -errno */
static napi_value js_signal_queue(napi_env env, napi_callback_info info) {
  IPK_ARGS(3);
  int32_t pid, signo, value;
  if (!ipk_get_i32(env, argv[0], &pid) || !ipk_get_i32(env, argv[1], &signo) || !ipk_get_i32(env, argv[2], &value)) return NULL;
  return ipk_int(env, ipk_sig_queue(pid, signo, value));
}

/* pidfdOpen(pid) -> fd | -errno */
static napi_value js_pidfd_open(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t pid;
  if (!ipk_get_i32(env, argv[0], &pid)) return NULL;
  return ipk_int(env, ipk_pidfd_open(pid));
}

/* pidfdSendSignal(fd, signo) -> 0 | -errno */
static napi_value js_pidfd_send_signal(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  int32_t fd, signo;
  if (!ipk_get_i32(env, argv[0], &fd) || !ipk_get_i32(env, argv[1], &signo)) return NULL;
  return ipk_int(env, ipk_pidfd_send_signal(fd, signo));
}

/* exitProcess(code): ends the whole process at once, from any thread
 * (_exit: no atexit handlers, no 'exit' events). gracefulShutdown() in a
 * worker, where process.exit() would end only the worker. */
static napi_value js_exit_process(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t code;
  if (!ipk_get_i32(env, argv[0], &code)) return NULL;
  _exit(code & 0xff);
}

/* fdReadable(fd) -> 1 | 0 | -errno: readable right now, without waiting. */
static napi_value js_fd_readable(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t fd;
  if (!ipk_get_i32(env, argv[0], &fd)) return NULL;
  int r = ipk_io_wait(fd, POLLIN, 0);
  return ipk_int(env, r == -ETIMEDOUT ? 0 : r);
}

void ipk_signal_napi_init(napi_env env, napi_value exports) {
  /* Any Node-API function is in Node's own object (executable or libnode). */
  ipk_sig_set_runtime((const void*)(uintptr_t)&napi_create_int32);
  IPK_EXPORT_FN(env, exports, "signalOpen", js_signal_open);
  IPK_EXPORT_FN(env, exports, "signalClose", js_signal_close);
  IPK_EXPORT_FN(env, exports, "signalSubscribe", js_signal_subscribe);
  IPK_EXPORT_FN(env, exports, "signalUnsubscribe", js_signal_unsubscribe);
  IPK_EXPORT_FN(env, exports, "signalDropped", js_signal_dropped);
  IPK_EXPORT_FN(env, exports, "signalCapacity", js_signal_capacity);
  IPK_EXPORT_FN(env, exports, "signalRetake", js_signal_retake);
  IPK_EXPORT_FN(env, exports, "signalDescribe", js_signal_describe);
  IPK_EXPORT_FN(env, exports, "signalKill", js_signal_kill);
  IPK_EXPORT_FN(env, exports, "signalQueue", js_signal_queue);
  IPK_EXPORT_FN(env, exports, "pidfdOpen", js_pidfd_open);
  IPK_EXPORT_FN(env, exports, "pidfdSendSignal", js_pidfd_send_signal);
  IPK_EXPORT_FN(env, exports, "fdReadable", js_fd_readable);
  IPK_EXPORT_FN(env, exports, "exitProcess", js_exit_process);
  ipk_export_int(env, exports, "SIGRTMIN", ipk_sig_rtmin());
  ipk_export_int(env, exports, "SIGRTMAX", ipk_sig_rtmax());
  ipk_export_int(env, exports, "SIGNAL_MAX", ipk_sig_max());
  ipk_export_int(env, exports, "SIGNAL_RECORD_SIZE", (int64_t)sizeof(ipk_sig_record));
}
