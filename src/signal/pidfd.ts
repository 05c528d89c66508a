/**
 * Linux process file descriptors: a handle on one process that can never
 * refer to another, for signalling it and awaiting its exit.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { closedError, ErrorCode, IpckitError, systemError } from '../errors.js';
import { FdHandle } from '../internal/handle.js';
import { invalidArgument, validateOptions, validateSignal, validateTimeout } from '../internal/validate.js';
import { native, type NativeBinding } from '../native.js';
import { sendableSignal, type SignalSpec } from './names.js';

const ENOSYS = -osConstants.errno.ENOSYS;
const ESRCH = -osConstants.errno.ESRCH;

/** Options of {@link Pidfd.waitExit}. */
export interface WaitExitOptions {
  /** Rejects with the signal's reason when aborted. */
  readonly signal?: AbortSignal;
  /** Milliseconds to wait before rejecting with `IPCKIT_TIMEOUT`. Default: no limit. */
  readonly timeout?: number;
}

interface ExitWaiter {
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * A pidfd: a file descriptor that refers to one process for as long as the
 * descriptor is open, whatever happens to its pid. Made by
 * {@link openPidfd}.
 *
 * `kill()` goes through `pidfd_send_signal(2)`: once the process has exited
 * it fails with `ESRCH`, even if its pid now belongs to another process, so
 * a signal never reaches a stranger. `waitExit()` resolves when the process
 * has exited (the pidfd polls readable), without reaping it: Node reaps the
 * children it spawned, and another process's exit status is not ours.
 *
 * The fd is close-on-exec. Every method throws `IPCKIT_CLOSED` after
 * `close()`.
 */
export class Pidfd implements Disposable {
  readonly #h: FdHandle;
  /** The process id the pidfd was opened for (it may belong to another process once this one is reaped). */
  readonly pid: number;
  #exited = false;
  #waiters: ExitWaiter[] = [];

  /** @internal */
  constructor(binding: NativeBinding, fd: number, pid: number) {
    this.pid = pid;
    // Only readiness is used, never read(2): MODE_BLOCKING keeps the handle
    // from classifying the pidfd (an anonymous inode) as a file epoll cannot watch.
    this.#h = new FdHandle(binding, fd, { onReadable: () => this.#onExit() }, 'Pidfd', binding.MODE_BLOCKING);
    this.#h.setRef(false);
  }

  /** The pidfd. Throws `IPCKIT_CLOSED` after close. */
  get fd(): number {
    this.#h.native('fd');
    return this.#h.fd;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#h.closed;
  }

  /**
   * Sends a signal (default `'SIGTERM'`; 0 only checks) to exactly this
   * process. Throws `ESRCH` once it has been reaped, even if its pid now
   * names another process (between its exit and the reaping, while it is a
   * zombie, the kernel accepts the signal and it has no effect); `EPERM`
   * when not allowed; `IPCKIT_INVALID_ARGUMENT` for an unknown signal.
   */
  kill(sig: SignalSpec = 'SIGTERM'): void {
    this.#h.native('kill');
    const signo = sendableSignal(sig, 'sig');
    const r = this.#h.binding.pidfdSendSignal(this.#h.fd, signo);
    if (r < 0) throw systemError(r, 'pidfd_send_signal');
  }

  /** True if the process has exited (the pidfd is readable now). Does not wait. */
  hasExited(): boolean {
    this.#h.native('hasExited');
    if (this.#exited) return true;
    const r = this.#h.binding.fdReadable(this.#h.fd);
    if (r < 0) throw systemError(r, 'poll');
    if (r > 0) this.#exited = true;
    return this.#exited;
  }

  /**
   * Resolves once the process has exited. It is not reaped: for a child of
   * this process, Node collects its status as usual (`'exit'` event). A
   * waiting `waitExit()` keeps this process alive.
   *
   * Errors (as rejections): `IPCKIT_TIMEOUT` after `timeout` ms; the abort
   * reason; `IPCKIT_CLOSED` if the pidfd is closed first.
   */
  waitExit(options?: WaitExitOptions): Promise<void> {
    try {
      this.#h.native('waitExit');
      const opts = validateOptions<WaitExitOptions>(options);
      const signal = validateSignal(opts.signal, 'options.signal');
      const timeout = validateTimeout(opts.timeout, 'options.timeout');
      signal?.throwIfAborted();
      if (this.hasExited()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const done = (): void => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          // Nobody waiting: the poll stays armed but no longer keeps the process alive.
          if (this.#waiters.length === 0) this.#h.setRef(false);
        };
        const waiter: ExitWaiter = {
          resolve: () => {
            done();
            resolve();
          },
          reject: (err) => {
            done();
            reject(err);
          },
        };
        const onAbort = (): void => waiter.reject(signal!.reason);
        this.#waiters.push(waiter);
        this.#h.setRef(true);
        const r = this.#h.awaitReadable();
        if (r < 0) {
          waiter.reject(systemError(r, 'epoll_ctl'));
          return;
        }
        if (timeout >= 0) {
          timer = setTimeout(
            () => waiter.reject(new IpckitError(ErrorCode.TIMEOUT, `Pidfd.waitExit(): process ${this.pid} did not exit within ${timeout} ms`)),
            timeout,
          );
        }
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #onExit(): void {
    this.#exited = true;
    for (const w of [...this.#waiters]) w.resolve();
  }

  /** Closes the pidfd; pending `waitExit()` calls reject with `IPCKIT_CLOSED`. Idempotent. */
  close(): void {
    if (this.#h.closed) return;
    this.#h.close();
    for (const w of [...this.#waiters]) w.reject(closedError('Pidfd', 'close'));
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function isChildProcess(value: unknown): value is ChildProcess {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ChildProcess).kill === 'function' &&
    'exitCode' in value &&
    'signalCode' in value
  );
}

/**
 * Opens a pidfd for a process id, or for a `ChildProcess` (Linux 5.3 and
 * later).
 *
 * ```ts
 * const child = spawn('server');
 * using pidfd = openPidfd(child);
 * pidfd.kill('SIGTERM');
 * await pidfd.waitExit({ timeout: 5000 });
 * ```
 *
 * Open it while the process is known to be the one you mean: for your own
 * child, any time before Node reports its exit (a `ChildProcess` that has
 * already exited is refused with `ESRCH`, since its pid may be reused); for
 * another process, as soon as you learn its pid. From then on the pidfd
 * refers to that process only.
 *
 * Errors: `ESRCH` (no such process), `EMFILE`; `IPCKIT_INVALID_ARGUMENT`
 * (not a pid, or a child that never started); `IPCKIT_UNSUPPORTED_PLATFORM`
 * off Linux, or on kernels older than 5.3 (`cause` is the `ENOSYS`).
 */
export function openPidfd(target: number | ChildProcess): Pidfd {
  let pid: number;
  if (isChildProcess(target)) {
    if (target.pid === undefined) {
      throw new IpckitError(ErrorCode.INVALID_ARGUMENT, 'openPidfd(): the child process has no pid: it failed to start');
    }
    // Node reaps its children on this thread, so an exit not yet reported
    // means the pid still names this child (alive or a zombie).
    if (target.exitCode !== null || target.signalCode !== null) throw systemError(ESRCH, 'pidfd_open');
    pid = target.pid;
  } else if (typeof target === 'number' && Number.isInteger(target) && target >= 1 && target <= 0x7fffffff) {
    pid = target;
  } else {
    throw invalidArgument('target', 'a process id (an integer >= 1) or a ChildProcess', target);
  }
  if (process.platform !== 'linux') {
    throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, 'openPidfd(): pidfds exist only on Linux');
  }
  const b = native();
  const fd = b.pidfdOpen(pid);
  if (fd === ENOSYS) {
    throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, 'openPidfd(): this kernel has no pidfd_open (Linux 5.3 and later)', {
      cause: systemError(fd, 'pidfd_open'),
    });
  }
  if (fd < 0) throw systemError(fd, 'pidfd_open');
  try {
    return new Pidfd(b, fd, pid); // the Pidfd owns the fd from here
  } catch (err) {
    b.closeFd(fd);
    throw err;
  }
}
