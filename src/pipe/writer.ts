/**
 * The write end of a pipe (or FIFO) as a Node `Writable`.
 * @module
 */
import { finished } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { ErrorCode, IpckitError, systemError } from '../errors.js';
import { ETIMEDOUT, FdHandle } from '../internal/handle.js';
import { clearUnflushed, markUnflushed, type Unflushed } from '../internal/exit-report.js';
import { kHandOff } from '../internal/handoff.js';
import { StreamWriteEngine } from '../internal/stream-io.js';
import { validateBytes, validateOptions, validateTimeout } from '../internal/validate.js';
import { native } from '../native.js';
import { adoptFd, dupFd, fromOwnFd, getCapacity, setCapacity } from './end.js';

/** Options of a {@link PipeWriter}. */
export interface PipeWriterOptions {
  /**
   * Bytes queued before `write()` returns false and the stream waits for
   * `'drain'`.
   * @default 65536
   */
  readonly highWaterMark?: number;
  /** Destroys the stream when aborted (as for any Node stream). */
  readonly signal?: AbortSignal;
}

/** Options of {@link PipeWriter.writeSync}. */
export interface WriteSyncOptions {
  /** Milliseconds to wait for room in the pipe before throwing `IPCKIT_TIMEOUT`. Default: wait forever. */
  readonly timeout?: number;
}

/**
 * The write end of a pipe: a `stream.Writable` over a real pipe fd.
 *
 * Writes never block the event loop: what the pipe cannot take now waits
 * for room, and `'drain'` follows. `end()` flushes and then closes the fd,
 * which is how the reader learns the stream is over.
 *
 * Writing when every reader has closed fails with an error whose `code` is
 * `'EPIPE'` (an `'error'` event, or the callback). SIGPIPE never kills the
 * process, even when its disposition is the default.
 *
 * Events beyond `Writable`'s: `'peerclose'` once every read end is closed,
 * even if this end never writes.
 *
 * Every ipckit method throws `IPCKIT_CLOSED` after `close()`. Stream methods
 * (`write`, `end`, ...) keep Node's stream rules.
 */
export class PipeWriter extends Writable implements Disposable, AsyncDisposable, Unflushed {
  readonly #h: FdHandle;
  readonly #engine: StreamWriteEngine;

  /** Adopts `fd` (see {@link PipeWriter.fromFd}). */
  constructor(fd: number, options?: PipeWriterOptions) {
    const opts = validateOptions<PipeWriterOptions>(options);
    const b = native();
    const owned = adoptFd(b, fd, 'write', 'PipeWriter');
    super({
      highWaterMark: opts.highWaterMark ?? 65536,
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
    this.#h = new FdHandle(b, owned, {}, 'PipeWriter');
    const engine = (this.#engine = new StreamWriteEngine(this.#h));
    this.#h.delegate = {
      onWritable: () => {
        engine.onWritable();
        if (!engine.pending) clearUnflushed(this);
      },
      onPeerClose: () => this.emit('peerclose'),
    };
    this.on('newListener', (event) => {
      if (event === 'peerclose') this.#h.watchPeer(true);
    });
    this.on('removeListener', (event) => {
      if (event === 'peerclose') this.#h.watchPeer(false);
    });
  }

  /**
   * Adopts an fd open for writing. ipckit owns it from now on: it becomes
   * close-on-exec and is closed by `close()` or at the end of the stream.
   * Throws `IPCKIT_INVALID_ARGUMENT` if the fd is not open for writing,
   * without taking ownership.
   */
  static fromFd(fd: number, options?: PipeWriterOptions): PipeWriter {
    return new PipeWriter(fd, options);
  }

  /** The file descriptor. Throws `IPCKIT_CLOSED` after close. */
  get fd(): number {
    this.#h.native('fd');
    return this.#h.fd;
  }


  /**
   * Writes all of `buffer`, blocking the thread until the pipe has taken it;
   * returns `buffer.length`. For code that cannot await: CLIs, workers.
   *
   * Throws `IPCKIT_BUSY` while writes from the stream API are still queued
   * (they would be overtaken), `IPCKIT_TIMEOUT` when `timeout` passes, and an
   * `EPIPE` error when no reader is left. A thrown error carries
   * `bytesWritten`: how much of `buffer` did reach the pipe.
   */
  writeSync(buffer: Uint8Array, options?: WriteSyncOptions): number {
    const h = this.#h.native('writeSync');
    validateBytes(buffer, 'buffer');
    const timeout = validateTimeout(validateOptions<WriteSyncOptions>(options).timeout, 'options.timeout');
    if (this.#engine.pending || this.writableLength > 0) {
      throw new IpckitError(
        ErrorCode.BUSY,
        'PipeWriter.writeSync(): earlier write() calls are still queued; wait for the "drain" event first',
      );
    }
    const out = new Float64Array(1);
    const r = this.#h.binding.writeSync(h, buffer, 0, buffer.length, timeout, out);
    if (r >= 0) return r;
    const err =
      r === ETIMEDOUT
        ? new IpckitError(ErrorCode.TIMEOUT, `PipeWriter.writeSync(): the pipe had no room for ${timeout} ms`)
        : systemError(r, 'write');
    Object.assign(err, { bytesWritten: out[0] });
    throw err;
  }

  /** A second writer on the same pipe (dup(2), close-on-exec). */
  tryClone(options?: PipeWriterOptions): PipeWriter {
    const fd = dupFd(this.#h);
    try {
      return fromOwnFd(() => new PipeWriter(fd, options));
    } catch (err) {
      this.#h.binding.closeFd(fd);
      throw err;
    }
  }

  /**
   * Gives up ownership and returns the fd, still open; this object closes
   * without closing it. Throws `IPCKIT_BUSY` while written data is still
   * queued in the stream.
   */
  intoFd(): number {
    this.#h.native('intoFd');
    if (this.#engine.pending || this.writableLength > 0) {
      throw new IpckitError(
        ErrorCode.BUSY,
        'PipeWriter.intoFd(): written data is still queued; wait for the "drain" event first',
      );
    }
    const fd = this.#h.release();
    this.destroy();
    return fd;
  }

  /** Linux: the pipe's capacity in bytes. */
  getCapacity(): number {
    return getCapacity(this.#h);
  }

  /** Linux: resizes the pipe; returns the capacity the kernel chose. */
  setCapacity(bytes: number): number {
    return setCapacity(this.#h, bytes);
  }

  /**
   * Resolves once every read end is closed (in this and every other
   * process), even if this end never writes. Rejects with `IPCKIT_CLOSED` if
   * this writer closes first, or with the signal's reason.
   */
  peerClosed(options?: { readonly signal?: AbortSignal }): Promise<void> {
    return this.#h.whenPeerClosed('peerClosed', validateOptions<{ signal: AbortSignal }>(options).signal);
  }

  /** Lets the process exit while writes wait for room. */
  unref(): this {
    this.#h.native('unref');
    this.#h.setRef(false);
    return this;
  }

  /** Undoes {@link unref}. */
  ref(): this {
    this.#h.native('ref');
    this.#h.setRef(true);
    return this;
  }

  /**
   * Closes the fd now (idempotent). Anything not yet written is discarded:
   * use `end()` (or `await using`) to flush first.
   */
  close(): void {
    if (!this.#h.closed) this.destroy();
  }

  /** Same as {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Flushes what is queued, then closes (`end()` and wait). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#h.closed) return;
    this.end();
    await finished(this);
  }

  /** @internal Called by ipckit's spawn() once a child holds its own copy. */
  [kHandOff](): void {
    this.close();
  }

  /** @internal What would be lost at exit (see internal/exit-report.ts). */
  unflushedReport(): string | undefined {
    const n = this.writableLength;
    if (this.destroyed || n === 0) return undefined;
    return (
      `PipeWriter (fd ${this.#h.fd}) was not flushed before exit: ${n} byte${n === 1 ? '' : 's'} not written; ` +
      `end() it and wait for 'finish' (or await writer[Symbol.asyncDispose]()) before exiting`
    );
  }

  #watchFlush(): void {
    if (this.#engine.pending) markUnflushed(this);
  }

  /** @internal */
  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#engine.write([chunk], cb);
    this.#watchFlush();
  }

  /** @internal */
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.#engine.write(
      chunks.map((c) => c.chunk),
      cb,
    );
    this.#watchFlush();
  }

  /** @internal */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    clearUnflushed(this);
    this.#engine.abort();
    const r = this.#h.close();
    cb(err ?? (r < 0 ? systemError(r, 'close') : null));
  }
}
