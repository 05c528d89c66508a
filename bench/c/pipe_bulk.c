/* Baseline for the pipe benchmark: the same transfer in C through the same
 * kind of pipe. Roles:
 *   pipe_bulk write <fd> <bytes> <chunk>   write <bytes> to fd in <chunk> writes
 *   pipe_bulk read  <fd> <chunk>           read fd to the end; print JSON
 * The reader times itself from its first byte to the end of stream. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  int fd = atoi(argv[2]);
  if (strcmp(argv[1], "write") == 0) {
    long long total = atoll(argv[3]);
    size_t chunk = (size_t)atol(argv[4]);
    char* buf = malloc(chunk);
    for (size_t i = 0; i < chunk; i++) buf[i] = (char)(i * 7);
    long long sent = 0;
    while (sent < total) {
      size_t n = total - sent < (long long)chunk ? (size_t)(total - sent) : chunk;
      ssize_t r = write(fd, buf, n);
      if (r < 0) return 1;
      sent += r;
    }
    return 0;
  }
  size_t chunk = (size_t)atol(argv[3]);
  char* buf = malloc(chunk);
  long long got = 0;
  double t0 = 0;
  ssize_t r;
  while ((r = read(fd, buf, chunk)) > 0) {
    if (got == 0) t0 = now();
    got += r;
  }
  printf("{\"bytes\":%lld,\"seconds\":%.6f}\n", got, now() - t0);
  return 0;
}
