#include "pipe.h"
#include "../io/io.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int ipk_pipe_create(int fds[2]) {
  int nonblock = ipk_io_pipe_nowait_supported() ? 0 : O_NONBLOCK;
#if IPK_LINUX || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
  if (pipe2(fds, O_CLOEXEC | nonblock) != 0) return -errno;
  return 0;
#else
  /* No pipe2 (macOS): set the flags at once and close both ends if that
   * fails, so nothing half-configured escapes. Without pipe2 a concurrent
   * fork in another thread can still inherit them in between. */
  if (pipe(fds) != 0) return -errno;
  for (int i = 0; i < 2; i++) {
    if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0 ||
        (nonblock && fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK) != 0)) {
      int err = errno;
      close(fds[0]);
      close(fds[1]);
      return -err;
    }
  }
  return 0;
#endif
}

int ipk_pipe_get_capacity(int fd) {
#ifdef F_GETPIPE_SZ
  int r = fcntl(fd, F_GETPIPE_SZ);
  return r < 0 ? -errno : r;
#else
  return -ENOTSUP;
#endif
}

int ipk_pipe_set_capacity(int fd, int bytes) {
#ifdef F_SETPIPE_SZ
  int r = fcntl(fd, F_SETPIPE_SZ, bytes);
  return r < 0 ? -errno : r;
#else
  return -ENOTSUP;
#endif
}
