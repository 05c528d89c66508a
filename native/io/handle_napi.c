#include "handle.h"
#include "io.h"
#include "../common/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#define IPK_DEFAULT_MAX_READ (1024 * 1024)

/* Not every pipe honours RWF_NOWAIT (a FIFO opened by path does not, on
 * some kernels). The first EOPNOTSUPP switches the handle to O_NONBLOCK on
 * its open file description, for good (the flags are put back at close),
 * and the caller retries. */
static int nowait_refused(ipk_handle* h, ssize_t r) {
  if (r != -EOPNOTSUPP || h->mode != IPK_IO_NOWAIT || h->fd < 0) return 0;
  int flags = ipk_fd_get_status_flags(h->fd);
  if (flags >= 0 && !(flags & O_NONBLOCK)) {
    ipk_fd_set_nonblock(h->fd, 1);
    h->restore_flags = flags;
  }
  h->mode = IPK_IO_NONBLOCK;
  return 1;
}

/* Runs an I/O expression that uses h->mode, again after a mode switch. */
#define IO(h, r, expr) \
  do {                 \
    (r) = (expr);      \
  } while (nowait_refused((h), (r)))

static void handle_unref_struct(ipk_handle* h) {
  if (--h->refs > 0) return;
  free(h->scratch);
  if (h->ext_free && h->ext) h->ext_free(h->ext);
  free(h);
}

static void list_remove(ipk_handle* h) {
  ipk_env* e = h->owner;
  if (e == NULL) return;
  if (h->prev) h->prev->next = h->next;
  else if (e->handles == h) e->handles = h->next;
  if (h->next) h->next->prev = h->prev;
  h->prev = h->next = NULL;
}

static void set_recv_strong(ipk_handle* h, bool strong) {
  if (h->recv == NULL || h->recv_strong == strong || h->owner == NULL) return;
  uint32_t count;
  if (strong) napi_reference_ref(h->owner->env, h->recv, &count);
  else napi_reference_unref(h->owner->env, h->recv, &count);
  h->recv_strong = strong;
}

static void on_poll_closed(uv_handle_t* p) {
  ipk_handle* h = p->data;
  ipk_env* e = h->owner;
  free(p);
  if (e) ipk_env_close_done(e);
  handle_unref_struct(h);
}

/* Stops watching and forgets the fd. Returns the fd (still open), or -1. */
static int detach(ipk_handle* h) {
  int fd = h->fd;
  if (fd < 0) return -1;
  if (h->poll) {
    /* uv_close stops the watcher (epoll_ctl DEL) before returning, so the fd
     * may be closed right after; the memory goes in the close callback. */
    uv_close((uv_handle_t*)h->poll, on_poll_closed);
    if (h->owner) ipk_env_close_started(h->owner);
    h->poll = NULL;
  }
  h->want = 0;
  h->polling = 0;
  set_recv_strong(h, false);
  if (h->restore_flags >= 0) {
    fcntl(fd, F_SETFL, h->restore_flags);
    h->restore_flags = -1;
  }
  list_remove(h);
  h->fd = -1;
  return fd;
}

void ipk_handles_close_all(ipk_env* e) {
  while (e->handles) {
    int fd = detach(e->handles);
    if (fd >= 0) ipk_fd_close(fd); /* environment exit: we own it, nobody else will */
  }
}

void ipk_handle_emit(ipk_handle* h, int type, napi_value a, napi_value b, napi_value c) {
  if (h->owner == NULL || h->recv == NULL) return;
  napi_env env = h->owner->env;
  napi_value fn, recv;
  if (napi_get_reference_value(env, h->fn, &fn) != napi_ok || fn == NULL) return;
  if (napi_get_reference_value(env, h->recv, &recv) != napi_ok || recv == NULL) return;
  napi_value argv[4] = {ipk_int(env, type), a, b, c};
  if (argv[1] == NULL) argv[1] = ipk_int(env, 0);
  if (argv[2] == NULL) argv[2] = ipk_undefined(env);
  if (argv[3] == NULL) argv[3] = ipk_undefined(env);
  ipk_call(env, h->actx, recv, fn, 4, argv);
}

/* Byte streams: ask the kernel how much is there (FIONREAD) and drain it in
 * one go, in Buffers of at most IPK_READ_PIECE bytes. Small messages get an
 * exact-size Buffer (no large allocation pinned by a few bytes). Large
 * transfers empty the pipe at once, so a writer on the other side wakes once
 * per pipe-full rather than once per page; and pieces of this size come from
 * recycled heap memory, where larger fresh Buffers would cost a page fault
 * per 4 KiB. */

static void stream_read(ipk_handle* h) {
  napi_env env = h->owner->env;
  unsigned char* scratch = h->bulk ? NULL : ipk_env_scratch(h->owner);
  if (scratch != NULL) {
    /* Small reads: one read into the scratch area, one exact-size copy. */
    size_t n = h->max_read < IPK_BULK_READ ? h->max_read : IPK_BULK_READ;
    napi_value buf = NULL;
    ssize_t r;
    if (n == 0) n = 1;
    IO(h, r, ipk_io_read(h->fd, h->mode, scratch, n));
    if (r == -EAGAIN) return;
    if (r > 0) {
      void* d;
      if (napi_create_buffer_copy(env, (size_t)r, scratch, &d, &buf) != napi_ok) r = -ENOMEM;
    }
    if (r >= IPK_BULK_READ) h->bulk = true;
    ipk_handle_emit(h, IPK_EV_READ, ipk_int(env, r), buf, NULL);
    if (r < (ssize_t)n || !h->bulk) return; /* drained, ended or failed */
    if (h->fd < 0 || !(h->want & IPK_EV_READ)) return;
  }
  int avail = ipk_io_available(h->fd);
  if (avail >= 0 && avail < IPK_BULK_READ) h->bulk = false;
  size_t budget = avail > 0 ? (size_t)avail : (avail == 0 ? 0 : IPK_READ_PIECE);
  if (budget > h->max_read) budget = h->max_read;
  if (budget == 0) {
    /* Nothing counted: end of stream, an error, or a spurious wake-up. */
    uint8_t tmp[512];
    napi_value buf = NULL;
    ssize_t r;
    IO(h, r, ipk_io_read(h->fd, h->mode, tmp, sizeof tmp));
    if (r == -EAGAIN) return;
    if (r > 0) {
      void* d;
      if (napi_create_buffer_copy(env, (size_t)r, tmp, &d, &buf) != napi_ok) r = -ENOMEM;
    }
    ipk_handle_emit(h, IPK_EV_READ, ipk_int(env, r), buf, NULL);
    return;
  }
  while (budget > 0 && h->fd >= 0 && (h->want & IPK_EV_READ)) {
    size_t n = budget < IPK_READ_PIECE ? budget : IPK_READ_PIECE;
    void* d;
    napi_value buf;
    ssize_t r;
    if (napi_create_buffer(env, n, &d, &buf) != napi_ok) {
      ipk_handle_emit(h, IPK_EV_READ, ipk_int(env, -ENOMEM), NULL, NULL);
      return;
    }
    IO(h, r, ipk_io_read(h->fd, h->mode, d, n));
    if (r == -EAGAIN) return;
    ipk_handle_emit(h, IPK_EV_READ, ipk_int(env, r), r > 0 ? buf : NULL, NULL);
    if (r < (ssize_t)n) return; /* drained, ended or failed */
    budget -= n;
  }
}

static void on_poll(uv_poll_t* p, int status, int events) {
  ipk_handle* h = p->data;
  if (h == NULL || h->fd < 0 || h->owner == NULL) return;
  napi_env env = h->owner->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  h->refs++; /* JavaScript may close and drop the handle inside a callback */
  h->in_callback = true;

  if (status < 0) {
    /* POLLERR. libuv has stopped the watcher. For a pipe's write end this is
     * "no readers left"; for a socket, a pending error. Report it to each
     * interest once; restarting would spin on a level-triggered error. */
    h->polling = 0;
    if (h->fd >= 0 && (h->want & IPK_EV_READ)) h->read_fn(h);
    if (h->fd >= 0 && (h->want & IPK_EV_READABLE)) {
      h->want &= ~IPK_EV_READABLE;
      ipk_handle_emit(h, IPK_EV_READABLE, NULL, NULL, NULL);
    }
    if (h->fd >= 0 && (h->want & IPK_EV_WRITE)) {
      h->want &= ~IPK_EV_WRITE;
      ipk_handle_emit(h, IPK_EV_WRITE, NULL, NULL, NULL);
    }
    if (h->fd >= 0 && (h->want & IPK_EV_PEER)) {
      h->want &= ~IPK_EV_PEER;
      ipk_handle_emit(h, IPK_EV_PEER, NULL, NULL, NULL);
    }
    if (h->fd >= 0 && h->want == 0) set_recv_strong(h, false);
  } else {
    if (h->fd >= 0 && (events & UV_READABLE) && (h->want & IPK_EV_READ)) h->read_fn(h);
    if (h->fd >= 0 && (events & UV_READABLE) && (h->want & IPK_EV_READABLE)) {
      h->want &= ~IPK_EV_READABLE;
      ipk_handle_update(h);
      ipk_handle_emit(h, IPK_EV_READABLE, NULL, NULL, NULL);
    }
    if (h->fd >= 0 && (events & UV_WRITABLE) && (h->want & IPK_EV_WRITE)) {
      /* One-shot, but disarmed only after the callback: a writer that fills
       * the buffer again asks for the next writability inside it, and then
       * the watcher stays as it is (no epoll_ctl per round). */
      h->want &= ~IPK_EV_WRITE;
      ipk_handle_emit(h, IPK_EV_WRITE, NULL, NULL, NULL);
      if (h->fd >= 0) ipk_handle_update(h);
    }
    /* UV_DISCONNECT is POLLRDHUP, or POLLHUP mixed in by libuv: for a pipe's
     * read end, every writer has closed. */
    if (h->fd >= 0 && (events & UV_DISCONNECT) && (h->want & IPK_EV_PEER)) {
      h->want &= ~IPK_EV_PEER;
      ipk_handle_update(h);
      ipk_handle_emit(h, IPK_EV_PEER, NULL, NULL, NULL);
    }
  }
  h->in_callback = false;
  handle_unref_struct(h);
  napi_close_handle_scope(env, scope);
}

int ipk_handle_update(ipk_handle* h) {
  if (h->fd < 0) return -EBADF;
  if (h->mode == IPK_IO_FILE) return h->want & ~(unsigned)IPK_EV_PEER ? -EPERM : 0;
  int events = 0;
  if (h->want & (IPK_EV_READ | IPK_EV_READABLE)) events |= UV_READABLE;
  if (h->want & IPK_EV_WRITE) events |= UV_WRITABLE;
  if (h->want & IPK_EV_PEER) events |= UV_DISCONNECT;
  if (h->poll == NULL) {
    if (events == 0) return 0;
    uv_poll_t* p = malloc(sizeof(*p));
    if (p == NULL) return -ENOMEM;
    int flags = ipk_fd_get_status_flags(h->fd);
    int r = uv_poll_init(h->owner->loop, p, h->fd);
    if (r != 0) {
      free(p);
      return r; /* libuv errors are -errno on Unix; EEXIST: another watcher owns this fd */
    }
    /* uv_poll_init sets O_NONBLOCK on the open file description, which may be
     * shared with other processes (a child given the same pipe, a shell's
     * terminal). Our I/O is non-blocking per call, so put the flags back. */
    if (flags >= 0 && !(flags & O_NONBLOCK) && h->mode != IPK_IO_NONBLOCK)
      fcntl(h->fd, F_SETFL, flags);
    p->data = h;
    h->poll = p;
    h->refs++; /* dropped in on_poll_closed */
  }
  if (events != (int)h->polling) {
    int r = events ? uv_poll_start(h->poll, events, on_poll) : uv_poll_stop(h->poll);
    if (r != 0) return r;
    h->polling = (unsigned)events;
  }
  /* Any interest keeps the process alive (as a socket being read does),
   * unless the owner called unref(). */
  if (h->want != 0 && h->user_ref)
    uv_ref((uv_handle_t*)h->poll);
  else
    uv_unref((uv_handle_t*)h->poll);
  set_recv_strong(h, h->want != 0);
  return 0;
}

static void handle_finalize(napi_env env, void* data, void* hint) {
  ipk_handle* h = data;
  h->ext_alive = false;
  /* The owner was collected without close(): release the fd it held. */
  int fd = detach(h);
  if (fd >= 0) ipk_fd_close(fd);
  if (h->recv) napi_delete_reference(env, h->recv);
  if (h->fn) napi_delete_reference(env, h->fn);
  if (h->actx) napi_async_destroy(env, h->actx);
  h->recv = h->fn = NULL;
  h->actx = NULL;
  handle_unref_struct(h);
}

ipk_handle* ipk_handle_from(napi_env env, napi_value v) {
  void* p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    ipk_throw_type(env, "expected an ipckit handle");
    return NULL;
  }
  return p;
}

#define HANDLE_ARG(i)                                \
  ipk_handle* h = ipk_handle_from(env, argv[(i)]);   \
  if (h == NULL) return NULL;

/* handleOpen(fd, mode, owner, method, resourceName) -> External
 * mode 0 picks one from the kind of object behind fd. */
static napi_value js_handle_open(napi_env env, napi_callback_info info) {
  IPK_ARGS(5);
  int32_t fd, mode;
  if (!ipk_get_i32(env, argv[0], &fd) || !ipk_get_i32(env, argv[1], &mode)) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[3], &t);
  if (t != napi_function) {
    ipk_throw_type(env, "expected a function");
    return NULL;
  }
  ipk_env* e = ipk_env_get(env);
  int kind = ipk_fd_kind(fd);
  if (kind < 0) return ipk_int(env, kind);
  if (mode == 0) mode = ipk_io_mode_for_kind(kind);
  ipk_handle* h = calloc(1, sizeof(*h));
  if (h == NULL) return ipk_int(env, -ENOMEM);
  h->owner = e;
  h->fd = fd;
  h->mode = mode;
  h->kind = kind;
  h->restore_flags = -1;
  h->user_ref = true;
  h->ext_alive = true;
  h->refs = 1;
  h->max_read = IPK_DEFAULT_MAX_READ;
  h->read_fn = stream_read;
  if (mode == IPK_IO_NONBLOCK) {
    /* Only for kernels without per-call non-blocking pipe I/O. Remember the
     * original flags so that close() and release hand the fd back as found. */
    int flags = ipk_fd_get_status_flags(fd);
    if (flags >= 0 && !(flags & O_NONBLOCK)) {
      ipk_fd_set_nonblock(fd, 1);
      h->restore_flags = flags;
    }
  }
  napi_create_reference(env, argv[2], 0, &h->recv);
  napi_create_reference(env, argv[3], 1, &h->fn);
  napi_async_init(env, argv[2], argv[4], &h->actx);
  napi_value ext;
  if (napi_create_external(env, h, handle_finalize, NULL, &ext) != napi_ok) {
    napi_delete_reference(env, h->recv);
    napi_delete_reference(env, h->fn);
    napi_async_destroy(env, h->actx);
    free(h);
    return NULL;
  }
  h->next = e->handles;
  if (e->handles) e->handles->prev = h;
  e->handles = h;
  return ext;
}

static napi_value js_handle_mode(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  HANDLE_ARG(0);
  return ipk_int(env, h->mode);
}

static napi_value js_handle_kind(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  HANDLE_ARG(0);
  return ipk_int(env, h->kind);
}

static napi_value set_interest(napi_env env, ipk_handle* h, unsigned bit, bool on) {
  if (h->fd < 0) return ipk_int(env, -EBADF);
  unsigned before = h->want;
  if (on) h->want |= bit;
  else h->want &= ~bit;
  int r = ipk_handle_update(h);
  if (r != 0) h->want = before;
  return ipk_int(env, r);
}

/* readStart(h, maxRead) */
static napi_value js_read_start(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  HANDLE_ARG(0);
  int32_t max;
  if (!ipk_get_i32(env, argv[1], &max)) return NULL;
  if (max > 0) h->max_read = (size_t)max;
  return set_interest(env, h, IPK_EV_READ, true);
}

static napi_value js_read_stop(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  HANDLE_ARG(0);
  return set_interest(env, h, IPK_EV_READ, false);
}

static napi_value js_await_readable(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  HANDLE_ARG(0);
  return set_interest(env, h, IPK_EV_READABLE, true);
}

/* tryRead(h, bytes, offset, length) -> n | 0 (end) | -EAGAIN | -errno */
static napi_value js_try_read(napi_env env, napi_callback_info info) {
  IPK_ARGS(4);
  HANDLE_ARG(0);
  uint8_t* data;
  size_t len;
  int32_t off, n;
  if (!ipk_get_bytes(env, argv[1], &data, &len) || !ipk_get_i32(env, argv[2], &off) ||
      !ipk_get_i32(env, argv[3], &n))
    return NULL;
  if (h->fd < 0) return ipk_int(env, -EBADF);
  if (off < 0 || n < 0 || (size_t)off + (size_t)n > len) return ipk_int(env, -EINVAL);
  ssize_t r;
  IO(h, r, ipk_io_read(h->fd, h->mode, data + off, (size_t)n));
  return ipk_int(env, r);
}

static napi_value js_await_writable(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  HANDLE_ARG(0);
  return set_interest(env, h, IPK_EV_WRITE, true);
}

/* watchPeer(h, on) */
static napi_value js_watch_peer(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  HANDLE_ARG(0);
  bool on;
  if (!ipk_get_bool(env, argv[1], &on)) return NULL;
  return set_interest(env, h, IPK_EV_PEER, on);
}

/* setRef(h, on) */
static napi_value js_set_ref(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  HANDLE_ARG(0);
  bool on;
  if (!ipk_get_bool(env, argv[1], &on)) return NULL;
  h->user_ref = on;
  if (h->fd >= 0 && h->poll) ipk_handle_update(h);
  return ipk_undefined(env);
}

/* write(h, bytes, offset, end) -> n | -errno: one non-blocking attempt to
 * write bytes[offset..end). */
static napi_value js_write(napi_env env, napi_callback_info info) {
  IPK_ARGS(4);
  HANDLE_ARG(0);
  uint8_t* data;
  size_t len;
  int32_t off, end;
  if (!ipk_get_bytes(env, argv[1], &data, &len) || !ipk_get_i32(env, argv[2], &off) ||
      !ipk_get_i32(env, argv[3], &end))
    return NULL;
  if (h->fd < 0) return ipk_int(env, -EBADF);
  if (off < 0 || end < off || (size_t)end > len) return ipk_int(env, -EINVAL);
  ssize_t r;
  IO(h, r, ipk_io_write(h->fd, h->mode, data + off, (size_t)(end - off)));
  return ipk_int(env, r);
}

#define IPK_IOV_MAX 1024

/* writev(h, arrayOfBytes, offsetInFirst) -> n | -errno */
static napi_value js_writev(napi_env env, napi_callback_info info) {
  IPK_ARGS(3);
  HANDLE_ARG(0);
  int32_t off;
  if (!ipk_get_i32(env, argv[2], &off)) return NULL;
  bool is_array = false;
  napi_is_array(env, argv[1], &is_array);
  if (!is_array) {
    ipk_throw_type(env, "expected an array");
    return NULL;
  }
  if (h->fd < 0) return ipk_int(env, -EBADF);
  uint32_t count;
  napi_get_array_length(env, argv[1], &count);
  if (count > IPK_IOV_MAX) count = IPK_IOV_MAX;
  struct iovec iov[IPK_IOV_MAX];
  int n = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value el;
    uint8_t* data;
    size_t len;
    if (napi_get_element(env, argv[1], i, &el) != napi_ok) return NULL;
    if (!ipk_get_bytes(env, el, &data, &len)) return NULL;
    if (i == 0) {
      if (off < 0 || (size_t)off > len) return ipk_int(env, -EINVAL);
      data += off;
      len -= (size_t)off;
    }
    if (len == 0) continue;
    iov[n].iov_base = data;
    iov[n].iov_len = len;
    n++;
  }
  if (n == 0) return ipk_int(env, 0);
  ssize_t r;
  IO(h, r, ipk_io_writev(h->fd, h->mode, iov, n));
  return ipk_int(env, r);
}

/* close(h) -> 0 | -errno. Idempotent. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  HANDLE_ARG(0);
  int fd = detach(h);
  return ipk_int(env, fd < 0 ? 0 : ipk_fd_close(fd));
}

/* release(h) -> fd | -EBADF: stop watching and give up ownership. */
static napi_value js_release(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  HANDLE_ARG(0);
  int fd = detach(h);
  return ipk_int(env, fd < 0 ? -EBADF : fd);
}

/* readSync(h, bytes, offset, length, timeoutMs) -> n | -errno */
static napi_value js_read_sync(napi_env env, napi_callback_info info) {
  IPK_ARGS(5);
  HANDLE_ARG(0);
  uint8_t* data;
  size_t len;
  int32_t off, n, timeout;
  if (!ipk_get_bytes(env, argv[1], &data, &len) || !ipk_get_i32(env, argv[2], &off) ||
      !ipk_get_i32(env, argv[3], &n) || !ipk_get_i32(env, argv[4], &timeout))
    return NULL;
  if (h->fd < 0) return ipk_int(env, -EBADF);
  if (off < 0 || n < 0 || (size_t)off + (size_t)n > len) return ipk_int(env, -EINVAL);
  ssize_t r;
  IO(h, r, ipk_io_read_wait(h->fd, h->mode, data + off, (size_t)n, timeout));
  return ipk_int(env, r);
}

/* writeSync(h, bytes, offset, length, timeoutMs, out: Float64Array) -> n | -errno
 * out[0] receives the bytes written, also when an error stopped the loop. */
static napi_value js_write_sync(napi_env env, napi_callback_info info) {
  IPK_ARGS(6);
  HANDLE_ARG(0);
  uint8_t *data, *outp;
  size_t len, outlen;
  int32_t off, n, timeout;
  if (!ipk_get_bytes(env, argv[1], &data, &len) || !ipk_get_i32(env, argv[2], &off) ||
      !ipk_get_i32(env, argv[3], &n) || !ipk_get_i32(env, argv[4], &timeout) ||
      !ipk_get_bytes(env, argv[5], &outp, &outlen))
    return NULL;
  if (h->fd < 0) return ipk_int(env, -EBADF);
  if (off < 0 || n < 0 || (size_t)off + (size_t)n > len || outlen < sizeof(double))
    return ipk_int(env, -EINVAL);
  size_t written = 0;
  ssize_t r;
  IO(h, r, ipk_io_write_all_wait(h->fd, h->mode, data + off, (size_t)n, timeout, &written));
  double w = (double)written;
  memcpy(outp, &w, sizeof w);
  return ipk_int(env, r);
}

/* readNow(h, max) -> Buffer | 0 (end) | -errno: one read, for fds epoll
 * cannot watch (regular files), where a read never waits for long. */
static napi_value js_read_now(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  HANDLE_ARG(0);
  int32_t max;
  if (!ipk_get_i32(env, argv[1], &max)) return NULL;
  if (h->fd < 0) return ipk_int(env, -EBADF);
  if (max <= 0) return ipk_int(env, -EINVAL);
  void* d;
  napi_value buf;
  if (napi_create_buffer(env, (size_t)max, &d, &buf) != napi_ok) return NULL;
  ssize_t r;
  IO(h, r, ipk_io_read_wait(h->fd, h->mode, d, (size_t)max, -1));
  if (r <= 0) return ipk_int(env, r);
  if (r == max) return buf;
  napi_value copy;
  void* c;
  napi_create_buffer_copy(env, (size_t)r, d, &c, &copy);
  return copy;
}

#define IPK_SCRATCH (64 * 1024)

/* readWaitCopy(h, timeoutMs) -> Buffer | 0 (end) | -errno
 * Blocks until data arrives (or the timeout), then returns a Buffer of
 * exactly what one read got. With no timeout on a description left
 * blocking, that is a single read(2), as in C. */
static napi_value js_read_wait_copy(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  HANDLE_ARG(0);
  int32_t timeout;
  if (!ipk_get_i32(env, argv[1], &timeout)) return NULL;
  if (h->fd < 0) return ipk_int(env, -EBADF);
  if (h->scratch == NULL && (h->scratch = malloc(IPK_SCRATCH)) == NULL) return ipk_int(env, -ENOMEM);
  ssize_t r;
  IO(h, r, ipk_io_read_wait(h->fd, h->mode, h->scratch, IPK_SCRATCH, timeout));
  if (r <= 0) return ipk_int(env, r);
  napi_value buf;
  void* d;
  if (napi_create_buffer_copy(env, (size_t)r, h->scratch, &d, &buf) != napi_ok) return NULL;
  return buf;
}

static napi_value js_available(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  HANDLE_ARG(0);
  if (h->fd < 0) return ipk_int(env, -EBADF);
  return ipk_int(env, ipk_io_available(h->fd));
}

void ipk_handle_napi_init(napi_env env, napi_value exports) {
  IPK_EXPORT_FN(env, exports, "handleOpen", js_handle_open);
  IPK_EXPORT_FN(env, exports, "handleMode", js_handle_mode);
  IPK_EXPORT_FN(env, exports, "handleKind", js_handle_kind);
  IPK_EXPORT_FN(env, exports, "readStart", js_read_start);
  IPK_EXPORT_FN(env, exports, "readStop", js_read_stop);
  IPK_EXPORT_FN(env, exports, "awaitWritable", js_await_writable);
  IPK_EXPORT_FN(env, exports, "awaitReadable", js_await_readable);
  IPK_EXPORT_FN(env, exports, "tryRead", js_try_read);
  IPK_EXPORT_FN(env, exports, "watchPeer", js_watch_peer);
  IPK_EXPORT_FN(env, exports, "setRef", js_set_ref);
  IPK_EXPORT_FN(env, exports, "write", js_write);
  IPK_EXPORT_FN(env, exports, "writev", js_writev);
  IPK_EXPORT_FN(env, exports, "close", js_close);
  IPK_EXPORT_FN(env, exports, "release", js_release);
  IPK_EXPORT_FN(env, exports, "readSync", js_read_sync);
  IPK_EXPORT_FN(env, exports, "writeSync", js_write_sync);
  IPK_EXPORT_FN(env, exports, "readNow", js_read_now);
  IPK_EXPORT_FN(env, exports, "readWaitCopy", js_read_wait_copy);
  IPK_EXPORT_FN(env, exports, "available", js_available);
  ipk_export_int(env, exports, "EV_READ", IPK_EV_READ);
  ipk_export_int(env, exports, "EV_WRITE", IPK_EV_WRITE);
  ipk_export_int(env, exports, "EV_PEER", IPK_EV_PEER);
  ipk_export_int(env, exports, "EV_READABLE", IPK_EV_READABLE);
  ipk_export_int(env, exports, "MODE_NOWAIT", IPK_IO_NOWAIT);
  ipk_export_int(env, exports, "MODE_SOCKET", IPK_IO_SOCKET);
  ipk_export_int(env, exports, "MODE_NONBLOCK", IPK_IO_NONBLOCK);
  ipk_export_int(env, exports, "MODE_BLOCKING", IPK_IO_BLOCKING);
  ipk_export_int(env, exports, "MODE_FILE", IPK_IO_FILE);
}
