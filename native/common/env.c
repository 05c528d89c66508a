#include "env.h"

#include <stdlib.h>

static void maybe_finish(ipk_env* e) {
  if (e->tearing_down && e->pending_closes == 0 && e->cleanup != NULL) {
    napi_async_cleanup_hook_handle h = e->cleanup;
    e->cleanup = NULL;
    napi_remove_async_cleanup_hook(h);
  }
}

static void on_env_exit(napi_async_cleanup_hook_handle handle, void* arg) {
  ipk_env* e = arg;
  e->tearing_down = 1;
  ipk_handles_close_all(e);
  maybe_finish(e);
}

static void env_free(napi_env env, void* data, void* hint) {
  free(((ipk_env*)data)->scratch);
  free(data);
}

ipk_env* ipk_env_get(napi_env env) {
  void* p = NULL;
  napi_get_instance_data(env, &p);
  return p;
}

napi_status ipk_env_init(napi_env env) {
  ipk_env* e = calloc(1, sizeof(*e));
  if (e == NULL) return napi_generic_failure;
  e->env = env;
  napi_status s = napi_get_uv_event_loop(env, &e->loop);
  if (s != napi_ok) {
    free(e);
    return s;
  }
  s = napi_set_instance_data(env, e, env_free, NULL);
  if (s != napi_ok) {
    free(e);
    return s;
  }
  return napi_add_async_cleanup_hook(env, on_env_exit, e, &e->cleanup);
}

void ipk_env_close_started(ipk_env* e) { e->pending_closes++; }

void ipk_env_close_done(ipk_env* e) {
  e->pending_closes--;
  maybe_finish(e);
}

unsigned char* ipk_env_scratch(ipk_env* e) {
  if (e->scratch == NULL) e->scratch = malloc(IPK_SCRATCH);
  return e->scratch;
}
