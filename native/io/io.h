/* Moving bytes through an fd without ever blocking the event loop, and
 * blocking variants for the synchronous API. Plain C: every function returns
 * a count (>= 0) or -errno. EINTR is retried here and never returned. */
#ifndef IPK_IO_H
#define IPK_IO_H

#include "../common/platform.h"

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* How a handle gets non-blocking behaviour without surprising anyone else who
 * shares the open file description (a child given the same pipe, a shell). */
enum ipk_io_mode {
  /* Pipes and FIFOs: per-call RWF_NOWAIT. The description stays as it was. */
  IPK_IO_NOWAIT = 1,
  /* Sockets: per-call MSG_DONTWAIT, sends with MSG_NOSIGNAL. */
  IPK_IO_SOCKET = 2,
  /* The description carries O_NONBLOCK (kernels without RWF_NOWAIT on pipes). */
  IPK_IO_NONBLOCK = 3,
  /* Terminals and other character devices: read only after readiness is
   * reported, write synchronously (what Node does for TTY stdout). */
  IPK_IO_BLOCKING = 4,
  /* Regular files and other objects epoll cannot watch: synchronous I/O. */
  IPK_IO_FILE = 5
};

/* 1 when this kernel honours RWF_NOWAIT on pipes, 0 when not. Probed once. */
int ipk_io_pipe_nowait_supported(void);

/* The mode to use for an fd of the given ipk_fd_kind. */
int ipk_io_mode_for_kind(int kind);

ssize_t ipk_io_read(int fd, int mode, void* buf, size_t len);
ssize_t ipk_io_write(int fd, int mode, const void* buf, size_t len);
ssize_t ipk_io_writev(int fd, int mode, const struct iovec* iov, int iovcnt);

/* Bytes that can be read now without blocking (FIONREAD), or -errno. */
int ipk_io_available(int fd);

/* Blocking read of at most len bytes; returns as soon as any data is there.
 * timeout_ms < 0 waits forever; on expiry returns -ETIMEDOUT. */
ssize_t ipk_io_read_wait(int fd, int mode, void* buf, size_t len, int timeout_ms);

/* Blocking write of all len bytes. *written receives the count written even
 * when an error ends the loop early. */
ssize_t ipk_io_write_all_wait(int fd, int mode, const void* buf, size_t len,
                              int timeout_ms, size_t* written);

/* Wait until fd is readable (events = POLLIN) or writable (POLLOUT).
 * Returns 1 when ready, -ETIMEDOUT, or -errno. */
int ipk_io_wait(int fd, short events, int timeout_ms);

#endif
