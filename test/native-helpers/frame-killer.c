/* Test peer for abrupt death (catalog C24): connects to the Unix stream
 * socket argv[1], writes argv[2] complete frames of the channel wire format
 * (each a 100-byte payload), then the first argv[3] bytes of one more frame,
 * then kills itself with SIGKILL. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void frame(unsigned char* out, uint32_t len, unsigned char fill) {
  out[0] = len & 0xff;
  out[1] = (len >> 8) & 0xff;
  out[2] = (len >> 16) & 0xff;
  out[3] = len >> 24;
  out[4] = 0xa5;
  out[5] = 1;
  uint32_t check = (len ^ (len >> 16) ^ 0x4b49) & 0xffff;
  out[6] = check & 0xff;
  out[7] = check >> 8;
  memset(out + 8, fill, len);
}

static int write_all(int fd, const unsigned char* p, size_t n) {
  while (n > 0) {
    ssize_t r = write(fd, p, n);
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  int complete = atoi(argv[2]);
  int partial = atoi(argv[3]);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) return 1;
  unsigned char f[108];
  for (int i = 0; i < complete; i++) {
    frame(f, 100, (unsigned char)('a' + i % 26));
    if (write_all(fd, f, sizeof f) != 0) return 1;
  }
  frame(f, 100, 'z');
  if (partial > 0 && write_all(fd, f, (size_t)partial) != 0) return 1;
  kill(getpid(), SIGKILL);
  return 3;
}
