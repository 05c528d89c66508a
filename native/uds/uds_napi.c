/* Glue for Unix domain sockets: socket set-up calls, and readers that the
 * handle module calls on readiness (stream with fds, and messages). */
#include "uds.h"
#include "../common/fd.h"
#include "../io/handle.h"
#include "../io/io.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* Read modes a handle can be switched to (setReadMode). */
enum { IPK_READ_BYTES = 0, IPK_READ_STREAM_FDS = 1, IPK_READ_MESSAGES = 2 };

#define IPK_MSG_BATCH 64

typedef struct {
  int max_fds;
  int want_from;
} uds_read_cfg;

static bool get_name(napi_env env, napi_value v, char* buf, size_t cap, size_t* len) {
  uint8_t* data;
  size_t n;
  if (!ipk_get_bytes(env, v, &data, &n)) return false;
  if (n > cap) n = cap; /* too long for any address: ipk_uds_addr refuses it */
  memcpy(buf, data, n);
  *len = n;
  return true;
}

/* Reads an address argument pair (name bytes, abstract) into addr. */
static int addr_arg(napi_env env, napi_value name, napi_value abs, struct sockaddr_un* addr, socklen_t* len) {
  char buf[sizeof(addr->sun_path) + 8];
  size_t n;
  bool abstract;
  if (!get_name(env, name, buf, sizeof buf, &n) || !ipk_get_bool(env, abs, &abstract)) return INT32_MIN;
  return ipk_uds_addr(addr, len, buf, n, abstract);
}

static napi_value js_socket(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  int32_t type;
  bool nb;
  if (!ipk_get_i32(env, argv[0], &type) || !ipk_get_bool(env, argv[1], &nb)) return NULL;
  return ipk_int(env, ipk_uds_socket(type, nb));
}

static napi_value js_socketpair(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  int32_t type;
  uint8_t* out;
  size_t len;
  if (!ipk_get_i32(env, argv[0], &type) || !ipk_get_bytes(env, argv[1], &out, &len)) return NULL;
  if (len < 2 * sizeof(int)) return ipk_int(env, -EINVAL);
  int fds[2];
  int r = ipk_uds_socketpair(type, fds);
  if (r == 0) memcpy(out, fds, sizeof fds);
  return ipk_int(env, r);
}

/* bind(fd, name, abstract) / connect(fd, name, abstract) */
/* udsBind(fd, name, abstract, mode): mode -1 leaves the umask's default. */
static napi_value js_bind(napi_env env, napi_callback_info info) {
  IPK_ARGS(4);
  int32_t fd, mode;
  if (!ipk_get_i32(env, argv[0], &fd) || !ipk_get_i32(env, argv[3], &mode)) return NULL;
  struct sockaddr_un a;
  socklen_t l;
  int r = addr_arg(env, argv[1], argv[2], &a, &l);
  if (r == INT32_MIN) return NULL;
  if (r < 0) return ipk_int(env, r);
  return ipk_int(env, ipk_uds_bind(fd, &a, l, mode));
}

static napi_value js_connect(napi_env env, napi_callback_info info) {
  IPK_ARGS(3);
  int32_t fd;
  if (!ipk_get_i32(env, argv[0], &fd)) return NULL;
  struct sockaddr_un a;
  socklen_t l;
  int r = addr_arg(env, argv[1], argv[2], &a, &l);
  if (r == INT32_MIN) return NULL;
  if (r < 0) return ipk_int(env, r);
  return ipk_int(env, ipk_uds_connect(fd, &a, l));
}

/* checkAddress(name, abstract) -> 0 | -errno: validation without a socket. */
static napi_value js_check_address(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  struct sockaddr_un a;
  socklen_t l;
  int r = addr_arg(env, argv[0], argv[1], &a, &l);
  if (r == INT32_MIN) return NULL;
  return ipk_int(env, r);
}

static napi_value js_listen(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  int32_t fd, backlog;
  if (!ipk_get_i32(env, argv[0], &fd) || !ipk_get_i32(env, argv[1], &backlog)) return NULL;
  return ipk_int(env, ipk_uds_listen(fd, backlog));
}

static napi_value js_accept(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t fd;
  if (!ipk_get_i32(env, argv[0], &fd)) return NULL;
  return ipk_int(env, ipk_uds_accept(fd));
}

static napi_value js_shutdown(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  int32_t fd, how;
  if (!ipk_get_i32(env, argv[0], &fd) || !ipk_get_i32(env, argv[1], &how)) return NULL;
  return ipk_int(env, ipk_uds_shutdown(fd, how));
}

static napi_value js_sock_type(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  int32_t fd;
  if (!ipk_get_i32(env, argv[0], &fd)) return NULL;
  return ipk_int(env, ipk_uds_type(fd));
}

/* peerCred(fd, out: Float64Array(3)) -> 0 | -errno; out = [pid, uid, gid] */
static napi_value js_peercred(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  int32_t fd;
  uint8_t* out;
  size_t len;
  if (!ipk_get_i32(env, argv[0], &fd) || !ipk_get_bytes(env, argv[1], &out, &len)) return NULL;
  if (len < 3 * sizeof(double)) return ipk_int(env, -EINVAL);
  int64_t pid, uid, gid;
  int r = ipk_uds_peercred(fd, &pid, &uid, &gid);
  if (r == 0) {
    double v[3] = {(double)pid, (double)uid, (double)gid};
    memcpy(out, v, sizeof v);
  }
  return ipk_int(env, r);
}

/* An address as JavaScript sees it: [name: Buffer, abstract: boolean], or
 * undefined for an unnamed socket. */
static napi_value addr_value(napi_env env, const struct sockaddr_un* a, socklen_t len) {
  size_t off = offsetof(struct sockaddr_un, sun_path);
  if (len <= off) return ipk_undefined(env);
  size_t n = len - off;
  napi_value pair, name, abs;
  void* d;
  if (a->sun_path[0] == '\0') {
    napi_create_buffer_copy(env, n - 1, a->sun_path + 1, &d, &name);
    napi_get_boolean(env, true, &abs);
  } else {
    size_t l = strnlen(a->sun_path, n);
    napi_create_buffer_copy(env, l, a->sun_path, &d, &name);
    napi_get_boolean(env, false, &abs);
  }
  napi_create_array_with_length(env, 2, &pair);
  napi_set_element(env, pair, 0, name);
  napi_set_element(env, pair, 1, abs);
  return pair;
}

static napi_value sock_name(napi_env env, napi_callback_info info, int peer) {
  IPK_ARGS(1);
  int32_t fd;
  if (!ipk_get_i32(env, argv[0], &fd)) return NULL;
  struct sockaddr_un a;
  socklen_t l = sizeof a;
  memset(&a, 0, sizeof a);
  int r = peer ? getpeername(fd, (struct sockaddr*)&a, &l) : getsockname(fd, (struct sockaddr*)&a, &l);
  if (r != 0) return ipk_int(env, -errno);
  return addr_value(env, &a, l);
}

static napi_value js_sockname(napi_env env, napi_callback_info info) { return sock_name(env, info, 0); }
static napi_value js_peername(napi_env env, napi_callback_info info) { return sock_name(env, info, 1); }

#define IPK_IOV_MAX 1024

/* send(h, chunks[], offsetInFirst, fds: Int32Array|undefined, toName|undefined, toAbstract)
 * -> bytes sent | -errno. One sendmsg, non-blocking. */
static napi_value js_send(napi_env env, napi_callback_info info) {
  IPK_ARGS(6);
  ipk_handle* h = ipk_handle_from(env, argv[0]);
  if (h == NULL) return NULL;
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
    if (napi_get_element(env, argv[1], i, &el) != napi_ok || !ipk_get_bytes(env, el, &data, &len)) return NULL;
    if (i == 0) {
      if (off < 0 || (size_t)off > len) return ipk_int(env, -EINVAL);
      data += off;
      len -= (size_t)off;
    }
    iov[n].iov_base = data;
    iov[n].iov_len = len;
    n++;
  }
  int fds[IPK_MAX_FDS];
  int nfds = 0;
  napi_valuetype t;
  napi_typeof(env, argv[3], &t);
  if (t != napi_undefined && t != napi_null) {
    uint8_t* fdb;
    size_t fdl;
    if (!ipk_get_bytes(env, argv[3], &fdb, &fdl)) return NULL;
    nfds = (int)(fdl / sizeof(int));
    if (nfds > IPK_MAX_FDS) return ipk_int(env, -EINVAL);
    memcpy(fds, fdb, sizeof(int) * nfds);
  }
  struct sockaddr_un to;
  socklen_t to_len = 0;
  napi_typeof(env, argv[4], &t);
  int has_to = t != napi_undefined && t != napi_null;
  if (has_to) {
    int r = addr_arg(env, argv[4], argv[5], &to, &to_len);
    if (r == INT32_MIN) return NULL;
    if (r < 0) return ipk_int(env, r);
  }
  return ipk_int(env, ipk_uds_sendmsg(h->fd, iov, n, fds, nfds, has_to ? &to : NULL, to_len));
}

static napi_value fds_value(napi_env env, const int* fds, int n) {
  napi_value ab, arr;
  void* d;
  napi_create_arraybuffer(env, sizeof(int) * n, &d, &ab);
  memcpy(d, fds, sizeof(int) * n);
  napi_create_typedarray(env, napi_int32_array, (size_t)n, ab, 0, &arr);
  return arr;
}

/* Stream sockets: like the plain byte reader, but with recvmsg so that
 * passed fds are received (a plain read would make the kernel discard, and
 * close, them). A recvmsg never returns data from both sides of an fd
 * boundary, so the fds belong to the chunk they arrive with.
 * Emits (nread, Buffer, fds: Int32Array|undefined). */
static void uds_stream_read(ipk_handle* h) {
  napi_env env = h->owner->env;
  uds_read_cfg* cfg = h->ext;
  /* Like a pipe: drain what is there in pieces of IPK_READ_PIECE, each a
   * Buffer of its own (small enough for the allocator to recycle; large
   * fresh buffers cost a page fault per 4 KiB). A recvmsg never returns
   * data from both sides of a message that carried fds, so each piece's fds
   * belong to it. */
  unsigned char* scratch = h->bulk ? NULL : ipk_env_scratch(h->owner);
  if (scratch != NULL) {
    /* Small reads (see IPK_BULK_READ): one recvmsg into the scratch area,
     * one exact-size copy. */
    size_t n = h->max_read < IPK_BULK_READ ? h->max_read : IPK_BULK_READ;
    int fds[IPK_MAX_FDS];
    int nfds = 0;
    napi_value buf = NULL;
    if (n == 0) n = 1;
    ssize_t r = ipk_uds_recvmsg(h->fd, scratch, n, fds, cfg ? cfg->max_fds : 0, &nfds, NULL, NULL, 0);
    if (r == -EAGAIN) return;
    if (r > 0) {
      void* d;
      if (napi_create_buffer_copy(env, (size_t)r, scratch, &d, &buf) != napi_ok) {
        for (int i = 0; i < nfds; i++) close(fds[i]);
        ipk_handle_emit(h, IPK_EV_READ, ipk_int(env, -ENOMEM), NULL, NULL);
        return;
      }
    }
    napi_value extra = nfds > 0 ? fds_value(env, fds, nfds) : NULL;
    if (r >= IPK_BULK_READ) h->bulk = true;
    ipk_handle_emit(h, IPK_EV_READ, ipk_int(env, r), buf, extra);
    if (r < (ssize_t)n || !h->bulk) return; /* drained, ended or failed */
    if (h->fd < 0 || !(h->want & IPK_EV_READ)) return;
  }
  int avail = ipk_io_available(h->fd);
  if (avail >= 0 && avail < IPK_BULK_READ) h->bulk = false;
  /* Nothing counted: the end or an error; a small read tells which. */
  size_t budget = avail > 0 ? (size_t)avail : (avail == 0 ? 512 : IPK_READ_PIECE);
  if (budget > h->max_read) budget = h->max_read;
  if (budget == 0) budget = 1;
  while (budget > 0 && h->fd >= 0 && (h->want & IPK_EV_READ)) {
    size_t n = budget < IPK_READ_PIECE ? budget : IPK_READ_PIECE;
    void* d;
    napi_value buf;
    if (napi_create_buffer(env, n, &d, &buf) != napi_ok) {
      ipk_handle_emit(h, IPK_EV_READ, ipk_int(env, -ENOMEM), NULL, NULL);
      return;
    }
    int fds[IPK_MAX_FDS];
    int nfds = 0;
    ssize_t r = ipk_uds_recvmsg(h->fd, d, n, fds, cfg ? cfg->max_fds : 0, &nfds, NULL, NULL, 0);
    if (r == -EAGAIN) return;
    napi_value extra = nfds > 0 ? fds_value(env, fds, nfds) : NULL;
    ipk_handle_emit(h, IPK_EV_READ, ipk_int(env, r), r > 0 ? buf : NULL, extra);
    if (r < (ssize_t)n || r <= 0) return; /* drained, ended or failed */
    budget = budget > (size_t)r ? budget - (size_t)r : 0;
  }
}

/* udsReadInto(h, buffer, offset, length): one non-blocking recvmsg into the
 * caller's buffer -> bytes (0 at the end) | -errno | [bytes, Int32Array fds]
 * when fds came with them. */
static napi_value js_read_into(napi_env env, napi_callback_info info) {
  IPK_ARGS(4);
  ipk_handle* h = ipk_handle_from(env, argv[0]);
  if (h == NULL) return NULL;
  uint8_t* data;
  size_t len;
  int32_t off, n;
  if (!ipk_get_bytes(env, argv[1], &data, &len) || !ipk_get_i32(env, argv[2], &off) || !ipk_get_i32(env, argv[3], &n))
    return NULL;
  if (h->fd < 0) return ipk_int(env, -EBADF);
  if (off < 0 || n <= 0 || (size_t)off + (size_t)n > len) return ipk_int(env, -EINVAL);
  uds_read_cfg* cfg = h->ext;
  int fds[IPK_MAX_FDS];
  int nfds = 0;
  ssize_t r = ipk_uds_recvmsg(h->fd, data + off, (size_t)n, fds, cfg ? cfg->max_fds : 0, &nfds, NULL, NULL, 0);
  if (nfds == 0) return ipk_int(env, r);
  napi_value pair;
  napi_create_array_with_length(env, 2, &pair);
  napi_set_element(env, pair, 0, ipk_int(env, r));
  napi_set_element(env, pair, 1, fds_value(env, fds, nfds));
  return pair;
}

/* True when a zero-length read on a message socket means the peer is gone
 * (a zero-length message is also possible). */
static int peer_gone(int fd) {
  struct pollfd p = {fd, POLLIN
#ifdef POLLRDHUP
                             | POLLRDHUP
#endif
                     , 0};
  if (poll(&p, 1, 0) <= 0) return 0;
  return (p.revents & (POLLHUP
#ifdef POLLRDHUP
                       | POLLRDHUP
#endif
                       )) != 0;
}

/* Datagram and seqpacket sockets: whole messages, each sized first
 * (MSG_PEEK|MSG_TRUNC), so none is ever truncated. Small messages are read
 * into the environment's scratch area and handed over in batches:
 *   emit(count, bytes: Buffer, lengths: Int32Array | [lengths, extras])
 * where the messages lie back to back in `bytes`, and extras (only when
 * some message has fds or a sender address) has, per message, undefined or
 * [fds: Int32Array | undefined, from: [name, abstract] | undefined].
 * A message too large for the scratch area comes alone in a Buffer of its
 * own. count 0 is the end (seqpacket peer closed); < 0 an errno. */
typedef struct {
  uint32_t count;
  size_t used;
  int32_t lens[IPK_MSG_BATCH];
  napi_value extras;
} msg_batch;

static void emit_batch(ipk_handle* h, msg_batch* b, napi_value own) {
  napi_env env = h->owner->env;
  napi_value bytes = own, lens_ab, lens;
  void* d;
  if (bytes == NULL && napi_create_buffer_copy(env, b->used, ipk_env_scratch(h->owner), &d, &bytes) != napi_ok) {
    ipk_handle_emit(h, IPK_EV_READ, ipk_int(env, -ENOMEM), NULL, NULL);
    b->count = 0;
    return;
  }
  napi_create_arraybuffer(env, sizeof(int32_t) * b->count, &d, &lens_ab);
  memcpy(d, b->lens, sizeof(int32_t) * b->count);
  napi_create_typedarray(env, napi_int32_array, b->count, lens_ab, 0, &lens);
  napi_value third = lens;
  if (b->extras != NULL) {
    napi_create_array_with_length(env, 2, &third);
    napi_set_element(env, third, 0, lens);
    napi_set_element(env, third, 1, b->extras);
  }
  uint32_t count = b->count;
  b->count = 0;
  b->used = 0;
  b->extras = NULL;
  ipk_handle_emit(h, IPK_EV_READ, ipk_int(env, (int32_t)count), bytes, third);
}

static void uds_msg_read(ipk_handle* h) {
  napi_env env = h->owner->env;
  uds_read_cfg* cfg = h->ext;
  unsigned char* scratch = ipk_env_scratch(h->owner);
  msg_batch b;
  b.count = 0;
  b.used = 0;
  b.extras = NULL;
  uint32_t taken = 0;
  ssize_t err = 0;
  int ended = 0;
  /* JavaScript may stop reading (backpressure) or close inside an emit. */
  while (h->fd >= 0 && (h->want & IPK_EV_READ) && taken < 4 * IPK_MSG_BATCH) {
    ssize_t size = ipk_uds_next_size(h->fd);
    if (size == -EAGAIN) break;
    if (size < 0) {
      err = size;
      break;
    }
    napi_value own = NULL;
    unsigned char* dst;
    char one;
    if (scratch != NULL && (size_t)size <= IPK_SCRATCH - b.used) {
      dst = size > 0 ? scratch + b.used : (unsigned char*)&one;
    } else if (b.count > 0) {
      emit_batch(h, &b, NULL); /* deliver the small ones first, then this one alone */
      continue;
    } else {
      void* d;
      if (napi_create_buffer(env, (size_t)size, &d, &own) != napi_ok) {
        err = -ENOMEM;
        break;
      }
      dst = d;
    }
    int fds[IPK_MAX_FDS];
    int nfds = 0;
    struct sockaddr_un from;
    socklen_t from_len = 0;
    int want_from = cfg && cfg->want_from;
    ssize_t r = ipk_uds_recvmsg(h->fd, dst, (size_t)size > 0 ? (size_t)size : 0, fds, cfg ? cfg->max_fds : 0, &nfds,
                                want_from ? &from : NULL, want_from ? &from_len : NULL, 0);
    if (r == -EAGAIN) break;
    if (r < 0) {
      err = r;
      break;
    }
    if (r == 0 && size == 0 && nfds == 0 && peer_gone(h->fd)) {
      ended = 1;
      break;
    }
    /* An unbound sender has no address: nothing to hand over. */
    napi_value from_v = want_from && from_len > offsetof(struct sockaddr_un, sun_path) ? addr_value(env, &from, from_len) : NULL;
    if (nfds > 0 || from_v != NULL) {
      if (b.extras == NULL) napi_create_array(env, &b.extras);
      napi_value pair;
      napi_create_array_with_length(env, 2, &pair);
      napi_set_element(env, pair, 0, nfds > 0 ? fds_value(env, fds, nfds) : ipk_undefined(env));
      napi_set_element(env, pair, 1, from_v ? from_v : ipk_undefined(env));
      napi_set_element(env, b.extras, b.count, pair);
    }
    b.lens[b.count++] = (int32_t)r;
    taken++;
    if (own != NULL) {
      emit_batch(h, &b, own);
    } else {
      b.used += (size_t)r;
      if (b.count == IPK_MSG_BATCH) emit_batch(h, &b, NULL);
    }
  }
  if (b.count > 0 && h->fd >= 0) emit_batch(h, &b, NULL);
  if (h->fd < 0) return;
  if (ended) ipk_handle_emit(h, IPK_EV_READ, ipk_int(env, 0), NULL, NULL);
  else if (err != 0) ipk_handle_emit(h, IPK_EV_READ, ipk_int(env, (int32_t)err), NULL, NULL);
}

/* udsLockDir(path) -> fd | -EAGAIN | -errno */
static napi_value js_lock_dir(napi_env env, napi_callback_info info) {
  IPK_ARGS(1);
  char path[4096];
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) {
    ipk_throw_type(env, "expected a path");
    return NULL;
  }
  if (len >= sizeof path - 1) return ipk_int(env, -ENAMETOOLONG);
  return ipk_int(env, ipk_uds_lock_dir(path));
}

/* udsSendBytes(h, bytes) -> bytes sent | -errno: one whole message, no fds,
 * to the connected peer (the common case of send(), without the general
 * call's arrays). */
static napi_value js_send_bytes(napi_env env, napi_callback_info info) {
  IPK_ARGS(2);
  ipk_handle* h = ipk_handle_from(env, argv[0]);
  if (h == NULL) return NULL;
  uint8_t* data;
  size_t len;
  if (!ipk_get_bytes(env, argv[1], &data, &len)) return NULL;
  if (h->fd < 0) return ipk_int(env, -EBADF);
  struct iovec iov = {data, len};
  return ipk_int(env, (int32_t)ipk_uds_sendmsg(h->fd, &iov, 1, NULL, 0, NULL, 0));
}

/* setReadMode(h, mode, maxFds, wantFrom) */
static napi_value js_set_read_mode(napi_env env, napi_callback_info info) {
  IPK_ARGS(4);
  ipk_handle* h = ipk_handle_from(env, argv[0]);
  if (h == NULL) return NULL;
  int32_t mode, max_fds;
  bool from;
  if (!ipk_get_i32(env, argv[1], &mode) || !ipk_get_i32(env, argv[2], &max_fds) || !ipk_get_bool(env, argv[3], &from))
    return NULL;
  if (max_fds < 0 || max_fds > IPK_MAX_FDS) return ipk_int(env, -EINVAL);
  if (h->ext == NULL) {
    h->ext = calloc(1, sizeof(uds_read_cfg));
    if (h->ext == NULL) return ipk_int(env, -ENOMEM);
    h->ext_free = free;
  }
  uds_read_cfg* cfg = h->ext;
  cfg->max_fds = max_fds;
  cfg->want_from = from;
  h->read_fn = mode == IPK_READ_STREAM_FDS ? uds_stream_read : mode == IPK_READ_MESSAGES ? uds_msg_read : h->read_fn;
  return ipk_int(env, 0);
}

void ipk_uds_napi_init(napi_env env, napi_value exports) {
  IPK_EXPORT_FN(env, exports, "udsSocket", js_socket);
  IPK_EXPORT_FN(env, exports, "udsSocketPair", js_socketpair);
  IPK_EXPORT_FN(env, exports, "udsBind", js_bind);
  IPK_EXPORT_FN(env, exports, "udsConnect", js_connect);
  IPK_EXPORT_FN(env, exports, "udsCheckAddress", js_check_address);
  IPK_EXPORT_FN(env, exports, "udsListen", js_listen);
  IPK_EXPORT_FN(env, exports, "udsAccept", js_accept);
  IPK_EXPORT_FN(env, exports, "udsShutdown", js_shutdown);
  IPK_EXPORT_FN(env, exports, "udsType", js_sock_type);
  IPK_EXPORT_FN(env, exports, "udsReadInto", js_read_into);
  IPK_EXPORT_FN(env, exports, "udsSendBytes", js_send_bytes);
  IPK_EXPORT_FN(env, exports, "udsLockDir", js_lock_dir);
  IPK_EXPORT_FN(env, exports, "udsPeerCred", js_peercred);
  IPK_EXPORT_FN(env, exports, "udsSockName", js_sockname);
  IPK_EXPORT_FN(env, exports, "udsPeerName", js_peername);
  IPK_EXPORT_FN(env, exports, "udsSend", js_send);
  IPK_EXPORT_FN(env, exports, "setReadMode", js_set_read_mode);
  ipk_export_int(env, exports, "UDS_STREAM", IPK_UDS_STREAM);
  ipk_export_int(env, exports, "UDS_DGRAM", IPK_UDS_DGRAM);
  ipk_export_int(env, exports, "UDS_SEQPACKET", IPK_UDS_SEQPACKET);
  ipk_export_int(env, exports, "READ_BYTES", IPK_READ_BYTES);
  ipk_export_int(env, exports, "READ_STREAM_FDS", IPK_READ_STREAM_FDS);
  ipk_export_int(env, exports, "READ_MESSAGES", IPK_READ_MESSAGES);
  ipk_export_int(env, exports, "MAX_FDS", IPK_MAX_FDS);
  ipk_export_int(env, exports, "ECTRUNC", IPK_ECTRUNC);
  ipk_export_int(env, exports, "EPARTIAL", IPK_EPARTIAL);
  ipk_export_int(env, exports, "SUN_PATH_MAX", (int)sizeof(((struct sockaddr_un*)0)->sun_path) - 1);
}
