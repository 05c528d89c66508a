/**
 * Receiving signals: a handler (`onSignal`), an async iterable (`signals`),
 * a promise (`onceSignal`).
 * @module
 */
import { ErrorCode, IpckitError } from '../errors.js';
import { validateFunction, validateInteger, validateOptions, validateSignal, validateTimeout } from '../internal/validate.js';
import { existingHub, getHub, type HubEntry, type SignalHub, type SignalInfo } from './hub.js';
import { catchableList, signalName, type SignalName, type SignalSpec } from './names.js';

function requireUnix(fn: string): void {
  if (process.platform === 'win32') {
    throw new IpckitError(
      ErrorCode.UNSUPPORTED_PLATFORM,
      `${fn}: Windows has no signals to subscribe to; use process.on('SIGINT') or process.on('SIGBREAK') for console events`,
    );
  }
}

/**
 * A subscription made by {@link onSignal}. Disposing it removes the handler;
 * when the last ipckit subscriber of a signal in the process goes, the
 * signal's disposition becomes exactly what it was before.
 */
export class SignalSubscription implements Disposable {
  readonly #hub: SignalHub;
  readonly #entries: HubEntry[];
  /** The signals subscribed to, by name. */
  readonly signals: readonly SignalName[];

  /** @internal */
  constructor(hub: SignalHub, signos: readonly number[], handler: (info: SignalInfo) => void) {
    this.#hub = hub;
    this.signals = Object.freeze(signos.map(signalName));
    const entries: HubEntry[] = [];
    try {
      for (const n of signos) entries.push(hub.add(n, handler));
    } catch (err) {
      // All or nothing: undo the ones that worked.
      for (const e of entries) hub.remove(e);
      throw err;
    }
    this.#entries = entries;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#entries.every((e) => !e.active);
  }

  /** Removes the handler. Idempotent. */
  close(): void {
    for (const e of this.#entries) this.#hub.remove(e);
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Calls `handler` on the event loop each time one of the signals arrives.
 * Any catchable signal works, by name or number, realtime signals included
 * (`'SIGRTMIN+3'`), which `process.on` cannot take.
 *
 * ```ts
 * using sub = onSignal('SIGHUP', (info) => reloadConfig(info.pid));
 * ```
 *
 * No JavaScript runs in signal-handler context: the native handler writes a
 * record to a pipe and the handler runs later, on this thread's event loop.
 * While this thread is busy, deliveries queue in that pipe (2,048 on Linux,
 * up to 32,768 once it has been enlarged, the first time it was full);
 * classic signals sent while one is already pending are merged by the kernel
 * (see docs/signals.md, "Coalescing").
 *
 * Like `process.on('SIGINT')`, a subscription does not keep the process
 * alive, and while it exists the signal's default action (terminating, for
 * most signals) does not happen. A handler that throws is reported as an
 * uncaught exception; the other handlers still run.
 *
 * Errors: `IPCKIT_INVALID_ARGUMENT` for unknown names, SIGKILL and SIGSTOP
 * (they cannot be caught), and SIGSEGV, SIGBUS, SIGFPE and SIGILL (faults a
 * pipe cannot handle); `IPCKIT_UNSUPPORTED_PLATFORM` on Windows.
 */
export function onSignal(signal: SignalSpec | readonly SignalSpec[], handler: (info: SignalInfo) => void): SignalSubscription {
  requireUnix('onSignal()');
  const signos = catchableList(signal);
  validateFunction(handler, 'handler');
  return new SignalSubscription(getHub(), signos, handler);
}

/** Options of {@link signals}. */
export interface SignalsOptions {
  /** Ends the iteration when aborted: a pending or later `next()` rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * Deliveries held while the loop body is busy. Beyond this, new ones are
   * dropped and counted in `dropped`.
   * @default 65536
   */
  readonly maxQueued?: number;
}

interface Waiter {
  resolve(r: IteratorResult<SignalInfo>): void;
  reject(err: unknown): void;
}

const DONE: IteratorResult<SignalInfo> = Object.freeze({ done: true, value: undefined });

/**
 * The async iterator returned by {@link signals}. Subscribed from the
 * moment it is made, so nothing sent after `signals()` returned is missed.
 * `break`, `return()`, `close()` and disposal unsubscribe.
 */
export class SignalIterator implements AsyncIterableIterator<SignalInfo>, Disposable {
  readonly #sub: SignalSubscription;
  readonly #hub: SignalHub;
  readonly #max: number;
  readonly #abort: AbortSignal | undefined;
  readonly #onAbort = (): void => this.#aborted();
  #queue: SignalInfo[] = [];
  #waiters: Waiter[] = [];
  #held = false;
  #done = false;
  #failure: { reason: unknown } | null = null;
  #dropped = 0;

  /** @internal */
  constructor(hub: SignalHub, signos: readonly number[], max: number, abort: AbortSignal | undefined) {
    this.#hub = hub;
    this.#max = max;
    this.#abort = abort;
    this.#sub = new SignalSubscription(hub, signos, (info) => this.#push(info));
    abort?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** The signals iterated, by name. */
  get signals(): readonly SignalName[] {
    return this.#sub.signals;
  }

  /** Deliveries dropped because `maxQueued` were already waiting. */
  get dropped(): number {
    return this.#dropped;
  }

  #push(info: SignalInfo): void {
    const w = this.#waiters.shift();
    if (w !== undefined) {
      this.#updateHold();
      w.resolve({ done: false, value: info });
    } else if (this.#queue.length < this.#max) {
      this.#queue.push(info);
    } else {
      this.#dropped++;
    }
  }

  #updateHold(): void {
    const want = this.#waiters.length > 0;
    if (want !== this.#held) {
      this.#held = want;
      if (want) this.#hub.hold();
      else this.#hub.release();
    }
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#queue = [];
    this.#sub.close();
    this.#abort?.removeEventListener('abort', this.#onAbort);
  }

  #aborted(): void {
    const reason: unknown = this.#abort!.reason;
    this.#finish();
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#updateHold();
    // The reason is reported once: to the waiting next() calls, or else to
    // the next one. After that the iteration is simply over.
    if (waiters.length === 0) this.#failure = { reason };
    for (const w of waiters) w.reject(reason);
  }

  /** The next delivery; waits (keeping the process alive) until one arrives. */
  next(): Promise<IteratorResult<SignalInfo>> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve({ done: false, value: queued });
    if (this.#failure !== null) {
      // Reported once; the iteration is over after that.
      const { reason } = this.#failure;
      this.#failure = null;
      return Promise.reject(reason);
    }
    if (this.#done) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#updateHold();
    });
  }

  /** Ends the iteration (what `break` calls). */
  return(): Promise<IteratorResult<SignalInfo>> {
    this.close();
    return Promise.resolve(DONE);
  }

  /** Unsubscribes; pending `next()` calls resolve as done. Idempotent. */
  close(): void {
    if (this.#done) return;
    this.#failure = null;
    this.#finish();
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#updateHold();
    for (const w of waiters) w.resolve(DONE);
  }

  /** The iterator itself, so that `for await` works on it directly. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * The signals in `list` as an async iterable, one {@link SignalInfo} per
 * delivery, in the order they arrived.
 *
 * ```ts
 * for await (const { signal } of signals(['SIGHUP', 'SIGUSR2'], { signal: ac.signal })) {
 *   if (signal === 'SIGHUP') reload(); else dumpState();
 * }
 * ```
 *
 * The subscription starts when `signals()` returns. A `next()` that is
 * waiting keeps the process alive; a loop that is not waiting does not.
 * `break` (or `return()`, `close()`, disposal) unsubscribes. When `signal`
 * aborts, the loop throws the abort reason.
 *
 * Errors: as for {@link onSignal}; an already aborted `signal` throws its
 * reason at once.
 */
export function signals(list: SignalSpec | readonly SignalSpec[], options?: SignalsOptions): SignalIterator {
  requireUnix('signals()');
  const signos = catchableList(list, 'list');
  const opts = validateOptions<SignalsOptions>(options);
  const abort = validateSignal(opts.signal, 'options.signal');
  const max = opts.maxQueued === undefined ? 65536 : validateInteger(opts.maxQueued, 'options.maxQueued', 1, 0x7fffffff);
  abort?.throwIfAborted();
  return new SignalIterator(getHub(), signos, max, abort);
}

/** Options of {@link onceSignal}. */
export interface OnceSignalOptions {
  /** Rejects with the signal's reason when aborted, and unsubscribes. */
  readonly signal?: AbortSignal;
  /** Milliseconds to wait before rejecting with `IPCKIT_TIMEOUT`. Default: no limit. */
  readonly timeout?: number;
}

/**
 * Resolves with the next delivery of any of the signals. While it waits,
 * the process stays alive.
 *
 * ```ts
 * const { signal, pid } = await onceSignal(['SIGTERM', 'SIGINT'], { timeout: 60_000 });
 * ```
 *
 * Errors (as rejections): those of {@link onSignal}; `IPCKIT_TIMEOUT` when
 * `timeout` passes; the abort reason when `signal` aborts.
 */
export function onceSignal(signal: SignalSpec | readonly SignalSpec[], options?: OnceSignalOptions): Promise<SignalInfo> {
  try {
    requireUnix('onceSignal()');
    const signos = catchableList(signal);
    const opts = validateOptions<OnceSignalOptions>(options);
    const abort = validateSignal(opts.signal, 'options.signal');
    const timeout = validateTimeout(opts.timeout, 'options.timeout');
    abort?.throwIfAborted();
    const hub = getHub();
    return new Promise<SignalInfo>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (): void => {
        sub.close();
        hub.release();
        if (timer !== undefined) clearTimeout(timer);
        abort?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        settle();
        reject(abort!.reason);
      };
      const sub = new SignalSubscription(hub, signos, (info) => {
        if (sub.closed) return;
        settle();
        resolve(info);
      });
      hub.hold();
      if (timeout >= 0) {
        timer = setTimeout(() => {
          settle();
          reject(new IpckitError(ErrorCode.TIMEOUT, `onceSignal(): none of ${sub.signals.join(', ')} arrived within ${timeout} ms`));
        }, timeout);
      }
      abort?.addEventListener('abort', onAbort, { once: true });
    });
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * Deliveries this thread has lost since it first subscribed: records the
 * native handler could not write because this thread's signal pipe was full
 * (up to 32,768 undispatched deliveries on Linux, see docs/signals.md,
 * "Coalescing"; the thread's event loop was blocked for that long). 0 in a
 * healthy process.
 */
export function droppedSignalCount(): number {
  if (process.platform === 'win32') return 0;
  return existingHub()?.dropped ?? 0;
}

