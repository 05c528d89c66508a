/* Anonymous pipes: creation (close-on-exec from the first instant) and
 * capacity. Plain C: 0 / a value, or -errno. */
#ifndef IPK_PIPE_H
#define IPK_PIPE_H

#include "../common/platform.h"

/* fds[0] is the read end, fds[1] the write end. Both are close-on-exec. They
 * are O_NONBLOCK only when the kernel lacks per-call non-blocking pipe I/O. */
int ipk_pipe_create(int fds[2]);
/* Linux: the pipe's capacity in bytes (F_GETPIPE_SZ). */
int ipk_pipe_get_capacity(int fd);
/* Linux: resize (F_SETPIPE_SZ); returns the capacity the kernel chose, which
 * is the request rounded up to a power-of-two number of pages. */
int ipk_pipe_set_capacity(int fd, int bytes);

#endif
