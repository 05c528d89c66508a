/* Test observer: until its stdin closes, lstat()s argv[1] as fast as it can
 * and tries to connect() to it. Prints, on one line, how many times it saw
 * the socket file, the union of every permission bit it ever saw on it, and
 * how many connects succeeded:  "seen N bits 0600 connects M". */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  long seen = 0, connects = 0;
  unsigned bits = 0;
  printf("ready\n");
  fflush(stdout);
  for (unsigned long i = 0;; i++) {
    struct stat st;
    if (lstat(argv[1], &st) == 0 && S_ISSOCK(st.st_mode)) {
      seen++;
      bits |= st.st_mode & 07777;
      int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd >= 0) {
        if (connect(fd, (struct sockaddr*)&a, sizeof a) == 0) connects++;
        close(fd);
      }
    }
    if ((i & 255) == 0) {
      struct pollfd p = {0, POLLIN, 0};
      if (poll(&p, 1, 0) > 0) {
        char c;
        if (read(0, &c, 1) <= 0) break;
      }
    }
  }
  printf("seen %ld bits %04o connects %ld\n", seen, bits, connects);
  return 0;
}
