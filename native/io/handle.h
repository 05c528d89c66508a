/* A pollable fd owned by a JavaScript object. The glue reports readiness to
 * JavaScript and moves bytes when the fd is ready; policy (streams, queues,
 * limits, errors) lives in TypeScript.
 *
 * Lifetime: the struct is shared by the JavaScript External that wraps it and
 * by its uv_poll_t (while open); it is freed when both have let go. */
#ifndef IPK_HANDLE_H
#define IPK_HANDLE_H

#include "../common/env.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Interests and event types reported to JavaScript. */
enum {
  IPK_EV_READ = 1,  /* args: nread (or -errno, 0 = end of stream), buffer */
  IPK_EV_WRITE = 2, /* the fd became writable (one-shot) */
  IPK_EV_PEER = 4,  /* the other side is gone: no writers left for a reader,
                       no readers left for a writer (one-shot) */
  IPK_EV_READABLE = 8 /* the fd became readable; nothing was read (one-shot) */
};

/* The largest Buffer a stream read makes: a readiness drains the fd in pieces
 * of at most this size. Larger fresh buffers cost a page fault per 4 KiB;
 * these the allocator recycles. */
#define IPK_READ_PIECE (64 * 1024)

/* Stream reads have two modes. Normally a readiness reads at most this many
 * bytes into the environment's scratch area and copies what came into an
 * exact-size Buffer: small messages and request/response traffic pay one
 * system call, not two. A read that fills it switches the handle to bulk
 * mode, which asks the kernel how much is there (FIONREAD) and reads it
 * straight into Buffers of its own, with no copy; a readiness with less than
 * this much waiting switches back. (A copy of this size costs about what a
 * system call does; a full 64 KiB copy would cost several.) */
#define IPK_BULK_READ (16 * 1024)

/* Reads on readiness and reports what it got (a module can override it:
 * sockets read messages and file descriptors). */
typedef void (*ipk_read_fn)(ipk_handle* h);

struct ipk_handle {
  ipk_env* owner;
  ipk_handle* prev;
  ipk_handle* next;
  uv_poll_t* poll;        /* NULL until first needed, and again once closing */
  int fd;                 /* -1 once closed or released */
  int mode;               /* enum ipk_io_mode */
  int kind;               /* enum ipk_fd_kind */
  unsigned want;          /* IPK_EV_* interests */
  unsigned polling;       /* UV_* events last passed to uv_poll_start */
  int restore_flags;      /* F_GETFL value to put back at close, or -1 */
  bool user_ref;          /* false after unref(): never keeps the loop alive */
  bool ext_alive;         /* the JavaScript External has not been collected */
  bool recv_strong;
  bool in_callback;
  bool bulk;              /* the last stream read was large: see IPK_BULK_READ */
  int refs;
  size_t max_read;
  ipk_read_fn read_fn;
  uint8_t* scratch;       /* reused buffer for blocking reads (readWaitCopy) */
  void* ext;              /* module-specific data (freed with the handle) */
  void (*ext_free)(void*);
  napi_ref recv;          /* the JavaScript owner: strong while it waits for events */
  napi_ref fn;            /* its event method */
  napi_async_context actx;
};

/* Calls the owner's event method with (type, a, b[, c]). */
void ipk_handle_emit(ipk_handle* h, int type, napi_value a, napi_value b, napi_value c);
/* Fetches the handle behind an External argument; throws if it is not one. */
ipk_handle* ipk_handle_from(napi_env env, napi_value v);
/* Applies h->want to the poller. Returns 0 or -errno. */
int ipk_handle_update(ipk_handle* h);

void ipk_handle_napi_init(napi_env env, napi_value exports);

#endif
