/* Baselines for the channel benchmark: the same frames (8-byte ipckit
 * header, see src/channel/frame.ts) through the same kind of pipe, in C.
 *   chan send <fd> <count> <size>     frames written in 64 KiB batches
 *   chan recv <fd>                    frames parsed and counted; prints JSON
 *   chan echo <rfd> <wfd> <size>      answers each frame with one of its own
 *   chan ping <rfd> <wfd> <count> <size>  round trips; prints JSON */
#define _GNU_SOURCE
#include <stdint.h>
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

static void header(uint8_t* b, uint32_t len) {
  memcpy(b, &len, 4); /* little-endian hosts */
  b[4] = 0xa5;
  b[5] = 1;
  uint16_t check = (uint16_t)((len ^ (len >> 16) ^ 0x4b49) & 0xffff);
  memcpy(b + 6, &check, 2);
}

static int write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t r = write(fd, p, n);
    if (r < 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

static int read_all(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  if (!strcmp(argv[1], "send")) {
    int fd = atoi(argv[2]);
    long count = atol(argv[3]);
    size_t size = (size_t)atol(argv[4]), frame = 8 + size;
    size_t per = 65536 / frame;
    uint8_t* batch = malloc(per * frame);
    for (size_t i = 0; i < per; i++) {
      header(batch + i * frame, (uint32_t)size);
      memset(batch + i * frame + 8, 0x61, size);
    }
    for (long sent = 0; sent < count;) {
      long k = count - sent < (long)per ? count - sent : (long)per;
      if (write_all(fd, batch, (size_t)k * frame)) return 1;
      sent += k;
    }
    return 0;
  }
  if (!strcmp(argv[1], "recv")) {
    int fd = atoi(argv[2]);
    static uint8_t buf[1 << 20];
    size_t have = 0;
    long count = 0;
    double t0 = 0;
    ssize_t r;
    while ((r = read(fd, buf + have, sizeof buf - have)) > 0) {
      if (count == 0 && t0 == 0) t0 = now();
      have += (size_t)r;
      size_t at = 0;
      while (have - at >= 8) {
        uint32_t len;
        memcpy(&len, buf + at, 4);
        if (buf[at + 4] != 0xa5) return 3;
        if (have - at - 8 < len) break;
        at += 8 + len;
        count++;
      }
      memmove(buf, buf + at, have - at);
      have -= at;
    }
    printf("{\"messages\":%ld,\"seconds\":%.6f}\n", count, now() - t0);
    return 0;
  }
  if (!strcmp(argv[1], "echo") || !strcmp(argv[1], "ping")) {
    int rfd = atoi(argv[2]), wfd = atoi(argv[3]);
    int ping = !strcmp(argv[1], "ping");
    long count = ping ? atol(argv[4]) : 0;
    size_t size = (size_t)atol(argv[ping ? 5 : 4]);
    uint8_t* msg = malloc(8 + size);
    uint8_t* in = malloc(8 + size);
    header(msg, (uint32_t)size);
    memset(msg + 8, 0x61, size);
    if (!ping) {
      while (read_all(rfd, in, 8 + size) == 0)
        if (write_all(wfd, msg, 8 + size)) return 1;
      return 0;
    }
    /* warm up, then time */
    for (int i = 0; i < 1000; i++)
      if (write_all(wfd, msg, 8 + size) || read_all(rfd, in, 8 + size)) return 1;
    double t0 = now();
    for (long i = 0; i < count; i++)
      if (write_all(wfd, msg, 8 + size) || read_all(rfd, in, 8 + size)) return 1;
    printf("{\"roundTrips\":%ld,\"seconds\":%.6f}\n", count, now() - t0);
    return 0;
  }
  return 2;
}
