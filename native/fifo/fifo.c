#include "fifo.h"
#include "../common/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int ipk_fifo_create(const char* path, int mode) {
  if (mkfifo(path, (mode_t)mode) != 0) return -errno;
  /* mkfifo applies the umask, so the FIFO may be narrower than asked (never
   * wider). Set the exact mode through an fd of the FIFO just made, never
   * through the path (which another process could swap for a symlink). */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct stat st;
  int r = 0;
  if (fstat(fd, &st) != 0) {
    r = -errno;
  } else if (!S_ISFIFO(st.st_mode)) {
    r = IPK_ENOTFIFO;
  } else if ((st.st_mode & 07777) != (mode_t)(mode & 07777) && fchmod(fd, (mode_t)mode) != 0) {
    r = -errno;
  }
  ipk_fd_close(fd);
  return r;
}

int ipk_fifo_open(const char* path, int for_write, long* owner) {
  int fd;
  do {
    fd = open(path, (for_write ? O_WRONLY : O_RDONLY) | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return -errno;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    ipk_fd_close(fd);
    return -err;
  }
  if (!S_ISFIFO(st.st_mode)) {
    ipk_fd_close(fd);
    return IPK_ENOTFIFO;
  }
  *owner = (long)st.st_uid;
  ipk_fd_set_nonblock(fd, 0);
  return fd;
}
