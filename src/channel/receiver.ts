/**
 * The receiving end of a channel.
 * @module
 */
import { closedError, ErrorCode, IpckitError, systemError } from '../errors.js';
import { EAGAIN, ETIMEDOUT, FdHandle } from '../internal/handle.js';
import { kHandOff } from '../internal/handoff.js';
import { validateInteger, validateOptions, validateSignal, validateTimeout } from '../internal/validate.js';
import { native, type NativeBinding } from '../native.js';
import { adoptFd } from '../pipe/end.js';
import type { ResolvedCodec } from './codec.js';
import { FrameDecoder } from './frame.js';
import { resolveOptions, type ChannelOptions } from './options.js';
import type { Validator } from './schema.js';

/** Options of {@link Receiver.recv}. */
export interface RecvOptions {
  /** Rejects with the signal's reason when aborted; no message is lost. */
  readonly signal?: AbortSignal;
  /** Milliseconds to wait before rejecting with `IPCKIT_TIMEOUT`; no message is lost. */
  readonly timeout?: number;
}

/** Options of {@link Receiver.recvMany}. */
export interface RecvManyOptions extends RecvOptions {
  /** At most this many values. Default: all that are ready. */
  readonly max?: number;
}

/** @internal Settings a receiver is made with. */
export interface ReceiverConfig<T> {
  readonly codec: ResolvedCodec<T>;
  readonly validate: Validator<T> | undefined;
  readonly maxMessageSize: number;
  readonly highWaterMark: number;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
  cleanup(): void;
}

// What #produce() found.
const VALUE = 0;
const NONE = 1;
const END = 2;
const FAILED = 3;
const ASYNC = 4;
const NOTHING: unique symbol = Symbol('nothing');
const kEnd = Symbol('ipckit.channelEnd');

/** Largest read one readiness may deliver (it is then split into 64 KiB pieces). */
const READ_MAX = 1 << 20;

function endError(): IpckitError {
  const err = new IpckitError(ErrorCode.CHANNEL_CLOSED, 'the channel is closed: every sender has closed and all messages were received');
  Object.defineProperty(err, kEnd, { value: true });
  return err;
}

/** True for the error that marks a channel's clean end (every sender closed, all received). */
export function isChannelEnd(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[kEnd] === true;
}

/**
 * The receiving end of a channel: reads frames from the channel's pipe and
 * decodes them into values, in order.
 *
 * Receive with `await recv()`, `for await (const v of receiver)`, the
 * blocking `recvSync()`, or the non-waiting `tryRecv()` / batched
 * `recvMany()`. It reads ahead up to the high-water mark, then stops reading
 * the pipe until values are taken (backpressure reaches the sender).
 *
 * When every sender has closed and all messages are taken, iteration ends
 * and `recv()` rejects with `IPCKIT_CHANNEL_CLOSED`. A stream that ends
 * inside a frame gives `IPCKIT_INCOMPLETE_MESSAGE`; a corrupt stream
 * `IPCKIT_PROTOCOL`; an oversized frame `IPCKIT_MESSAGE_TOO_LARGE`; a
 * payload the codec rejects `IPCKIT_DECODE_FAILED`; a value the validator
 * rejects `IPCKIT_VALIDATION_FAILED`. After any of these the channel is
 * closed: later calls reject with `IPCKIT_CHANNEL_CLOSED`, `cause` set to
 * the first error. No partial value is ever delivered.
 */
export class Receiver<T = unknown> implements AsyncIterable<T>, Disposable {
  readonly #h: FdHandle;
  readonly #cfg: ReceiverConfig<T>;
  readonly #dec: FrameDecoder;
  #eof = false;
  #closed = false;
  #reading = false;
  #refd = false;
  #userRef = true;
  /** The first error, not yet reported; then the cause of the closed channel. */
  #failure: Error | null = null;
  #failureReported = false;
  #waiters: Waiter<T>[] = [];
  /** A value validated asynchronously, due before anything else. */
  #validating: Promise<T> | null = null;
  #ready: T | typeof NOTHING = NOTHING;
  #out: T | undefined;

  private constructor(binding: NativeBinding, fd: number, cfg: ReceiverConfig<T>) {
    this.#cfg = cfg;
    this.#dec = new FrameDecoder(cfg.maxMessageSize);
    this.#h = new FdHandle(binding, fd, { onRead: (n, d) => this.#onRead(n, d) }, 'Receiver');
    // Reading ahead must not keep the process alive: only a waiting recv() does.
    this.#h.setRef(false);
    this.#update();
  }

  /** @internal */
  static create<T>(binding: NativeBinding, fd: number, cfg: ReceiverConfig<T>): Receiver<T> {
    return new Receiver<T>(binding, fd, cfg);
  }

  /**
   * Rebuilds a receiver from an fd open for reading, typically in a child
   * given the parent's end through `spawn`'s stdio. ipckit owns the fd from
   * now on (close-on-exec). Options must match the sender's codec and
   * limits; `validate` checks what arrives. Throws
   * `IPCKIT_INVALID_ARGUMENT` without taking the fd if it is not open for
   * reading.
   */
  static fromFd<T = unknown>(fd: number, options?: ChannelOptions<T>): Receiver<T> {
    const cfg = resolveOptions<T>(options).receiver;
    const b = native();
    return Receiver.create<T>(b, adoptFd(b, fd, 'read', 'Receiver'), cfg);
  }

  /** The pipe's read end. Throws `IPCKIT_CLOSED` after close. */
  get fd(): number {
    if (this.#closed) throw closedError('Receiver', 'fd');
    return this.#h.fd;
  }

  /** Bytes received and not yet taken as values. */
  get bufferedBytes(): number {
    return this.#dec.buffered;
  }

  // ---- producing values -------------------------------------------------

  #fail(err: unknown): void {
    if (this.#failure === null) this.#failure = err instanceof Error ? err : new Error(String(err));
    this.#dec.clear();
    this.#stopReading();
    this.#h.close();
  }

  /** The error to report now: the first one once, then "closed" with it as cause. */
  #takeFailure(): Error {
    if (!this.#failureReported) {
      this.#failureReported = true;
      return this.#failure!;
    }
    return new IpckitError(ErrorCode.CHANNEL_CLOSED, `the channel closed after an error: ${this.#failure!.message}`, { cause: this.#failure });
  }

  /** Takes the next value if one is ready; the result code says what happened. */
  #produce(): number {
    if (this.#ready !== NOTHING) {
      this.#out = this.#ready;
      this.#ready = NOTHING;
      return VALUE;
    }
    if (this.#validating !== null) return ASYNC;
    if (this.#failure !== null) return FAILED;
    const dec = this.#dec;
    let got: boolean;
    try {
      got = dec.next();
    } catch (err) {
      this.#fail(err);
      return FAILED;
    }
    if (!got) {
      if (!this.#eof) return NONE;
      if (dec.partial) {
        this.#fail(new IpckitError(ErrorCode.INCOMPLETE_MESSAGE, `the channel's stream ended inside a frame (${dec.buffered} bytes of it had arrived); the sender died or closed mid-message`));
        return FAILED;
      }
      return END;
    }
    let value: T;
    try {
      value = this.#cfg.codec.decode(dec.frame, dec.start, dec.end);
    } catch (cause) {
      this.#fail(cause instanceof IpckitError ? cause : new IpckitError(ErrorCode.DECODE_FAILED, `could not decode a ${dec.end - dec.start}-byte message with the ${this.#cfg.codec.name} codec: ${(cause as Error)?.message ?? String(cause)}`, { cause }));
      return FAILED;
    }
    const validate = this.#cfg.validate;
    if (validate !== undefined) {
      let checked: T | Promise<T>;
      try {
        checked = validate(value);
      } catch (err) {
        this.#fail(err);
        return FAILED;
      }
      if (checked instanceof Promise) {
        this.#validating = checked;
        return ASYNC;
      }
      value = checked;
    }
    this.#out = value;
    return VALUE;
  }

  #awaitValidation(): void {
    const p = this.#validating!;
    p.then(
      (v) => {
        if (this.#validating !== p) return;
        this.#validating = null;
        if (!this.#closed) this.#ready = v;
        this.#pump();
      },
      (err: unknown) => {
        if (this.#validating !== p) return;
        this.#validating = null;
        this.#fail(err);
        this.#pump();
      },
    );
  }

  /** Hands ready values (or the end, or an error) to waiting recv() calls. */
  #pump(): void {
    const ws = this.#waiters;
    while (ws.length > 0) {
      const st = this.#produce();
      if (st === NONE) break;
      if (st === ASYNC) {
        this.#awaitValidation();
        break;
      }
      const w = ws.shift()!;
      w.cleanup();
      if (st === VALUE) w.resolve(this.#out as T);
      else if (st === END) w.reject(endError());
      else w.reject(this.#takeFailure());
    }
    this.#update();
  }

  #onRead(nread: number, data: Buffer | undefined): void {
    if (this.#closed) return;
    if (nread > 0 && data !== undefined) this.#dec.push(nread === data.length ? data : data.subarray(0, nread));
    else if (nread === 0) this.#eof = true;
    else if (nread !== EAGAIN) this.#fail(systemError(nread, 'read'));
    this.#pump();
  }

  // ---- reading and keep-alive -------------------------------------------

  #stopReading(): void {
    if (this.#reading) {
      this.#reading = false;
      this.#h.readStop();
    }
  }

  /** Reads while below the high-water mark; keeps the process alive only while someone waits. */
  #update(): void {
    if (this.#closed || this.#h.closed) return;
    // Past the high-water mark, read on only while a frame larger than the
    // mark is incomplete (else it could never complete); maxMessageSize
    // still bounds that.
    const want = !this.#eof && this.#failure === null && this.#dec.buffered < Math.max(this.#cfg.highWaterMark, this.#dec.needed);
    if (want && !this.#reading) {
      const r = this.#h.readStart(READ_MAX);
      if (r < 0) return this.#fail(systemError(r, 'epoll_ctl'));
      this.#reading = true;
    } else if (!want) {
      this.#stopReading();
    }
    const ref = this.#userRef && this.#waiters.length > 0;
    if (ref !== this.#refd) {
      this.#refd = ref;
      this.#h.setRef(ref);
    }
  }

  // ---- public API -------------------------------------------------------

  /**
   * Resolves with the next value. Rejects with `IPCKIT_CHANNEL_CLOSED` once
   * every sender has closed and all values are taken; with `IPCKIT_TIMEOUT`
   * or the signal's reason when given up (no value is lost then).
   */
  recv(options?: RecvOptions): Promise<T> {
    if (this.#closed) return Promise.reject(closedError('Receiver', 'recv'));
    let signal: AbortSignal | undefined;
    let timeout = -1;
    if (options !== undefined) {
      try {
        const opts = validateOptions<RecvOptions>(options);
        signal = validateSignal(opts.signal, 'options.signal');
        timeout = validateTimeout(opts.timeout, 'options.timeout');
      } catch (err) {
        return Promise.reject(err);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    if (this.#waiters.length === 0) {
      const st = this.#produce();
      if (st === VALUE) {
        const v = this.#out as T;
        if (this.#dec.buffered < this.#cfg.highWaterMark && !this.#reading) this.#update();
        return Promise.resolve(v);
      }
      if (st === END) return Promise.reject(endError());
      if (st === FAILED) return Promise.reject(this.#takeFailure());
      if (st === ASYNC) this.#awaitValidation();
    }
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const waiter: Waiter<T> = {
        resolve,
        reject,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
        },
      };
      const giveUp = (err: unknown): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i < 0) return;
        this.#waiters.splice(i, 1);
        waiter.cleanup();
        reject(err);
        this.#update();
      };
      if (timeout >= 0) timer = setTimeout(() => giveUp(new IpckitError(ErrorCode.TIMEOUT, `Receiver.recv(): no message within ${timeout} ms`)), timeout);
      if (signal !== undefined) {
        onAbort = () => giveUp(signal!.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.#waiters.push(waiter);
      this.#update();
    });
  }

  /**
   * The next value if one is ready now, else undefined; never waits. Throws
   * `IPCKIT_CHANNEL_CLOSED` at the end, and the channel's error after one.
   * (With the structured codec a sent `undefined` looks like "nothing
   * ready": use recv() or recvMany() there.)
   */
  tryRecv(): T | undefined {
    if (this.#closed) throw closedError('Receiver', 'tryRecv');
    if (this.#waiters.length > 0) return undefined;
    const st = this.#produce();
    if (st === VALUE) {
      const v = this.#out as T;
      if (!this.#reading) this.#update();
      return v;
    }
    if (st === END) throw endError();
    if (st === FAILED) throw this.#takeFailure();
    if (st === ASYNC) this.#awaitValidation();
    return undefined;
  }

  /**
   * Waits for at least one value, then resolves with every value ready
   * (up to `max`): one promise for a burst of messages. Rejects as recv()
   * does when nothing more will come.
   */
  async recvMany(options?: RecvManyOptions): Promise<T[]> {
    const opts = validateOptions<RecvManyOptions>(options);
    const max = opts.max === undefined ? Infinity : validateInteger(opts.max, 'options.max', 1);
    const first = await this.recv(opts);
    const out: T[] = [first as T];
    while (out.length < max && this.#waiters.length === 0) {
      const st = this.#produce();
      if (st !== VALUE) {
        if (st === ASYNC) this.#awaitValidation();
        break; // END and errors are reported by the next call
      }
      out.push(this.#out as T);
    }
    this.#update();
    return out;
  }

  /**
   * Blocks the thread until a value arrives; for workers and CLIs. While it
   * blocks, nothing else in this thread runs: a `send()` made earlier in the
   * same thread, which is written on the next tick, cannot arrive (use
   * `sendSync()` in synchronous code). Throws
   * `IPCKIT_TIMEOUT` when `timeout` passes, `IPCKIT_CHANNEL_CLOSED` at the
   * end, `IPCKIT_BUSY` while an async recv() waits or when the validator is
   * asynchronous.
   */
  recvSync(options?: { readonly timeout?: number }): T {
    if (this.#closed) throw closedError('Receiver', 'recvSync');
    const timeout = options === undefined ? -1 : validateTimeout(validateOptions<{ timeout: number }>(options).timeout, 'options.timeout');
    if (this.#waiters.length > 0) throw new IpckitError(ErrorCode.BUSY, 'Receiver.recvSync(): a recv() is waiting on this receiver');
    // This thread reads the fd itself now: watching it with epoll as well
    // would only add a wake-up to every write into the pipe. recv(),
    // tryRecv() and iteration start watching again.
    this.#stopReading();
    const deadline = timeout >= 0 ? performance.now() + timeout : Infinity;
    const b = this.#h.binding;
    for (;;) {
      const st = this.#produce();
      if (st === VALUE) return this.#out as T;
      if (st === END) throw endError();
      if (st === FAILED) throw this.#takeFailure();
      if (st === ASYNC) {
        this.#awaitValidation();
        throw new IpckitError(ErrorCode.BUSY, 'Receiver.recvSync(): the validator is asynchronous; use recv()');
      }
      const left = deadline === Infinity ? -1 : Math.max(0, Math.ceil(deadline - performance.now()));
      const r = b.readWaitCopy(this.#h.native('recvSync'), left);
      if (typeof r !== 'number') this.#dec.push(r);
      else if (r === 0) this.#eof = true;
      else if (r === ETIMEDOUT) throw new IpckitError(ErrorCode.TIMEOUT, `Receiver.recvSync(): no message within ${timeout} ms`);
      else this.#fail(systemError(r, 'read'));
    }
  }

  /**
   * Iterates over received values; ends when every sender has closed and
   * all values are taken, throws on a channel error. Breaking out of the
   * loop leaves the receiver open.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const done = { value: undefined, done: true } as const;
    const it: AsyncIterableIterator<T> = {
      next: () => {
        // A value already here costs one settled promise, not two.
        if (!this.#closed && this.#waiters.length === 0 && this.#produce() === VALUE) {
          const value = this.#out as T;
          if (!this.#reading) this.#update();
          return Promise.resolve({ value, done: false });
        }
        return this.#iterWait();
      },
      return: () => Promise.resolve(done),
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /**
   * The iterator's slow path. #produce() found no value; when it does not
   * return a value it changes nothing, so recv() finds the same state.
   */
  #iterWait(): Promise<IteratorResult<T>> {
    return this.recv().then(
      (value) => ({ value, done: false }),
      (err: unknown) => {
        if (isChannelEnd(err)) return { value: undefined, done: true };
        throw err;
      },
    );
  }

  /**
   * Gives up ownership and returns the fd, still open (to hand it to a
   * worker thread, which rebuilds a receiver with `Receiver.fromFd`).
   * Throws `IPCKIT_BUSY` if bytes were already read ahead (they would be
   * lost) or a recv() is waiting.
   */
  intoFd(): number {
    if (this.#closed) throw closedError('Receiver', 'intoFd');
    if (this.#dec.buffered > 0 || this.#dec.partial || this.#waiters.length > 0 || this.#ready !== NOTHING || this.#validating !== null) {
      throw new IpckitError(ErrorCode.BUSY, 'Receiver.intoFd(): data was already read ahead or a recv() is waiting; hand the fd over before receiving');
    }
    this.#stopReading();
    this.#closed = true;
    return this.#h.release();
  }

  /** Lets the process exit while a recv() waits. */
  unref(): this {
    if (this.#closed) throw closedError('Receiver', 'unref');
    this.#userRef = false;
    this.#update();
    return this;
  }

  /** Undoes {@link unref}. */
  ref(): this {
    if (this.#closed) throw closedError('Receiver', 'ref');
    this.#userRef = true;
    this.#update();
    return this;
  }

  /**
   * Closes the receiving end now (idempotent). Values not yet taken are
   * discarded; waiting recv() calls reject with `IPCKIT_CLOSED`; senders
   * then get `IPCKIT_CHANNEL_CLOSED`.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopReading();
    this.#h.close();
    this.#dec.clear();
    this.#validating = null;
    this.#ready = NOTHING;
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) {
      w.cleanup();
      w.reject(closedError('Receiver', 'recv'));
    }
  }

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal ipckit's spawn() handed this receiver's fd to a child. */
  [kHandOff](): void {
    this.close();
  }
}
