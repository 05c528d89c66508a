/**
 * The sending end of a channel.
 * @module
 */
import { closedError, ErrorCode, IpckitError, systemError } from '../errors.js';
import { clearUnflushed, markUnflushed, type Unflushed } from '../internal/exit-report.js';
import { EAGAIN, ETIMEDOUT, FdHandle } from '../internal/handle.js';
import { kHandOff } from '../internal/handoff.js';
import { validateOptions, validateSignal, validateTimeout } from '../internal/validate.js';
import { native, type NativeBinding } from '../native.js';
import { adoptFd } from '../pipe/end.js';
import type { ResolvedCodec } from './codec.js';
import { HEADER_SIZE, writeHeader } from './frame.js';
import { resolveOptions, type ChannelOptions } from './options.js';

/** Bytes a batch holds before it is written at once rather than on the next tick. */
const BATCH = 64 * 1024;
const RESOLVED = Promise.resolve();
/** Where the native writeSync reports bytes written (one thread, read at once). */
const WRITTEN = new Float64Array(1);

type Utf8Writer = { utf8Write(text: string, offset: number, length?: number): number };

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

/** @internal Settings a sender is made with. */
export interface SenderConfig<T> {
  readonly codec: ResolvedCodec<T>;
  readonly maxMessageSize: number;
  readonly highWaterMark: number;
  readonly shared: boolean;
  readonly pipeBuf: number;
}

/**
 * What every clone of a sender in this process shares: the fd and one queue
 * of encoded frames. Frames are appended whole to one queue and written in
 * order, so frames from two clones can never interleave.
 */
class SenderCore<T> implements Unflushed {
  readonly handle: FdHandle;
  readonly cfg: SenderConfig<T>;
  refs = 1;
  /** The batch being filled, and how much of it is used. */
  batch: Buffer;
  len = 0;
  /** Sealed, fully framed buffers waiting for the fd; `offset` into the first. */
  queue: Buffer[] = [];
  offset = 0;
  /** Bytes accepted and not yet written. */
  queued = 0;
  waitingWritable = false;
  flushScheduled = false;
  waiters: Waiter[] = [];
  /** Set once the receiver is gone (or a write failed): every send rejects with it. */
  broken: IpckitError | null = null;
  closing: Promise<void> | null = null;
  #drained: (() => void) | null = null;
  readonly #flush = (): void => this.flush();
  readonly json: boolean;
  readonly batchSize: number;
  readonly maxSize: number;
  readonly spareMax: number;
  /** Written-out batch buffers kept for reuse (they would otherwise be garbage). */
  spare: Buffer[] = [];
  /** The full buffer behind each queued view, for recycling. */
  bases: Buffer[] = [];

  constructor(binding: NativeBinding, fd: number, cfg: SenderConfig<T>) {
    this.cfg = cfg;
    this.json = cfg.codec.name === 'json';
    this.batchSize = cfg.shared ? cfg.pipeBuf : BATCH;
    // One bound for both limits: maxMessageSize, and for a shared sender one atomic write.
    this.maxSize = cfg.shared ? Math.min(cfg.maxMessageSize, cfg.pipeBuf - HEADER_SIZE) : cfg.maxMessageSize;
    this.spareMax = Math.ceil(cfg.highWaterMark / this.batchSize) + 2;
    this.batch = Buffer.allocUnsafeSlow(this.batchSize);
    this.handle = new FdHandle(binding, fd, { onWritable: () => this.onWritable() }, 'Sender');
  }

  /** Encodes and queues one message; resolves when the queue is below the high-water mark. */
  send(value: T): Promise<void> {
    if (this.broken !== null) return Promise.reject(this.broken);
    try {
      this.enqueue(value);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.queued <= this.cfg.highWaterMark) return RESOLVED;
    return this.ready();
  }

  /** Encodes and queues one message; throws (having queued nothing) on failure. */
  enqueue(value: T): void {
    let payload: Uint8Array | string | undefined;
    try {
      // JSON is the default: call it directly (one less indirect call per message).
      payload = this.json ? JSON.stringify(value) : this.cfg.codec.encode(value);
    } catch (err) {
      throw err instanceof IpckitError ? err : new IpckitError(ErrorCode.ENCODE_FAILED, `could not encode a value: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    if (payload === undefined) throw new IpckitError(ErrorCode.ENCODE_FAILED, `a ${typeof value} cannot be encoded as JSON`);
    this.append(payload);
    if (this.len >= this.batchSize) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After the current synchronous code and its microtasks: a loop of
      // `await send()` fills one batch and costs one write.
      process.nextTick(this.#flush);
    }
  }

  /** Resolves once the queue is at or below half the high-water mark. */
  ready(): Promise<void> {
    if (this.broken !== null) return Promise.reject(this.broken);
    if (this.queued <= this.cfg.highWaterMark / 2) return RESOLVED;
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  #tooLarge(size: number): IpckitError {
    const shared = this.cfg.shared && HEADER_SIZE + size > this.cfg.pipeBuf;
    return new IpckitError(
      ErrorCode.MESSAGE_TOO_LARGE,
      shared
        ? `a ${size}-byte message does not fit one atomic pipe write (PIPE_BUF is ${this.cfg.pipeBuf}, the header takes ${HEADER_SIZE}): a shared sender cannot send it`
        : `a ${size}-byte message is larger than maxMessageSize (${this.cfg.maxMessageSize})`,
    );
  }

  /**
   * Frames the payload into the batch. Throws (having written nothing) if it
   * is too large. A frame larger than the room left is copied across fixed-
   * size buffers, so a large message costs no extra allocation; only a
   * shared sender keeps each frame in one buffer (one atomic write).
   */
  append(payload: Uint8Array | string): void {
    let n: number;
    if (typeof payload === 'string') {
      let bound = payload.length * 3; // UTF-8 never needs more
      if (HEADER_SIZE + bound > this.batch.length - this.len || bound > this.maxSize) {
        bound = Buffer.byteLength(payload);
        if (bound > this.maxSize) throw this.#tooLarge(bound);
        if (HEADER_SIZE + bound > this.batch.length - this.len) {
          if (this.cfg.shared || HEADER_SIZE + bound <= this.batchSize) this.reserve(HEADER_SIZE + bound);
          else return this.#appendSpread(Buffer.from(payload, 'utf8'));
        }
      }
      n = (this.batch as unknown as Utf8Writer).utf8Write(payload, this.len + HEADER_SIZE);
    } else {
      n = payload.length;
      if (n > this.maxSize) throw this.#tooLarge(n);
      if (HEADER_SIZE + n > this.batch.length - this.len) {
        if (this.cfg.shared || HEADER_SIZE + n <= this.batchSize) this.reserve(HEADER_SIZE + n);
        else return this.#appendSpread(payload);
      }
      this.batch.set(payload, this.len + HEADER_SIZE);
    }
    writeHeader(this.batch, this.len, n);
    this.len += HEADER_SIZE + n;
    this.queued += HEADER_SIZE + n;
  }

  /** Copies a frame across as many batch buffers as it needs. */
  #appendSpread(payload: Uint8Array): void {
    this.queued += HEADER_SIZE + payload.length; // counted first: parts may be written during the copy
    if (this.batch.length - this.len < HEADER_SIZE) this.reserve(HEADER_SIZE);
    writeHeader(this.batch, this.len, payload.length);
    this.len += HEADER_SIZE;
    let at = 0;
    while (at < payload.length) {
      if (this.len === this.batch.length) this.reserve(1);
      const m = Math.min(payload.length - at, this.batch.length - this.len);
      this.batch.set(payload.subarray(at, at + m), this.len);
      this.len += m;
      at += m;
    }
  }

  /** A batch buffer, recycled when there is one. */
  newBatch(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(this.batchSize);
  }

  /** Makes room for `n` more bytes (n at most one batch): writes or seals the batch when full. */
  reserve(n: number): void {
    if (this.batch.length - this.len >= n) return;
    if (this.len > 0) this.writeBatch();
    if (this.batch.length - this.len < n) this.seal(0);
  }

  /** Writes what it can now; waits for writability for the rest. */
  flush(): void {
    this.flushScheduled = false;
    if (this.broken !== null || this.waitingWritable) return;
    if (!this.writeQueue()) return;
    if (this.len > 0) this.writeBatch();
    this.afterProgress();
  }

  /**
   * Writes sealed buffers in order. Returns true when the queue is empty.
   * A shared sender writes each buffer on its own: one write of at most
   * PIPE_BUF bytes is atomic, several in one writev are not.
   */
  writeQueue(): boolean {
    const h = this.handle;
    while (this.queue.length > 0) {
      const q = this.queue;
      const r = q.length === 1 || this.cfg.shared ? h.write(q[0]!, this.offset) : h.writev(q, this.offset);
      if (r > 0) {
        this.queued -= r;
        let left = r;
        while (left > 0) {
          const room = q[0]!.length - this.offset;
          if (left < room) {
            this.offset += left;
            left = 0;
          } else {
            left -= room;
            q.shift();
            this.#recycle(this.bases.shift()!);
            this.offset = 0;
          }
        }
        continue;
      }
      if (r === EAGAIN || r === 0) {
        this.waitWritable();
        return false;
      }
      this.fail(r);
      return false;
    }
    return true;
  }

  /** Writes the batch in place (so the buffer is reused); seals the rest on a partial write. */
  writeBatch(): void {
    if (this.queue.length > 0 || this.waitingWritable) {
      this.seal(0);
      return;
    }
    const r = this.handle.write(this.batch, 0, this.len);
    if (r === this.len) {
      this.queued -= r;
      this.len = 0;
      return;
    }
    if (r >= 0 || r === EAGAIN) {
      const done = r > 0 ? r : 0;
      this.queued -= done;
      this.seal(done);
      this.waitWritable();
      return;
    }
    this.fail(r);
  }

  /** Moves the batch (from `from`) to the queue and starts a fresh one. */
  seal(from: number): void {
    if (this.len === 0) return;
    this.queue.push(this.len === this.batch.length ? this.batch : this.batch.subarray(0, this.len));
    this.bases.push(this.batch);
    if (this.queue.length === 1) this.offset = from;
    this.batch = this.newBatch();
    this.len = 0;
  }

  /** Keeps written buffers for reuse, up to what the high-water mark can need. */
  #recycle(buf: Buffer): void {
    if (this.spare.length < this.spareMax) this.spare.push(buf);
  }

  waitWritable(): void {
    if (this.waitingWritable) return;
    const r = this.handle.awaitWritable();
    if (r < 0) return this.fail(r);
    this.waitingWritable = true;
    markUnflushed(this);
  }

  onWritable(): void {
    this.waitingWritable = false;
    this.flush();
  }

  afterProgress(): void {
    if (this.queued <= this.cfg.highWaterMark / 2 && this.waiters.length > 0) {
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w.resolve();
    }
    if (this.queued === 0) {
      clearUnflushed(this);
      const d = this.#drained;
      this.#drained = null;
      d?.();
    }
  }

  fail(errno: number): void {
    const cause = systemError(errno, 'write');
    this.broken = new IpckitError(
      ErrorCode.CHANNEL_CLOSED,
      errno === -32 ? 'the receiver is gone: every read end of the channel is closed' : `the channel failed: ${cause.message}`,
      { cause },
    );
    this.queue = [];
    this.bases = [];
    this.len = 0;
    this.queued = 0;
    clearUnflushed(this);
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(this.broken);
    const d = this.#drained;
    this.#drained = null;
    d?.();
  }

  /** Resolves once everything queued is written (or the channel broke). */
  drained(): Promise<void> {
    this.flush();
    if (this.queued === 0 || this.broken !== null) return RESOLVED;
    return new Promise<void>((resolve) => (this.#drained = resolve));
  }

  /** Blocking: writes everything queued, in order (the batch in place). */
  flushSync(timeout: number): void {
    const b = this.handle.binding;
    const h = this.handle.native('sendSync');
    const out = WRITTEN;
    const failed = (r: number): never => {
      if (r === ETIMEDOUT) throw new IpckitError(ErrorCode.TIMEOUT, `Sender.sendSync(): the pipe had no room for ${timeout} ms`);
      this.fail(r);
      throw this.broken!;
    };
    while (this.queue.length > 0) {
      const part = this.queue[0]!;
      const r = b.writeSync(h, part, this.offset, part.length - this.offset, timeout, out);
      this.queued -= out[0]!;
      if (r < 0) {
        this.offset += out[0]!;
        failed(r);
      }
      this.queue.shift();
      this.#recycle(this.bases.shift()!);
      this.offset = 0;
    }
    if (this.len > 0) {
      const r = b.writeSync(h, this.batch, 0, this.len, timeout, out);
      this.queued -= out[0]!;
      if (r < 0) {
        this.seal(out[0]!); // the rest stays queued, in order
        failed(r);
      }
      this.len = 0;
    }
    this.afterProgress();
  }

  unflushedReport(): string | undefined {
    if (this.queued === 0 || this.handle.closed) return undefined;
    return `a channel Sender (fd ${this.handle.fd}) was not flushed before exit: ${this.queued} bytes not written; await sender.close() before exiting`;
  }
}

/** Options of {@link Sender.sendSync}. */
export interface SendSyncOptions {
  /** Milliseconds to wait for room in the pipe before throwing `IPCKIT_TIMEOUT`. */
  readonly timeout?: number;
}

/** Options of {@link Sender.close}. */
export interface SenderCloseOptions {
  /** Give up flushing after this many milliseconds: the rest is discarded and close() rejects with `IPCKIT_TIMEOUT`. */
  readonly timeout?: number;
  /** Give up flushing when aborted (as for `timeout`, rejecting with the reason). */
  readonly signal?: AbortSignal;
}

/**
 * The sending end of a channel: encodes values into frames and writes them
 * to the channel's pipe, in order, never blocking the event loop.
 *
 * `send()` resolves once the message is queued and the queue is below the
 * high-water mark; it waits (backpressure) above it. Messages sent in one
 * turn of the event loop go out in one write. Sending after the receiver is
 * gone rejects with `IPCKIT_CHANNEL_CLOSED` (its `cause` the `EPIPE`), and
 * never kills the process.
 *
 * Errors: `IPCKIT_MESSAGE_TOO_LARGE` (nothing is written),
 * `IPCKIT_ENCODE_FAILED`, `IPCKIT_CHANNEL_CLOSED`; every method throws (or
 * rejects with) `IPCKIT_CLOSED` after `close()`.
 */
export class Sender<T = unknown> implements AsyncDisposable {
  readonly #core: SenderCore<T>;
  #closed: Promise<void> | null = null;

  private constructor(core: SenderCore<T>) {
    this.#core = core;
  }

  /** @internal */
  static create<T>(binding: NativeBinding, fd: number, cfg: SenderConfig<T>): Sender<T> {
    return new Sender<T>(new SenderCore(binding, fd, cfg));
  }

  /**
   * Rebuilds a sender from an fd open for writing, typically in a child that
   * was given the parent's end through `spawn`'s stdio. ipckit owns the fd
   * from now on (close-on-exec). Options must match the receiver's (codec,
   * limits). Throws `IPCKIT_INVALID_ARGUMENT` without taking the fd if it is
   * not open for writing.
   */
  static fromFd<T = unknown>(fd: number, options?: ChannelOptions<T>): Sender<T> {
    const cfg = resolveOptions<T>(options).sender;
    const b = native();
    return Sender.create<T>(b, adoptFd(b, fd, 'write', 'Sender'), cfg);
  }

  #live(method: string): SenderCore<T> {
    if (this.#closed !== null || this.#core.handle.closed) throw closedError('Sender', method);
    return this.#core;
  }

  /** The pipe's write end. Throws `IPCKIT_CLOSED` after close. */
  get fd(): number {
    return this.#live('fd').handle.fd;
  }

  /** Bytes accepted by send() and not yet written to the pipe. */
  get bufferedBytes(): number {
    return this.#core.queued;
  }

  /**
   * Sends a value. Resolves when it is queued below the high-water mark;
   * the returned promise is the backpressure signal, so `await` it.
   */
  send(value: T): Promise<void> {
    if (this.#closed !== null) return Promise.reject(closedError('Sender', 'send'));
    return this.#core.send(value);
  }

  /**
   * Queues a value without waiting, if there is room: true when it was
   * queued, false when the queue is above the high-water mark (nothing was
   * queued; `await ready()` and try again). For hot loops where an `await`
   * per message costs too much:
   *
   * ```ts
   * for (const v of values) while (!tx.trySend(v)) await tx.ready();
   * ```
   *
   * Throws what send() would reject with.
   */
  trySend(value: T): boolean {
    const core = this.#live('trySend');
    if (core.broken !== null) throw core.broken;
    if (core.queued > core.cfg.highWaterMark) return false;
    core.enqueue(value);
    return true;
  }

  /** Resolves when the queue has room again (at or below half the high-water mark). */
  ready(): Promise<void> {
    if (this.#closed !== null) return Promise.reject(closedError('Sender', 'ready'));
    return this.#core.ready();
  }

  /**
   * Sends a value and blocks the thread until it and everything queued
   * before it is in the pipe. For code that cannot await.
   */
  sendSync(value: T, options?: SendSyncOptions): void {
    const core = this.#live('sendSync');
    const timeout = options === undefined ? -1 : validateTimeout(validateOptions<SendSyncOptions>(options).timeout, 'options.timeout');
    if (core.broken !== null) throw core.broken;
    let payload: Uint8Array | string;
    try {
      payload = core.cfg.codec.encode(value);
    } catch (err) {
      throw err instanceof IpckitError ? err : new IpckitError(ErrorCode.ENCODE_FAILED, `could not encode a value: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    core.append(payload);
    core.flushSync(timeout);
  }

  /**
   * Gives up ownership and returns the fd, still open (to hand it to a
   * worker thread, which rebuilds a sender with `Sender.fromFd`). Throws
   * `IPCKIT_BUSY` while messages are queued or other clones are open.
   */
  intoFd(): number {
    const core = this.#live('intoFd');
    if (core.queued > 0 || core.refs > 1) {
      throw new IpckitError(
        ErrorCode.BUSY,
        core.queued > 0 ? `Sender.intoFd(): ${core.queued} bytes are still queued; await ready() or close() them first` : 'Sender.intoFd(): other clones of this sender are open',
      );
    }
    this.#closed = RESOLVED;
    core.refs = 0;
    clearUnflushed(core);
    return core.handle.release();
  }

  /** Another sender on the same channel, sharing this one's queue (frames never interleave). */
  clone(): Sender<T> {
    const core = this.#live('clone');
    core.refs++;
    return new Sender<T>(core);
  }

  /**
   * Resolves once every read end of the channel is closed, even if this
   * sender never sends. Rejects with `IPCKIT_CLOSED` if it closes first.
   */
  peerClosed(options?: { readonly signal?: AbortSignal }): Promise<void> {
    if (this.#closed !== null) return Promise.reject(closedError('Sender', 'peerClosed'));
    return this.#core.handle.whenPeerClosed('peerClosed', validateSignal(validateOptions<{ signal: AbortSignal }>(options).signal, 'options.signal'));
  }

  /**
   * Closes this sender. The channel's pipe closes when the last clone in
   * this process is closed, after everything queued has been written: a
   * message whose send() resolved is not lost. Idempotent.
   */
  close(options?: SenderCloseOptions): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    let opts: Partial<SenderCloseOptions>;
    let timeout: number;
    let signal: AbortSignal | undefined;
    try {
      opts = validateOptions<SenderCloseOptions>(options);
      timeout = validateTimeout(opts.timeout, 'options.timeout');
      signal = validateSignal(opts.signal, 'options.signal');
    } catch (err) {
      return Promise.reject(err);
    }
    const core = this.#core;
    core.refs--;
    if (core.refs > 0) return (this.#closed = RESOLVED);
    this.#closed = closeCore(core, timeout, signal);
    return this.#closed;
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal ipckit's spawn() handed this sender's fd to a child. */
  [kHandOff](): void {
    void this.close();
  }
}

async function closeCore<T>(core: SenderCore<T>, timeout: number, signal: AbortSignal | undefined): Promise<void> {
  if (core.queued > 0 && core.broken === null) {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const giveUp = new Promise<never>((_, reject) => {
      if (timeout >= 0) timer = setTimeout(() => reject(new IpckitError(ErrorCode.TIMEOUT, `Sender.close(): ${core.queued} bytes could not be written within ${timeout} ms and were discarded`)), timeout);
      if (signal !== undefined) {
        onAbort = () => reject(signal.reason);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      await Promise.race([core.drained(), giveUp]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
      clearUnflushed(core);
      core.handle.close();
    }
    return;
  }
  clearUnflushed(core);
  core.handle.close();
}
