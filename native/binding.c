/* Module entry: sets up per-environment state and lets each primitive add its
 * functions. The addon is context-aware: it loads in every worker thread. */
#include "common/env.h"
#include "io/handle.h"
#include "fifo/fifo_napi.h"
#include "pipe/pipe_napi.h"
#include "uds/uds_napi.h"
#include "signal/signal_napi.h"

static napi_value init(napi_env env, napi_value exports) {
  if (ipk_env_init(env) != napi_ok) {
    napi_throw_error(env, "IPCKIT_NATIVE", "ipckit: could not initialise the native core");
    return NULL;
  }
  ipk_handle_napi_init(env, exports);
  ipk_pipe_napi_init(env, exports);
  ipk_fifo_napi_init(env, exports);
  ipk_uds_napi_init(env, exports);
  ipk_signal_napi_init(env, exports);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
