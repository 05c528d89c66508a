/* Baselines for the Unix socket benchmarks, on an inherited socket fd:
 *   uds_msg send    <fd> <count> <size>   one send() per message
 *   uds_msg recv    <fd> <count> <size>   one recv() per message; prints JSON
 *   uds_msg sendfds <fd> <count>          one sendmsg() per fd (1 byte + 1 fd, SCM_RIGHTS)
 *   uds_msg recvfds <fd> <count>          one recvmsg() per fd, closes it; prints JSON
 * Receivers time themselves from the first message to the last and print
 * {"messages":N,"seconds":S}. The fd passed is the sender's stdin. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  const char* role = argv[1];
  int fd = atoi(argv[2]);
  long long count = atoll(argv[3]);
  size_t size = argc > 4 ? (size_t)atol(argv[4]) : 1;
  char* buf = calloc(1, size > 65536 ? size : 65536);
  double t0 = 0;
  if (strcmp(role, "send") == 0) {
    for (long long i = 0; i < count; i++) {
      if (send(fd, buf, size, MSG_NOSIGNAL) != (ssize_t)size) return 1;
    }
    return 0;
  }
  if (strcmp(role, "recv") == 0) {
    for (long long i = 0; i < count; i++) {
      if (recv(fd, buf, 65536, 0) < 0) return 1;
      if (i == 0) t0 = now();
    }
  } else if (strcmp(role, "sendfds") == 0) {
    for (long long i = 0; i < count; i++) {
      char c = 'x';
      struct iovec iov = {&c, 1};
      union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
      } u;
      memset(&u, 0, sizeof u);
      struct msghdr m = {0};
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      m.msg_control = u.b;
      m.msg_controllen = sizeof u.b;
      struct cmsghdr* h = CMSG_FIRSTHDR(&m);
      h->cmsg_level = SOL_SOCKET;
      h->cmsg_type = SCM_RIGHTS;
      h->cmsg_len = CMSG_LEN(sizeof(int));
      int pass = 0;
      memcpy(CMSG_DATA(h), &pass, sizeof pass);
      if (sendmsg(fd, &m, MSG_NOSIGNAL) != 1) return 1;
    }
    return 0;
  } else if (strcmp(role, "recvfds") == 0) {
    for (long long i = 0; i < count; i++) {
      char c;
      struct iovec iov = {&c, 1};
      union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int) * 16)];
      } u;
      struct msghdr m = {0};
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      m.msg_control = u.b;
      m.msg_controllen = sizeof u.b;
      if (recvmsg(fd, &m, MSG_CMSG_CLOEXEC) != 1) return 1;
      if (i == 0) t0 = now();
      for (struct cmsghdr* h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
          int n = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
          for (int k = 0; k < n; k++) {
            int f;
            memcpy(&f, CMSG_DATA(h) + k * sizeof(int), sizeof f);
            close(f);
          }
        }
      }
    }
  } else {
    return 2;
  }
  printf("{\"messages\":%lld,\"seconds\":%.6f}\n", count, now() - t0);
  return 0;
}
