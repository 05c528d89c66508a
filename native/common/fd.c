#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int ipk_fd_kind(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  if (S_ISFIFO(st.st_mode)) return IPK_KIND_FIFO;
  if (S_ISSOCK(st.st_mode)) return IPK_KIND_SOCKET;
  if (S_ISCHR(st.st_mode)) return IPK_KIND_CHAR;
  if (S_ISREG(st.st_mode)) return IPK_KIND_FILE;
  if (S_ISDIR(st.st_mode)) return IPK_KIND_DIR;
  return IPK_KIND_OTHER;
}

int ipk_fd_set_cloexec(int fd, int on) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return -errno;
  int want = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  if (want != flags && fcntl(fd, F_SETFD, want) != 0) return -errno;
  return 0;
}

int ipk_fd_get_cloexec(int fd) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return -errno;
  return (flags & FD_CLOEXEC) ? 1 : 0;
}

int ipk_fd_dup_cloexec(int fd, int min_fd) {
  int r = fcntl(fd, F_DUPFD_CLOEXEC, min_fd < 0 ? 0 : min_fd);
  return r < 0 ? -errno : r;
}

int ipk_fd_get_status_flags(int fd) {
  int flags = fcntl(fd, F_GETFL);
  return flags < 0 ? -errno : flags;
}

int ipk_fd_set_nonblock(int fd, int on) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;
  int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (want != flags && fcntl(fd, F_SETFL, want) != 0) return -errno;
  return 0;
}

int ipk_fd_close(int fd) {
  /* POSIX leaves the fd state unspecified after EINTR; Linux always releases
   * it, so a retry could close an fd another thread has just opened. */
  if (close(fd) != 0 && errno != EINTR) return -errno;
  return 0;
}
