/* File-descriptor hygiene shared by every primitive: close-on-exec,
 * duplication, classification. Plain C: returns 0 (or a value) or -errno. */
#ifndef IPK_FD_H
#define IPK_FD_H

#include "platform.h"

/* What kind of object an fd refers to (from fstat). */
enum ipk_fd_kind {
  IPK_KIND_UNKNOWN = 0,
  IPK_KIND_FIFO = 1,   /* pipe or FIFO */
  IPK_KIND_SOCKET = 2,
  IPK_KIND_CHAR = 3,   /* tty, /dev/null, ... */
  IPK_KIND_FILE = 4,   /* regular file */
  IPK_KIND_DIR = 5,
  IPK_KIND_OTHER = 6
};

int ipk_fd_kind(int fd);
int ipk_fd_set_cloexec(int fd, int on);
int ipk_fd_get_cloexec(int fd);
/* dup(2) to the lowest free fd >= min_fd, close-on-exec from the first instant. */
int ipk_fd_dup_cloexec(int fd, int min_fd);
int ipk_fd_get_status_flags(int fd);
int ipk_fd_set_nonblock(int fd, int on);
/* close(2) without retrying EINTR: on Linux the fd is gone either way. */
int ipk_fd_close(int fd);

#endif
