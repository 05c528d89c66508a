#include "uds.h"
#include "../common/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* macOS: SO_NOSIGPIPE is set on each socket instead */
#endif
#ifndef MSG_CMSG_CLOEXEC
#define MSG_CMSG_CLOEXEC 0 /* set afterwards, see ipk_uds_recvmsg */
#endif

int ipk_uds_addr(struct sockaddr_un* out, socklen_t* len, const char* name, size_t name_len, int abstract) {
  memset(out, 0, sizeof(*out));
  out->sun_family = AF_UNIX;
  if (name_len == 0) return -EINVAL;
  if (abstract) {
#if IPK_LINUX
    /* Abstract names may hold any byte, NUL included; they are not
     * NUL-terminated, so the length says where they end. */
    if (name_len + 1 > sizeof(out->sun_path)) return -ENAMETOOLONG;
    out->sun_path[0] = '\0';
    memcpy(out->sun_path + 1, name, name_len);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + name_len);
    return 0;
#else
    return -ENOTSUP;
#endif
  }
  if (memchr(name, '\0', name_len) != NULL) return -EINVAL;
  /* Room for the terminating NUL: a path of exactly sizeof(sun_path) bytes
   * is accepted by some kernels but read back truncated by others. */
  if (name_len + 1 > sizeof(out->sun_path)) return -ENAMETOOLONG;
  memcpy(out->sun_path, name, name_len);
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len + 1);
  return 0;
}

static int sock_type(int type) {
  switch (type) {
    case IPK_UDS_STREAM: return SOCK_STREAM;
    case IPK_UDS_DGRAM: return SOCK_DGRAM;
    case IPK_UDS_SEQPACKET: return SOCK_SEQPACKET;
    default: return -1;
  }
}

#if !IPK_LINUX
/* No SOCK_CLOEXEC: set the flags at once, closing on failure. */
static int finish_socket(int fd, int nonblock) {
  int one = 1;
  if (ipk_fd_set_cloexec(fd, 1) != 0 || (nonblock && ipk_fd_set_nonblock(fd, 1) != 0)) {
    int err = errno;
    close(fd);
    return -err;
  }
#ifdef SO_NOSIGPIPE
  setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  (void)one;
  return fd;
}
#endif

int ipk_uds_socket(int type, int nonblock) {
  int t = sock_type(type);
  if (t < 0) return -EINVAL;
#if IPK_LINUX
  int fd = socket(AF_UNIX, t | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
  return fd < 0 ? -errno : fd;
#else
  int fd = socket(AF_UNIX, t, 0);
  return fd < 0 ? -errno : finish_socket(fd, nonblock);
#endif
}

int ipk_uds_socketpair(int type, int fds[2]) {
  int t = sock_type(type);
  if (t < 0) return -EINVAL;
#if IPK_LINUX
  return socketpair(AF_UNIX, t | SOCK_CLOEXEC, 0, fds) == 0 ? 0 : -errno;
#else
  if (socketpair(AF_UNIX, t, 0, fds) != 0) return -errno;
  int a = finish_socket(fds[0], 0);
  if (a < 0) {
    close(fds[1]);
    return a;
  }
  int b = finish_socket(fds[1], 0);
  if (b < 0) {
    close(fds[0]);
    return b;
  }
  return 0;
#endif
}

/* Widens the socket file just bound at `path` to exactly `mode` when the
 * umask narrowed it. Never through the path itself (another process could
 * have swapped it for a symlink by now): through an O_PATH fd of what is
 * there, checked to be a socket owned by us. Linux only; elsewhere the umask
 * may leave the file narrower than asked, never wider. */
static int widen_to_mode(const char* path, mode_t mode) {
#if IPK_LINUX && defined(O_PATH)
  int pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (pfd < 0) return -errno;
  struct stat st;
  int r = 0;
  if (fstat(pfd, &st) != 0) {
    r = -errno;
  } else if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
    r = -EPERM; /* not the socket we bound */
  } else if ((st.st_mode & 07777) != mode) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
    if (chmod(proc, mode) != 0) r = -errno;
  }
  ipk_fd_close(pfd);
  return r;
#else
  (void)path;
  (void)mode;
  return 0;
#endif
}

int ipk_uds_bind(int fd, const struct sockaddr_un* addr, socklen_t len, int mode) {
  /* Linux and the BSDs create the file from the socket inode's mode, minus
   * the umask: set it first, so the file never exists wider than asked. */
  if (mode >= 0 && fchmod(fd, (mode_t)mode) != 0) return -errno;
  if (bind(fd, (const struct sockaddr*)addr, len) != 0) return -errno;
  if (mode >= 0 && addr->sun_path[0] != '\0') {
    int r = widen_to_mode(addr->sun_path, (mode_t)mode);
    if (r < 0) {
      unlink(addr->sun_path);
      return r;
    }
  }
  return 0;
}

int ipk_uds_listen(int fd, int backlog) { return listen(fd, backlog) == 0 ? 0 : -errno; }

int ipk_uds_accept(int fd) {
  int r;
#if IPK_LINUX
  do {
    r = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  return r;
#else
  do {
    r = accept(fd, NULL, NULL);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  /* accept() may inherit O_NONBLOCK from the listener on BSDs: clear it. */
  ipk_fd_set_nonblock(r, 0);
  return finish_socket(r, 0);
#endif
}

int ipk_uds_connect(int fd, const struct sockaddr_un* addr, socklen_t len) {
  /* Blocking connect(2) on a Unix socket waits while the listener's backlog
   * is full; non-blocking, it says EAGAIN and the caller retries on the
   * event loop. The description goes back to blocking afterwards (our I/O
   * is non-blocking per call). */
  int flags = ipk_fd_get_status_flags(fd);
  if (flags < 0) return flags;
  int on = 1, off = 0;
  if (!(flags & O_NONBLOCK) && ioctl(fd, FIONBIO, &on) != 0) return -errno;
  int r;
  do {
    r = connect(fd, (const struct sockaddr*)addr, len);
  } while (r < 0 && errno == EINTR);
  int err = r < 0 ? errno : 0;
  if (!(flags & O_NONBLOCK)) ioctl(fd, FIONBIO, &off);
  if (err == EWOULDBLOCK || err == EINPROGRESS) return -EAGAIN;
  return -err;
}

int ipk_uds_shutdown(int fd, int how) {
  int h = how == 0 ? SHUT_RD : how == 1 ? SHUT_WR : SHUT_RDWR;
  return shutdown(fd, h) == 0 ? 0 : -errno;
}

int ipk_uds_type(int fd) {
  /* A TCP socket is SOCK_STREAM too: check the family first. */
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr*)&ss, &sl) != 0) return -errno;
  if (ss.ss_family != AF_UNIX) return -EAFNOSUPPORT;
  int t = 0;
  socklen_t l = sizeof t;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l) != 0) return -errno;
  switch (t) {
    case SOCK_STREAM: return IPK_UDS_STREAM;
    case SOCK_DGRAM: return IPK_UDS_DGRAM;
    case SOCK_SEQPACKET: return IPK_UDS_SEQPACKET;
    default: return -EPROTOTYPE;
  }
}

int ipk_uds_peercred(int fd, int64_t* pid, int64_t* uid, int64_t* gid) {
#if defined(SO_PEERCRED) && IPK_LINUX
  struct ucred c;
  socklen_t l = sizeof c;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &l) != 0) return -errno;
  *pid = c.pid;
  *uid = c.uid;
  *gid = c.gid;
  return 0;
#elif IPK_APPLE
  /* getpeereid gives uid/gid; LOCAL_PEERPID the pid (untested here). */
  uid_t u;
  gid_t g;
  if (getpeereid(fd, &u, &g) != 0) return -errno;
  *uid = u;
  *gid = g;
  *pid = -1;
#ifdef LOCAL_PEERPID
  pid_t p;
  socklen_t l = sizeof p;
  if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &p, &l) == 0) *pid = p;
#endif
  return 0;
#else
  uid_t u;
  gid_t g;
  if (getpeereid(fd, &u, &g) != 0) return -errno;
  *uid = u;
  *gid = g;
  *pid = -1;
  return 0;
#endif
}

ssize_t ipk_uds_sendmsg(int fd, const struct iovec* iov, int iovcnt, const int* fds, int nfds,
                        const struct sockaddr_un* to, socklen_t to_len) {
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = (struct iovec*)iov;
  msg.msg_iovlen = iovcnt;
  if (to != NULL) {
    msg.msg_name = (void*)to;
    msg.msg_namelen = to_len;
  }
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * IPK_MAX_FDS)];
  } control;
  if (nfds > 0) {
    if (nfds > IPK_MAX_FDS) return -EINVAL;
    memset(&control, 0, sizeof control);
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  ssize_t r;
  do {
    r = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (r < 0 && errno == EINTR);
  if (r >= 0) return r;
  return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

ssize_t ipk_uds_next_size(int fd) {
#if IPK_LINUX
  char c;
  ssize_t r;
  /* MSG_TRUNC with MSG_PEEK returns the real length of the next message. */
  do {
    r = recv(fd, &c, 1, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
  } while (r < 0 && errno == EINTR);
  if (r >= 0) return r;
  return errno == EWOULDBLOCK ? -EAGAIN : -errno;
#else
  int n = 0;
  /* macOS: FIONREAD on a datagram socket gives the size of the first one. */
  if (ioctl(fd, FIONREAD, &n) != 0) return -errno;
  return n;
#endif
}

static void close_fds(int* fds, int n) {
  for (int i = 0; i < n; i++) ipk_fd_close(fds[i]);
}

ssize_t ipk_uds_recvmsg(int fd, void* buf, size_t len, int* fds, int max_fds, int* nfds,
                        struct sockaddr_un* from, socklen_t* from_len, int blocking) {
  struct msghdr msg;
  struct iovec iov = {buf, len};
  /* Room for more than the limit, so that a sender exceeding it is seen
   * (and refused) rather than silently truncated by the kernel. */
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * (IPK_MAX_FDS + 1))];
  } control;
  int room = max_fds < IPK_MAX_FDS ? max_fds + 1 : IPK_MAX_FDS;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (from != NULL) {
    memset(from, 0, sizeof *from);
    msg.msg_name = from;
    msg.msg_namelen = sizeof *from;
  }
  /* Zeroed before each call: a stale buffer must never be read as fds. */
  memset(control.buf, 0, CMSG_SPACE(sizeof(int) * room));
  msg.msg_control = control.buf;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * room);
  ssize_t r;
  do {
    r = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | (blocking ? 0 : MSG_DONTWAIT));
  } while (r < 0 && errno == EINTR);
  *nfds = 0;
  if (r < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  if (from_len != NULL) *from_len = msg.msg_namelen;
  /* Collect every fd in every SCM_RIGHTS message first, so that each one
   * is either returned or closed on every path below. */
  int got[IPK_MAX_FDS + 1];
  int n = 0, overflow = 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int* p = (int*)(void*)CMSG_DATA(c);
    for (size_t i = 0; i < count; i++) {
      int v;
      memcpy(&v, p + i, sizeof v);
      if (n < IPK_MAX_FDS + 1) {
        got[n++] = v;
      } else {
        ipk_fd_close(v);
        overflow = 1;
      }
    }
  }
#if !IPK_LINUX
  for (int i = 0; i < n; i++) ipk_fd_set_cloexec(got[i], 1);
#endif
  if (msg.msg_flags & MSG_CTRUNC) {
    close_fds(got, n);
    /* The buffer holds one fd more than allowed: filling it means the
     * sender exceeded the limit; anything less is a genuine truncation (no
     * free fd slot here, or a security module dropped some). */
    return n >= room ? -ETOOMANYREFS : IPK_ECTRUNC;
  }
  if (n > max_fds || overflow) {
    close_fds(got, n);
    return -ETOOMANYREFS;
  }
  if (msg.msg_flags & MSG_TRUNC) {
    /* Callers size the buffer from MSG_PEEK|MSG_TRUNC first; a cut message
     * is never returned as if it were whole. */
    close_fds(got, n);
    return -EMSGSIZE;
  }
  memcpy(fds, got, sizeof(int) * n);
  *nfds = n;
  return r;
}

int ipk_uds_lock_dir(const char* path) {
#ifdef O_DIRECTORY
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
#else
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
#endif
  if (fd < 0) return -errno;
  int r;
  do {
    r = flock(fd, LOCK_EX | LOCK_NB);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    int e = errno == EWOULDBLOCK ? EAGAIN : errno;
    ipk_fd_close(fd);
    return -e;
  }
  return fd;
}
