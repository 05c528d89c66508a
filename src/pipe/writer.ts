/**
 * The write end of a pipe (or FIFO) as a Node `Writable`.
 * @module
 */
import { finished } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { closedError, ErrorCode, IpckitError, systemError } from '../errors.js';
import { EAGAIN, ETIMEDOUT, FdHandle } from '../internal/handle.js';
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
        if (this.#waitingRecords) {
          this.#waitingRecords = false;
          this.#pumpRecords();
        }
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

  /**
   * Writes `record` with a single write(2) of at most PIPE_BUF bytes (4096
   * on Linux), which the kernel keeps whole: records from several writers
   * of one pipe or FIFO never tear or interleave. Waits (without blocking)
   * while the pipe is full, and until earlier `write()` calls have drained.
   *
   * Rejects with `IPCKIT_MESSAGE_TOO_LARGE` for a record above PIPE_BUF
   * (nothing is written), `EPIPE` when no reader is left.
   */
  writeRecord(record: Uint8Array): Promise<void> {
    try {
      this.#h.native('writeRecord');
      validateBytes(record, 'record');
    } catch (err) {
      return Promise.reject(err);
    }
    const max = this.#h.binding.PIPE_BUF;
    if (record.length > max) {
      return Promise.reject(
        new IpckitError(ErrorCode.MESSAGE_TOO_LARGE, `PipeWriter.writeRecord(): a ${record.length}-byte record is above PIPE_BUF (${max}); the kernel would not keep it whole`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.#records.push({ data: record, resolve, reject });
      if (this.#records.length === 1) this.#pumpRecords();
    });
  }

  #records: Array<{ data: Uint8Array; resolve(): void; reject(err: unknown): void }> = [];

  #pumpRecords(): void {
    while (this.#records.length > 0) {
      if (this.#h.closed) {
        const rs = this.#records;
        this.#records = [];
        for (const r of rs) r.reject(closedError('PipeWriter', 'writeRecord'));
        return;
      }
      if (this.#engine.pending || this.writableLength > 0) {
        // Behind earlier write() calls: go on once they drained.
        this.once('drain', () => this.#pumpRecords());
        return;
      }
      const rec = this.#records[0]!;
      const r = this.#h.write(rec.data, 0);
      if (r === rec.data.length) {
        this.#records.shift();
        rec.resolve();
        continue;
      }
      if (r === EAGAIN || r === 0) {
        this.#waitingRecords = true;
        const w = this.#h.awaitWritable();
        if (w < 0) {
          this.#records.shift();
          rec.reject(systemError(w, 'epoll_ctl'));
          continue;
        }
        return;
      }
      this.#records.shift();
      rec.reject(r > 0 ? new IpckitError(ErrorCode.PARTIAL_WRITE, `PipeWriter.writeRecord(): only ${r} of ${rec.data.length} bytes were written`) : systemError(r, 'write'));
    }
  }

  #waitingRecords = false;

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
    const records = this.#records;
    this.#records = [];
    for (const r of records) r.reject(closedError('PipeWriter', 'writeRecord'));
    const r = this.#h.close();
    cb(err ?? (r < 0 ? systemError(r, 'close') : null));
  }
}
