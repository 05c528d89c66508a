/* Per-Node-environment state (one per main thread or worker thread). Every
 * live handle is registered here so that when the environment exits, an async
 * cleanup hook closes it and its uv_poll before libuv's loop is torn down:
 * a worker whose loop still holds an open handle would abort at exit. */
#ifndef IPK_ENV_H
#define IPK_ENV_H

#include "napi_util.h"

#include <uv.h>

typedef struct ipk_handle ipk_handle;

typedef struct ipk_env {
  napi_env env;
  uv_loop_t* loop;
  ipk_handle* handles;         /* doubly linked list of handles with an open fd */
  int pending_closes;          /* uv_close calls whose callback has not run yet */
  int tearing_down;
  napi_async_cleanup_hook_handle cleanup;
  unsigned char* scratch;      /* IPK_SCRATCH bytes for batched message reads, made on first use */
} ipk_env;

/* Size of an environment's scratch area: small messages are read into it and
 * copied out in one Buffer per batch. */
#define IPK_SCRATCH (64 * 1024)

/* The environment's scratch area, or NULL when out of memory. */
unsigned char* ipk_env_scratch(ipk_env* e);

ipk_env* ipk_env_get(napi_env env);
napi_status ipk_env_init(napi_env env);

/* Bookkeeping for uv handles closed by any module. */
void ipk_env_close_started(ipk_env* e);
void ipk_env_close_done(ipk_env* e);

/* Implemented by the handle module: closes every live handle of e. */
void ipk_handles_close_all(ipk_env* e);

#endif
