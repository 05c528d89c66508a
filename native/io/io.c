#include "io.h"
#include "../common/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#if IPK_LINUX && defined(RWF_NOWAIT)
#define IPK_HAVE_RWF_NOWAIT 1
#else
#define IPK_HAVE_RWF_NOWAIT 0
#endif

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* macOS: SO_NOSIGPIPE is set on the socket instead. */
#endif

/* ---- SIGPIPE -------------------------------------------------------------
 * write(2) to a pipe without readers raises SIGPIPE in the writing thread
 * before it returns EPIPE. Node ignores SIGPIPE, but a program (or a library
 * that added and removed a 'SIGPIPE' listener) can leave it at SIG_DFL, which
 * kills the process. When the disposition is SIG_DFL we block SIGPIPE for the
 * duration of the write and consume the one we caused, so the caller only
 * ever sees EPIPE. A handler installed by someone else is left to run. */
typedef struct {
  int active;
  int was_pending;
  sigset_t old;
} sigpipe_guard;

static void sigpipe_enter(sigpipe_guard* g) {
  struct sigaction sa;
  g->active = 0;
  if (sigaction(SIGPIPE, NULL, &sa) != 0) return;
  /* SIG_IGN: the kernel drops it. A handler: not fatal, and not ours. */
  if ((sa.sa_flags & SA_SIGINFO) || sa.sa_handler != SIG_DFL) return;
  sigset_t set, pending;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  if (pthread_sigmask(SIG_BLOCK, &set, &g->old) != 0) return;
  g->was_pending = (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE));
  g->active = 1;
}

static void sigpipe_leave(sigpipe_guard* g, int got_epipe) {
  if (!g->active) return;
  if (got_epipe && !g->was_pending) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
#if IPK_APPLE
    int sig;
    sigset_t pending;
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) sigwait(&set, &sig);
#else
    struct timespec zero = {0, 0};
    while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR) {
    }
#endif
  }
  pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* ---- RWF_NOWAIT probe ---------------------------------------------------- */
static int nowait_state = -1; /* -1 unknown, 0 no, 1 yes */

int ipk_io_pipe_nowait_supported(void) {
#if IPK_HAVE_RWF_NOWAIT
  int s = __atomic_load_n(&nowait_state, __ATOMIC_RELAXED);
  if (s >= 0) return s;
  int p[2];
  s = 0;
  if (pipe2(p, O_CLOEXEC) == 0) {
    char c;
    struct iovec iov = {&c, 1};
    /* An empty pipe must answer EAGAIN at once; EOPNOTSUPP means the kernel
     * would have ignored the flag for pipes. */
    ssize_t r = preadv2(p[0], &iov, 1, -1, RWF_NOWAIT);
    s = (r < 0 && errno == EAGAIN) ? 1 : 0;
    close(p[0]);
    close(p[1]);
  }
  __atomic_store_n(&nowait_state, s, __ATOMIC_RELAXED);
  return s;
#else
  return 0;
#endif
}

int ipk_io_mode_for_kind(int kind) {
  switch (kind) {
    case IPK_KIND_FIFO:
      return ipk_io_pipe_nowait_supported() ? IPK_IO_NOWAIT : IPK_IO_NONBLOCK;
    case IPK_KIND_SOCKET:
      return IPK_IO_SOCKET;
    case IPK_KIND_CHAR:
      return IPK_IO_BLOCKING;
    default:
      return IPK_IO_FILE;
  }
}

/* A read of 0 from a pipe or FIFO means "no writer". For a FIFO reader
 * opened before any writer, that is not the end of the stream yet: the
 * kernel reports POLLHUP only once a writer has come and gone. */
static int pipe_really_ended(int fd, int mode) {
  if (mode != IPK_IO_NOWAIT && mode != IPK_IO_NONBLOCK) return 1;
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 0) < 0) return 1;
  return (p.revents & POLLHUP) != 0;
}

/* ---- non-blocking transfer ---------------------------------------------- */
ssize_t ipk_io_read(int fd, int mode, void* buf, size_t len) {
  ssize_t r;
  for (;;) {
    switch (mode) {
#if IPK_HAVE_RWF_NOWAIT
      case IPK_IO_NOWAIT: {
        struct iovec iov = {buf, len};
        r = preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
        break;
      }
#endif
      case IPK_IO_SOCKET:
        r = recv(fd, buf, len, MSG_DONTWAIT);
        break;
      default:
        r = read(fd, buf, len);
        break;
    }
    if (r == 0 && len > 0 && !pipe_really_ended(fd, mode)) return -EAGAIN;
    if (r >= 0) return r;
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return -EAGAIN;
    return -errno;
  }
}

ssize_t ipk_io_writev(int fd, int mode, const struct iovec* iov, int iovcnt) {
  ssize_t r;
  if (mode == IPK_IO_SOCKET) {
    struct msghdr msg = {0};
    msg.msg_iov = (struct iovec*)iov;
    msg.msg_iovlen = iovcnt;
    do {
      r = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    if (r >= 0) return r;
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  }
  sigpipe_guard g;
  sigpipe_enter(&g);
  for (;;) {
#if IPK_HAVE_RWF_NOWAIT
    if (mode == IPK_IO_NOWAIT)
      r = pwritev2(fd, iov, iovcnt, -1, RWF_NOWAIT);
    else
#endif
      r = writev(fd, iov, iovcnt);
    if (r < 0 && errno == EINTR) continue;
    break;
  }
  int err = r < 0 ? errno : 0;
  sigpipe_leave(&g, err == EPIPE);
  if (r >= 0) return r;
  return err == EWOULDBLOCK ? -EAGAIN : -err;
}

ssize_t ipk_io_write(int fd, int mode, const void* buf, size_t len) {
  struct iovec iov = {(void*)buf, len};
  return ipk_io_writev(fd, mode, &iov, 1);
}

int ipk_io_available(int fd) {
  int n = 0;
  if (ioctl(fd, FIONREAD, &n) != 0) return -errno;
  return n;
}

/* ---- blocking variants --------------------------------------------------- */
static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ipk_io_wait(int fd, short events, int timeout_ms) {
  int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
  for (;;) {
    struct pollfd p = {fd, events, 0};
    int wait = -1;
    if (deadline >= 0) {
      int64_t left = deadline - now_ms();
      wait = left > 0 ? (int)left : 0;
    }
    int r = poll(&p, 1, wait);
    if (r > 0) return 1; /* errors and hangups also end the wait: the I/O call reports them */
    if (r == 0) return -ETIMEDOUT;
    if (errno != EINTR) return -errno;
  }
}

static ssize_t read_blocking_once(int fd, int mode, void* buf, size_t len) {
  ssize_t r;
  do {
    r = mode == IPK_IO_SOCKET ? recv(fd, buf, len, 0) : read(fd, buf, len);
  } while (r < 0 && errno == EINTR);
  if (r >= 0) return r;
  return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

ssize_t ipk_io_read_wait(int fd, int mode, void* buf, size_t len, int timeout_ms) {
  int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
  /* Without a deadline, a description we left blocking can simply block in
   * read(2): one syscall, as in C. */
  if (timeout_ms < 0 && mode != IPK_IO_NONBLOCK) {
    ssize_t r = read_blocking_once(fd, mode, buf, len);
    if (r == 0 && len > 0 && !pipe_really_ended(fd, mode)) r = -EAGAIN; /* a FIFO with no writer yet */
    if (r != -EAGAIN) return r;
    /* Someone else set O_NONBLOCK on the shared description, or a FIFO
     * waits for its first writer: poll instead. */
  }
  for (;;) {
    if (mode != IPK_IO_BLOCKING && mode != IPK_IO_FILE) {
      ssize_t r = ipk_io_read(fd, mode, buf, len);
      if (r != -EAGAIN) return r;
    }
    int left = -1;
    if (deadline >= 0) {
      int64_t l = deadline - now_ms();
      if (l <= 0) return -ETIMEDOUT;
      left = (int)l;
    }
    int w = ipk_io_wait(fd, POLLIN, left);
    if (w < 0) return w;
    if (mode == IPK_IO_BLOCKING || mode == IPK_IO_FILE) {
      /* Readable now, so a plain read returns without waiting. */
      ssize_t r = read_blocking_once(fd, mode, buf, len);
      if (r != -EAGAIN) return r;
    }
  }
}

ssize_t ipk_io_write_all_wait(int fd, int mode, const void* buf, size_t len,
                              int timeout_ms, size_t* written) {
  int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
  const char* p = buf;
  size_t done = 0;
  *written = 0;
  while (done < len) {
    ssize_t r = ipk_io_write(fd, mode, p + done, len - done);
    if (r >= 0) {
      done += (size_t)r;
      *written = done;
      continue;
    }
    if (r != -EAGAIN) return r;
    int left = -1;
    if (deadline >= 0) {
      int64_t l = deadline - now_ms();
      if (l <= 0) return -ETIMEDOUT;
      left = (int)l;
    }
    int w = ipk_io_wait(fd, POLLOUT, left);
    if (w < 0) return w;
  }
  return (ssize_t)done;
}
