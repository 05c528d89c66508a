#include "signal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if IPK_LINUX
#include <sys/syscall.h>
#endif

#define IPK_SIG_TABLE NSIG /* signal numbers 1 .. NSIG-1 */
#define IPK_SIG_WORDS ((IPK_SIG_TABLE + 31) / 32)

/* ---- the state the handler reads ------------------------------------------
 * Everything the handler touches is read with atomics (int-sized and
 * pointer-sized, lock-free everywhere), never under a lock: a handler that
 * interrupted a thread holding the mutex would deadlock.
 *
 * Closing a slot's fd safely: the handler increments the slot's `busy`, then
 * loads its fd, writes, and decrements `busy`. The closer stores "no fd",
 * then waits until `busy` is 0, and only then closes. Both sides use
 * sequentially consistent operations, so either the handler sees "no fd", or
 * the closer sees it busy and waits for it to finish its write. Without this
 * a handler could write a record into an unrelated file that reused the
 * closed fd number. The wait is for one non-blocking write(2) at most. */
typedef struct {
  int wfd1;                         /* atomic: write end + 1; 0 = none */
  int busy;                         /* atomic: handlers inside this slot */
  uint32_t mask[IPK_SIG_WORDS];     /* atomic bits: signal n is bit n-1 */
  unsigned long dropped;            /* atomic: records lost to a full pipe */
  int grown;                        /* atomic: a full pipe was enlarged (or that was tried) */
  void* owner;                      /* under the mutex: NULL = free */
} sig_slot;

/* What the handler calls after writing the records: the action it replaced.
 * Immutable once published, never freed (a handler may still be reading an
 * old one), and shared between installs with the same function, so the set
 * grows only with the number of distinct handlers ever replaced. */
typedef struct chain_node {
  void* fn;
  int siginfo; /* called as sa_sigaction (3 arguments) rather than sa_handler */
  struct chain_node* next;
} chain_node;

/* The kernel's own record of an action. glibc's sigaction() adds
 * SA_RESTORER and its restorer to every action it sets, so putting back
 * through it an action the kernel started with (SIG_DFL, flags 0) would not
 * give back the same flags. Where glibc does that, ipckit reads the action
 * with the raw system call before replacing it and restores it the same
 * way, byte for byte. These are the ABIs with a restorer (SA_RESTORER, which
 * glibc does not export); the layout is rt_sigaction's struct there. */
#if IPK_LINUX && defined(SYS_rt_sigaction) && \
    ((defined(__x86_64__) && !defined(__ILP32__)) || defined(__i386__) || defined(__arm__))
#define IPK_RAW_SIGACTION 1
typedef struct {
  void* handler;
  unsigned long flags;
  void* restorer;
  /* 64 signals, as longs: a uint64_t would be aligned to 8 on 32-bit ARM,
   * where the kernel's mask follows the restorer at offset 12. */
  unsigned long mask[8 / sizeof(unsigned long)];
} raw_action;

static int raw_sigaction(int signo, const raw_action* act, raw_action* old) {
  return syscall(SYS_rt_sigaction, signo, act, old, (size_t)8) == 0 ? 0 : -errno;
}
#else
#define IPK_RAW_SIGACTION 0
#endif

typedef struct {
  chain_node* chain;      /* atomic: NULL = nothing to chain to */
  /* under the mutex: */
  int installed;          /* ipckit's handler was installed by us and not yet restored */
  /* The last unsubscribe found someone else's handler on top and left it:
   * ipckit's handler may still be called through theirs (a second copy of
   * ipckit, or any handler that chains to the one it replaced). */
  int orphaned;
  int nslots;             /* slots subscribed */
  struct sigaction prev;  /* the action ipckit's handler replaced */
#if IPK_RAW_SIGACTION
  int raw_valid;          /* raw_prev is that same action, as the kernel holds it */
  raw_action raw_prev;
#endif
} sig_entry;

static sig_slot slots[IPK_SIG_SLOTS];
static int slots_hw; /* atomic: slots [0, slots_hw) may be in use */
static sig_entry sigs[IPK_SIG_TABLE];
static chain_node* chain_nodes; /* under the mutex */
static const void* runtime_fn;  /* atomic: a function of the runtime (Node) */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void on_signal(int signo, siginfo_t* info, void* uctx);

/* ---- numbers ------------------------------------------------------------- */
int ipk_sig_rtmin(void) {
#ifdef SIGRTMIN
  return SIGRTMIN;
#else
  return 0;
#endif
}

int ipk_sig_rtmax(void) {
#ifdef SIGRTMAX
  return SIGRTMAX;
#else
  return 0;
#endif
}

int ipk_sig_max(void) {
  int rt = ipk_sig_rtmax();
  int max = rt > 0 ? rt : 31;
  return max < IPK_SIG_TABLE ? max : IPK_SIG_TABLE - 1;
}

int ipk_sig_check(int signo) {
  if (signo < 1 || signo > ipk_sig_max()) return -EINVAL;
  switch (signo) {
    case SIGKILL: case SIGSTOP: /* cannot be caught */
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: /* synchronous faults */
      return -EINVAL;
    default:
      break;
  }
  /* Between the classic signals and SIGRTMIN: glibc's own (thread cancel,
   * setxid). Taking them over would break the C library. */
  int rtmin = ipk_sig_rtmin();
  if (rtmin > 0 && signo > 31 && signo < rtmin) return -EINVAL;
  return 0;
}

/* ---- the handler ----------------------------------------------------------
 * Async-signal-safe only: atomics, write(2), fcntl(2), errno saved and
 * restored. */

static ssize_t write_record(int fd, const ipk_sig_record* rec) {
  ssize_t r;
  do {
    r = write(fd, rec, sizeof *rec);
  } while (r < 0 && errno == EINTR);
  return r;
}

/* A slot's pipe starts at the kernel's default size: enlarging every one
 * would spend the per-user pipe budget (pipe-user-pages-soft, 16,384 pages:
 * 64 pipes of 1 MiB), after which every new pipe of that user, anywhere, is
 * created small. The first time a pipe is full, its thread's event loop
 * has been blocked for a while (or realtime signals came in a burst):
 * enlarge it then, once, to IPK_SIG_PIPE_BYTES or the largest power of two
 * below it that the kernel allows (unprivileged: up to pipe-max-size, and
 * not at all past the budget). Never smaller than it is. */
static void grow_pipe(int fd) {
#ifdef F_SETPIPE_SZ
  int cur = fcntl(fd, F_GETPIPE_SZ);
  if (cur <= 0) return;
  for (int size = IPK_SIG_PIPE_BYTES; size > cur; size /= 2)
    if (fcntl(fd, F_SETPIPE_SZ, size) >= 0) return;
#else
  (void)fd;
#endif
}

static void on_signal(int signo, siginfo_t* info, void* uctx) {
  int saved = errno;
  ipk_sig_record rec;
  memset(&rec, 0, sizeof rec);
  rec.signo = signo;
  if (info != NULL) {
    rec.code = info->si_code;
    rec.pid = (int32_t)info->si_pid;
    rec.uid = (int32_t)info->si_uid;
    rec.value = info->si_value.sival_int;
  }
  if (signo > 0 && signo < IPK_SIG_TABLE) {
    uint32_t bit = 1u << ((signo - 1) % 32);
    int word = (signo - 1) / 32;
    int hw = __atomic_load_n(&slots_hw, __ATOMIC_ACQUIRE);
    for (int i = 0; i < hw; i++) {
      sig_slot* s = &slots[i];
      __atomic_fetch_add(&s->busy, 1, __ATOMIC_SEQ_CST);
      if (__atomic_load_n(&s->mask[word], __ATOMIC_SEQ_CST) & bit) {
        int fd = __atomic_load_n(&s->wfd1, __ATOMIC_SEQ_CST) - 1;
        if (fd >= 0) {
          ssize_t r = write_record(fd, &rec);
          /* EAGAIN: the pipe is full. The environment is not reading (its
           * thread is busy). Enlarge the pipe the first time; then count
           * the loss rather than block a thread. (Inside the busy section:
           * the fd stays open.) */
          if (r < 0 && errno == EAGAIN && __atomic_exchange_n(&s->grown, 1, __ATOMIC_SEQ_CST) == 0) {
            grow_pipe(fd);
            r = write_record(fd, &rec);
          }
          if (r != (ssize_t)sizeof rec) __atomic_fetch_add(&s->dropped, 1, __ATOMIC_RELAXED);
        }
      }
      __atomic_fetch_sub(&s->busy, 1, __ATOMIC_SEQ_CST);
    }
    /* Outside every slot's busy section: a chained handler may take long
     * (or never return, with longjmp) without holding up a close. */
    chain_node* c = __atomic_load_n(&sigs[signo].chain, __ATOMIC_ACQUIRE);
    if (c != NULL) {
      errno = saved;
      if (c->siginfo)
        ((void (*)(int, siginfo_t*, void*))c->fn)(signo, info, uctx);
      else
        ((void (*)(int))c->fn)(signo);
    }
  }
  errno = saved;
}

/* ---- installing and restoring (under the mutex) ------------------------- */
static void* action_fn(const struct sigaction* sa, int* siginfo) {
  *siginfo = (sa->sa_flags & SA_SIGINFO) != 0;
  return *siginfo ? (void*)sa->sa_sigaction : (void*)sa->sa_handler;
}

static int is_ours(const struct sigaction* sa) {
  return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == on_signal;
}

/* One of Node's start-up handlers: SIGINT and SIGTERM (restore the
 * terminal, then die of the signal) and SIGUSR1 (start the inspector).
 * Node installs them with flags 0 or SA_RESETHAND. They are told apart by
 * where their code is, in the runtime's own object (the executable, or
 * libnode), and by the missing SA_RESTART: libuv, linked into the same
 * object, always sets SA_RESTART (its handler is a Node listener's, which
 * must be chained). A third-party library's handler is in its own object. */
static int is_runtime_startup(void* fn, const struct sigaction* sa) {
  const void* rt = __atomic_load_n(&runtime_fn, __ATOMIC_ACQUIRE);
  if (rt == NULL || (sa->sa_flags & SA_RESTART)) return 0;
  Dl_info in_fn, in_rt;
  if (dladdr(fn, &in_fn) == 0 || dladdr(rt, &in_rt) == 0) return 0;
  return in_fn.dli_fbase != NULL && in_fn.dli_fbase == in_rt.dli_fbase;
}

/* The node to chain to after ipckit's handler replaced `prev`, or NULL:
 * - SIG_DFL and SIG_IGN: subscribing means handling the signal instead (as
 *   a Node listener does), so the default action no longer happens.
 * - SA_RESETHAND: a one-shot handler stands for the default action. Node's
 *   own SIGINT/SIGTERM handler is one: it restores the terminal, then dies
 *   of the signal, which is what a subscriber asked not to happen.
 * - Node's start-up handlers (is_runtime_startup): a Node listener replaces
 *   them too, rather than calling them.
 * Anything else (libuv's, for a Node listener; another library's) is called
 * after ipckit's records are written, so it keeps working. */
static chain_node* chain_for(int signo, const struct sigaction* prev) {
  (void)signo;
  int siginfo;
  void* fn = action_fn(prev, &siginfo);
  if (!siginfo && (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN)) return NULL;
  if (fn == NULL || is_ours(prev)) return NULL;
  if (prev->sa_flags & SA_RESETHAND) return NULL;
  if (is_runtime_startup(fn, prev)) return NULL;
  for (chain_node* n = chain_nodes; n != NULL; n = n->next)
    if (n->fn == fn && n->siginfo == siginfo) return n;
  chain_node* n = calloc(1, sizeof *n);
  if (n == NULL) return NULL; /* no chaining rather than no subscription */
  n->fn = fn;
  n->siginfo = siginfo;
  n->next = chain_nodes;
  chain_nodes = n;
  return n;
}

/* Once ipckit's handler is installed, its address may stay reachable for
 * as long as the process lives: through the action of a signal nobody
 * restored, or through another handler that chains to it (a second copy of
 * ipckit installed on top). Node unloads an addon when every environment
 * that loaded it has ended (a program that uses ipckit only in workers),
 * and a signal would then jump into unmapped memory, or into whatever was
 * mapped there since. So the first install pins the library: reopened with
 * RTLD_NODELETE, it is never unloaded. RTLD_NOLOAD: only the object already
 * loaded, by the name the loader knows it by. Failing that, the install
 * goes ahead (a worker-only program could still unload it). */
static void pin_locked(void) {
  static int pinned;
  if (pinned) return;
  Dl_info info;
  if (dladdr((void*)on_signal, &info) == 0 || info.dli_fname == NULL) return;
  if (dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) != NULL) pinned = 1;
}

static int install_locked(int signo) {
  sig_entry* e = &sigs[signo];
  pin_locked();
  struct sigaction before, ours, prev;
#if IPK_RAW_SIGACTION
  raw_action raw;
  int raw_ok = raw_sigaction(signo, NULL, &raw) == 0;
#endif
  if (sigaction(signo, NULL, &before) != 0) return -errno;
  /* The chain must be in place before the handler can run. */
  chain_node* chain = chain_for(signo, &before);
  __atomic_store_n(&e->chain, chain, __ATOMIC_RELEASE);
  memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = on_signal;
  /* Restart interrupted system calls, as libuv does, unless the handler we
   * chain to was installed to interrupt them (no SA_RESTART), or to run on
   * an alternate stack: it keeps the conditions it was written for. */
  ours.sa_flags = SA_SIGINFO | (chain != NULL ? before.sa_flags & (SA_RESTART | SA_ONSTACK) : SA_RESTART);
  /* Block everything while it runs, as libuv does: the handler and the one it
   * chains to never nest. */
  sigfillset(&ours.sa_mask);
  /* Read and replace in one call: `prev` is exactly what was replaced, even
   * if another thread changed it since `before` was read. */
  if (sigaction(signo, &ours, &prev) != 0) return -errno;
  /* What the chain depends on: the function and the flags. (Not memcmp: the
   * C library fills only part of sa_mask, and the rest is stale stack.) */
  int si_before, si_prev;
  if (action_fn(&prev, &si_prev) != action_fn(&before, &si_before) || si_prev != si_before || prev.sa_flags != before.sa_flags)
    __atomic_store_n(&e->chain, chain_for(signo, &prev), __ATOMIC_RELEASE);
  e->prev = prev;
#if IPK_RAW_SIGACTION
  /* Usable only if nobody changed the action between the two reads. */
  int siginfo;
  e->raw_valid = raw_ok && raw.handler == action_fn(&prev, &siginfo) &&
                 raw.flags == (unsigned long)(unsigned int)prev.sa_flags;
  e->raw_prev = raw;
#endif
  e->installed = 1;
  return 0;
}

static int is_handler(const struct sigaction* sa) {
  return (sa->sa_flags & SA_SIGINFO) || (sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN);
}

static void restore_locked(int signo) {
  sig_entry* e = &sigs[signo];
  if (!e->installed) return;
  e->installed = 0;
  struct sigaction cur;
  if (sigaction(signo, NULL, &cur) != 0) return;
  /* Someone changed it after us (another library, a second copy of
   * ipckit): their action stays. If it is a handler, it may call ours as
   * the one it replaced: the chain stays published, and the signal is
   * marked orphaned so that the next subscriber does not install ipckit's
   * handler on top of one that leads back to it (see take_locked). */
  if (!is_ours(&cur)) {
    e->orphaned = is_handler(&cur);
    return;
  }
#if IPK_RAW_SIGACTION
  if (e->raw_valid && raw_sigaction(signo, &e->raw_prev, NULL) == 0) return;
#endif
  sigaction(signo, &e->prev, NULL);
}

/* The first subscriber of a signal (none subscribed in the process).
 * Normally installs ipckit's handler. But if the signal is orphaned and a
 * handler is still installed, that handler (or one further down its chain)
 * may call ipckit's: installing ipckit's on top of it, chaining to it, would
 * make a cycle (ipckit's calls theirs, theirs calls ipckit's...) and the
 * first signal would overflow the stack. Then ipckit's handler counts as
 * installed again, reached as before, with its chain and the action to put
 * back unchanged; if the handler is ipckit's own (they put it back), it is
 * simply ipckit's again. A default or ignore action reaches nobody: install
 * as usual. */
static int take_locked(int signo) {
  sig_entry* e = &sigs[signo];
  if (e->orphaned) {
    e->orphaned = 0;
    struct sigaction cur;
    if (sigaction(signo, NULL, &cur) != 0) return -errno;
    if (is_handler(&cur)) {
      e->installed = 1;
      return 0;
    }
  }
  return install_locked(signo);
}

static inline uint32_t bit_of(int signo) { return 1u << ((signo - 1) % 32); }
static inline int word_of(int signo) { return (signo - 1) / 32; }

static int has_bit(sig_slot* s, int signo) {
  return (__atomic_load_n(&s->mask[word_of(signo)], __ATOMIC_SEQ_CST) & bit_of(signo)) != 0;
}

static void unsubscribe_locked(sig_slot* s, int signo) {
  if (!has_bit(s, signo)) return;
  __atomic_fetch_and(&s->mask[word_of(signo)], ~bit_of(signo), __ATOMIC_SEQ_CST);
  sig_entry* e = &sigs[signo];
  if (--e->nslots == 0) restore_locked(signo);
}

static sig_slot* slot_locked(int slot, void* owner) {
  if (slot < 0 || slot >= IPK_SIG_SLOTS) return NULL;
  sig_slot* s = &slots[slot];
  if (s->owner == NULL || (owner != NULL && s->owner != owner)) return NULL;
  return s;
}

/* ---- slots --------------------------------------------------------------- */
static int make_pipe(int fds[2]) {
#if IPK_LINUX || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -errno;
  return 0;
#else
  /* No pipe2 (macOS): set the flags at once, close both ends on failure. */
  if (pipe(fds) != 0) return -errno;
  for (int i = 0; i < 2; i++) {
    if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0 || fcntl(fds[i], F_SETFL, O_NONBLOCK) != 0) {
      int err = errno;
      close(fds[0]);
      close(fds[1]);
      return -err;
    }
  }
  return 0;
#endif
}

int ipk_sig_open(void* owner, int* read_fd, int* capacity) {
  if (owner == NULL) return -EINVAL;
  int fds[2];
  int r = make_pipe(fds);
  if (r != 0) return r;
  int cap = 0;
#ifdef F_GETPIPE_SZ
  /* The kernel's default size; the handler enlarges it when it fills. */
  cap = fcntl(fds[1], F_GETPIPE_SZ);
#endif
  if (cap <= 0) cap = 0;
  pthread_mutex_lock(&lock);
  int slot = -1;
  for (int i = 0; i < IPK_SIG_SLOTS; i++) {
    if (slots[i].owner == NULL) {
      slot = i;
      break;
    }
  }
  if (slot < 0) {
    pthread_mutex_unlock(&lock);
    close(fds[0]);
    close(fds[1]);
    return -EMFILE;
  }
  sig_slot* s = &slots[slot];
  s->owner = owner;
  for (int w = 0; w < IPK_SIG_WORDS; w++) __atomic_store_n(&s->mask[w], 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&s->dropped, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&s->grown, 0, __ATOMIC_SEQ_CST);
  /* The write end now belongs to the slot; ipk_sig_close closes it. */
  __atomic_store_n(&s->wfd1, fds[1] + 1, __ATOMIC_SEQ_CST);
  if (slot + 1 > __atomic_load_n(&slots_hw, __ATOMIC_RELAXED))
    __atomic_store_n(&slots_hw, slot + 1, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&lock);
  *read_fd = fds[0]; /* the caller's from now on */
  *capacity = cap;
  return slot;
}

int ipk_sig_close(int slot, void* owner) {
  pthread_mutex_lock(&lock);
  sig_slot* s = slot_locked(slot, owner);
  if (s == NULL) {
    pthread_mutex_unlock(&lock);
    return -EBADF;
  }
  for (int signo = 1; signo < IPK_SIG_TABLE; signo++) unsubscribe_locked(s, signo);
  int fd = __atomic_exchange_n(&s->wfd1, 0, __ATOMIC_SEQ_CST) - 1;
  while (__atomic_load_n(&s->busy, __ATOMIC_SEQ_CST) != 0) sched_yield();
  /* No handler can reach the fd any more. Close it before the caller closes
   * the read end: a write to a pipe without readers would raise SIGPIPE. */
  if (fd >= 0) close(fd);
  s->owner = NULL;
  pthread_mutex_unlock(&lock);
  return 0;
}

int ipk_sig_subscribe(int slot, void* owner, int signo) {
  int r = ipk_sig_check(signo);
  if (r != 0) return r;
  pthread_mutex_lock(&lock);
  sig_slot* s = slot_locked(slot, owner);
  if (s == NULL) {
    r = -EBADF;
  } else if (!has_bit(s, signo)) {
    /* The slot wants it before the handler can run: no delivery is missed. */
    __atomic_fetch_or(&s->mask[word_of(signo)], bit_of(signo), __ATOMIC_SEQ_CST);
    sig_entry* e = &sigs[signo];
    /* Installed once, by the first subscriber in the process. If someone
     * replaced ipckit's handler since, it stays replaced: ipckit does not
     * take a signal back from whoever took it. */
    if (!e->installed) r = take_locked(signo);
    if (r == 0)
      e->nslots++;
    else
      __atomic_fetch_and(&s->mask[word_of(signo)], ~bit_of(signo), __ATOMIC_SEQ_CST);
  }
  pthread_mutex_unlock(&lock);
  return r;
}

int ipk_sig_unsubscribe(int slot, void* owner, int signo) {
  if (signo < 1 || signo >= IPK_SIG_TABLE) return -EINVAL;
  pthread_mutex_lock(&lock);
  sig_slot* s = slot_locked(slot, owner);
  int r = 0;
  if (s == NULL)
    r = -EBADF;
  else
    unsubscribe_locked(s, signo);
  pthread_mutex_unlock(&lock);
  return r;
}

int ipk_sig_retake(int signo) {
  if (signo < 1 || signo >= IPK_SIG_TABLE) return -EINVAL;
  int r = 0;
  pthread_mutex_lock(&lock);
  sig_entry* e = &sigs[signo];
  if (e->nslots > 0) {
    /* libuv installed its handler over ipckit's (a first listener), or
     * reset the signal to the default (the last one went): ipckit's goes
     * back on top, chaining to libuv's, and the action to put back when
     * the last subscriber goes is libuv's new one, as if ipckit had
     * subscribed just now. libuv's handler never calls the one it
     * replaced, so this makes no cycle. */
    struct sigaction cur;
    if (sigaction(signo, NULL, &cur) != 0)
      r = -errno;
    else if (!is_ours(&cur) && (r = install_locked(signo)) == 0)
      r = 1;
  } else {
    /* Nobody subscribed: nothing to take back. If ipckit's handler was
     * still reached through the handler that libuv just replaced, it is no
     * longer (libuv's does not chain): the next subscriber installs it. */
    e->orphaned = 0;
  }
  pthread_mutex_unlock(&lock);
  return r;
}

int ipk_sig_capacity(int slot) {
  int r = -EBADF;
  pthread_mutex_lock(&lock);
  sig_slot* s = slot_locked(slot, NULL);
  if (s != NULL) {
    int fd = __atomic_load_n(&s->wfd1, __ATOMIC_SEQ_CST) - 1;
#ifdef F_GETPIPE_SZ
    r = fd < 0 ? -EBADF : fcntl(fd, F_GETPIPE_SZ);
    if (r < 0 && fd >= 0) r = -errno;
#else
    r = fd < 0 ? -EBADF : 0;
#endif
  }
  pthread_mutex_unlock(&lock);
  return r;
}

long ipk_sig_dropped(int slot) {
  if (slot < 0 || slot >= IPK_SIG_SLOTS) return -EBADF;
  return (long)__atomic_load_n(&slots[slot].dropped, __ATOMIC_RELAXED);
}

void ipk_sig_set_runtime(const void* fn) {
  __atomic_store_n(&runtime_fn, fn, __ATOMIC_RELEASE);
}

int ipk_sig_describe(int signo, char* buf, size_t cap) {
  if (signo < 1 || signo >= IPK_SIG_TABLE) return -EINVAL;
  struct sigaction sa;
  if (sigaction(signo, NULL, &sa) != 0) return -errno;
  unsigned long long mask = 0;
  for (int n = 1; n <= 64 && n < IPK_SIG_TABLE; n++)
    if (sigismember(&sa.sa_mask, n) == 1) mask |= 1ull << (n - 1);
  int siginfo;
  void* fn = action_fn(&sa, &siginfo);
  const char* kind = "handler";
  if (is_ours(&sa))
    kind = "ipckit";
  else if (!siginfo && sa.sa_handler == SIG_DFL)
    kind = "default";
  else if (!siginfo && sa.sa_handler == SIG_IGN)
    kind = "ignore";
  int n = snprintf(buf, cap, "%s %p flags 0x%x mask 0x%llx", kind, fn, (unsigned)sa.sa_flags, mask);
  return n < 0 ? -EINVAL : n;
}

int ipk_sig_kill(int pid, int signo) {
  return kill((pid_t)pid, signo) == 0 ? 0 : -errno;
}

int ipk_sig_queue(int pid, int signo, int value) {
#if IPK_LINUX
  union sigval v;
  memset(&v, 0, sizeof v);
  v.sival_int = value;
  return sigqueue((pid_t)pid, signo, v) == 0 ? 0 : -errno;
#else
  (void)pid;
  (void)signo;
  (void)value;
  return -ENOSYS; /* macOS has no sigqueue(3) */
#endif
}

/* pidfd_open and pidfd_send_signal have the same numbers on every
 * architecture (they came after the tables were unified). */
#if IPK_LINUX
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#endif

int ipk_pidfd_open(int pid) {
#if IPK_LINUX
  long r = syscall(SYS_pidfd_open, (pid_t)pid, 0u);
  return r < 0 ? -errno : (int)r;
#else
  return -ENOSYS;
#endif
}

int ipk_pidfd_send_signal(int pidfd, int signo) {
#if IPK_LINUX
  long r = syscall(SYS_pidfd_send_signal, pidfd, signo, (void*)NULL, 0u);
  return r < 0 ? -errno : 0;
#else
  return -ENOSYS;
#endif
}
