/* Signals without running anything in signal-handler context, and Linux
 * pidfds. Plain C: every function returns 0 (or a value) or -errno.
 *
 * Dispositions are process-wide, Node environments (the main thread and each
 * worker) are many. Each environment that subscribes gets a subscriber slot:
 * the write end of a self-pipe, and the set of signals it wants. ipckit's
 * handler, the same for every signal, writes one fixed-size record to the
 * pipe of each slot that wants the signal, and nothing else; the environment
 * polls the read end on its own event loop and runs JavaScript there.
 *
 * Installing and restoring happens under a mutex. The handler takes no lock:
 * it finds the slots through atomics (see signal.c for the protocol that
 * lets a slot's fd be closed safely while handlers may run on any thread). */
#ifndef IPK_SIGNAL_H
#define IPK_SIGNAL_H

#include "../common/platform.h"

#include <stddef.h>
#include <stdint.h>

/* What the handler writes for each delivery: 32 bytes, so a write is atomic
 * (below PIPE_BUF): a 64 KiB pipe (Linux's default) holds 2,048 of them, a
 * 1 MiB one 32,768. Fields are in the
 * machine's byte order. pid and uid are the sender's when si_code says a
 * process sent it (SI_USER, SI_QUEUE, SI_TKILL), value is si_value.sival_int
 * (sigqueue's value; for SIGCHLD the union holds the child's status there). */
typedef struct ipk_sig_record {
  int32_t signo;
  int32_t code;  /* si_code */
  int32_t pid;   /* si_pid */
  int32_t uid;   /* si_uid */
  int32_t value; /* si_value.sival_int */
  int32_t reserved[3];
} ipk_sig_record;

/* Environments (threads) that can be subscribed at the same time. */
#define IPK_SIG_SLOTS 256

/* The capacity a slot's pipe is enlarged to the first time it is full
 * (Linux; it starts at the kernel's default). */
#define IPK_SIG_PIPE_BYTES (1024 * 1024)

/* Lowest and highest realtime signal as the C library sees them at run time
 * (glibc keeps the first two for its threads); 0 where there are none. */
int ipk_sig_rtmin(void);
int ipk_sig_rtmax(void);
/* Highest valid signal number. */
int ipk_sig_max(void);

/* 0 if ipckit can subscribe to signo. -EINVAL for numbers out of range,
 * signals that cannot be caught (SIGKILL, SIGSTOP), synchronous faults a
 * pipe cannot handle (SIGSEGV, SIGBUS, SIGFPE, SIGILL) and signals the C
 * library reserves. */
int ipk_sig_check(int signo);

/* Creates a subscriber slot owned by `owner` (an opaque tag; the glue uses
 * the environment). Returns the slot index and sets *read_fd to the pipe's
 * read end (close-on-exec, non-blocking; the caller owns it) and *capacity
 * to the pipe's capacity in bytes (0 where it cannot be read). -EMFILE when
 * every slot is taken. */
int ipk_sig_open(void* owner, int* read_fd, int* capacity);

/* Unsubscribes the slot from every signal (restoring dispositions where it
 * was the last subscriber), closes the write end and frees the slot. The
 * read end is the caller's to close, after this. owner NULL: any owner. */
int ipk_sig_close(int slot, void* owner);

/* Adds or removes one signal. Idempotent per slot. The first subscriber of a
 * signal in the process installs ipckit's handler, remembering the action it
 * replaces; the last one puts that action back, but only if ipckit's handler
 * is still the one installed (someone else's later change is left alone).
 * After such a skipped restore, while a handler is installed (which may call
 * ipckit's as the one it replaced), the next first subscriber does not
 * install ipckit's handler over it: that could make the two call each other
 * forever. */
int ipk_sig_subscribe(int slot, void* owner, int signo);
int ipk_sig_unsubscribe(int slot, void* owner, int signo);

/* The main thread calls this when a Node listener for signo was added or
 * removed and signo's action changed meanwhile: libuv installed its handler
 * (first listener) or reset the signal to the default (last listener gone),
 * without regard for ipckit's. While anyone in the process is subscribed,
 * ipckit's handler goes back on top, chaining to libuv's. Returns 1 if it
 * did, 0 if there was nothing to do, or -errno. */
int ipk_sig_retake(int signo);

/* The slot's pipe capacity now, in bytes (0 where it cannot be read). */
int ipk_sig_capacity(int slot);

/* Records that could not be written to the slot's pipe because it was full. */
long ipk_sig_dropped(int slot);

/* Tells the core where the runtime's code is: `fn` is any function of
 * Node's own (the glue passes a Node-API function). Node's start-up
 * handlers, found there, are never chained to, as a Node listener does not
 * call them either (see signal.c). */
void ipk_sig_set_runtime(const void* fn);

/* Describes signo's current action exactly, for tests comparing dispositions
 * before and after: "default|ignore|handler|ipckit <address> flags 0x.. mask
 * 0x.." (mask: signals 1-64, bit n-1 for signal n). Returns the length. */
int ipk_sig_describe(int signo, char* buf, size_t cap);

/* kill(2). */
int ipk_sig_kill(int pid, int signo);

/* sigqueue(3): the signal with an integer value (Linux); -ENOSYS elsewhere. */
int ipk_sig_queue(int pid, int signo, int value);

/* Linux pidfds (5.3 and later). pidfd_open's fd is always close-on-exec.
 * -ENOSYS elsewhere. */
int ipk_pidfd_open(int pid);
int ipk_pidfd_send_signal(int pidfd, int signo);

#endif
