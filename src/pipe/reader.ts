/**
 * The read end of a pipe (or FIFO) as a Node `Readable`.
 * @module
 */
import { Readable } from 'node:stream';
import { closedError, ErrorCode, IpckitError, systemError } from '../errors.js';
import { ETIMEDOUT, FdHandle } from '../internal/handle.js';
import { kHandOff } from '../internal/handoff.js';
import { DirectReadEngine, StreamReadEngine } from '../internal/stream-io.js';
import { validateBytes, validateInteger, validateOptions, validateSignal, validateTimeout } from '../internal/validate.js';
import { native } from '../native.js';
import { adoptFd, dupFd, fromOwnFd, getCapacity, setCapacity } from './end.js';

/** Options of a {@link PipeReader}. */
export interface PipeReaderOptions {
  /**
   * Bytes the stream buffers before it stops reading from the pipe.
   * @default 65536
   */
  readonly highWaterMark?: number;
  /**
   * The largest Buffer a single read delivers. Reads take what the pipe holds
   * (up to this), so a full 1 MiB pipe is drained in one call.
   * @default 1048576
   */
  readonly maxChunk?: number;
  /** Destroys the stream when aborted (as for any Node stream). */
  readonly signal?: AbortSignal;
}

/** Options of {@link PipeReader.readSync}. */
export interface ReadSyncOptions {
  /** Milliseconds to wait for data before throwing `IPCKIT_TIMEOUT`. Default: wait forever. */
  readonly timeout?: number;
}

const DEFAULT_MAX_CHUNK = 1024 * 1024;

/**
 * The read end of a pipe: a `stream.Readable` over a real pipe fd.
 *
 * The stream ends (`'end'`) once every write end is closed and the pipe is
 * drained. Reading never blocks the event loop or a threadpool thread; data
 * arrives in chunks as large as the pipe holds (up to `maxChunk`).
 *
 * Events beyond `Readable`'s: `'peerclose'` once every write end is closed,
 * possibly with data still unread.
 *
 * Errors: OS errors as Node-shaped errors (`code`, `errno`, `syscall`);
 * every ipckit method throws `IPCKIT_CLOSED` after `close()`. Stream methods
 * (`read`, `pipe`, ...) keep Node's stream rules.
 */
export class PipeReader extends Readable implements Disposable {
  readonly #h: FdHandle;
  readonly #engine: StreamReadEngine;
  readonly #direct: DirectReadEngine;
  #readWanted = false;

  /**
   * Adopts `fd` (see {@link PipeReader.fromFd}). Prefer `pipe()` to create
   * pipes; use this for an fd that came from elsewhere.
   */
  constructor(fd: number, options?: PipeReaderOptions) {
    const opts = validateOptions<PipeReaderOptions>(options);
    const b = native();
    const owned = adoptFd(b, fd, 'read', 'PipeReader');
    const maxChunk =
      opts.maxChunk === undefined ? DEFAULT_MAX_CHUNK : validateInteger(opts.maxChunk, 'options.maxChunk', 1, 0x7fffffff);
    super({
      highWaterMark: opts.highWaterMark ?? 65536,
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
    this.#h = new FdHandle(b, owned, {}, 'PipeReader');
    const engine = (this.#engine = new StreamReadEngine(this, this.#h, maxChunk));
    const direct = (this.#direct = new DirectReadEngine(this.#h));
    this.#h.delegate = {
      onRead: (nread, data) => engine.onRead(nread, data),
      onReadable: () => {
        direct.onReadable();
        if (!direct.pending && this.#readWanted) {
          this.#readWanted = false;
          engine.start();
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
   * Adopts an fd open for reading (a pipe or FIFO; a socket, terminal or file
   * also works). ipckit owns it from now on: it becomes close-on-exec and is
   * closed by `close()`. Throws `IPCKIT_INVALID_ARGUMENT` if the fd is not
   * open for reading, without taking ownership.
   */
  static fromFd(fd: number, options?: PipeReaderOptions): PipeReader {
    return new PipeReader(fd, options);
  }

  /** The file descriptor. Throws `IPCKIT_CLOSED` after close. */
  get fd(): number {
    this.#h.native('fd');
    return this.#h.fd;
  }


  /**
   * Reads into `buffer`, blocking the thread until at least one byte is
   * there; returns the number of bytes read, or 0 at end of stream (every
   * writer closed). For code that cannot await: CLIs, workers. Bytes already
   * buffered by the stream API are returned first, so nothing is reordered.
   *
   * Throws `IPCKIT_TIMEOUT` when `timeout` passes without data.
   */
  readSync(buffer: Uint8Array, options?: ReadSyncOptions): number {
    const h = this.#h.native('readSync');
    validateBytes(buffer, 'buffer');
    const timeout = validateTimeout(validateOptions<ReadSyncOptions>(options).timeout, 'options.timeout');
    if (buffer.length === 0) return 0;
    if (this.readableLength > 0) {
      const chunk = this.read(Math.min(buffer.length, this.readableLength)) as Buffer | null;
      if (chunk !== null) {
        buffer.set(chunk);
        return chunk.length;
      }
    }
    const r = this.#h.binding.readSync(h, buffer, 0, buffer.length, timeout);
    if (r >= 0) return r;
    if (r === ETIMEDOUT) {
      throw new IpckitError(ErrorCode.TIMEOUT, `PipeReader.readSync(): no data within ${timeout} ms`);
    }
    throw systemError(r, 'read');
  }

  /**
   * Reads into `buffer` (from `offset`, at most `length` bytes) without
   * blocking the event loop; resolves with the number of bytes read, or 0 at
   * end of stream. The fastest way to consume a pipe: no allocation per read,
   * and a buffer reused across calls stays warm in the CPU cache.
   *
   * One `readInto` at a time, and not while the stream is flowing (both
   * throw `IPCKIT_BUSY`). Bytes already buffered by the stream API are
   * returned first. Rejects with `IPCKIT_CLOSED` if the reader closes while
   * waiting, or with the signal's reason.
   */
  readInto(
    buffer: Uint8Array,
    options?: { readonly offset?: number; readonly length?: number; readonly signal?: AbortSignal },
  ): Promise<number> {
    try {
      this.#h.native('readInto');
      validateBytes(buffer, 'buffer');
      const opts = validateOptions<{ offset: number; length: number; signal: AbortSignal }>(options);
      const offset = opts.offset === undefined ? 0 : validateInteger(opts.offset, 'options.offset', 0, buffer.length);
      const length =
        opts.length === undefined ? buffer.length - offset : validateInteger(opts.length, 'options.length', 0, buffer.length - offset);
      const signal = validateSignal(opts.signal, 'options.signal');
      if (this.#direct.pending || this.readableFlowing === true) {
        throw new IpckitError(
          ErrorCode.BUSY,
          this.#direct.pending
            ? 'PipeReader.readInto(): another readInto() is still pending; await it first'
            : 'PipeReader.readInto(): the stream is flowing (a "data" listener or pipe()); pause it first',
        );
      }
      if (length === 0) return Promise.resolve(0);
      if (this.readableLength > 0) {
        const chunk = this.read(Math.min(length, this.readableLength)) as Buffer | null;
        if (chunk !== null) {
          buffer.set(chunk, offset);
          return Promise.resolve(chunk.length);
        }
      }
      this.#engine.stop();
      return this.#direct.read(buffer, offset, length, signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A second reader on the same pipe (dup(2), close-on-exec). */
  tryClone(options?: PipeReaderOptions): PipeReader {
    const fd = dupFd(this.#h);
    try {
      return fromOwnFd(() => new PipeReader(fd, options));
    } catch (err) {
      this.#h.binding.closeFd(fd);
      throw err;
    }
  }

  /**
   * Gives up ownership and returns the fd, still open; this object closes
   * without closing it. Throws `IPCKIT_BUSY` if the stream has buffered data
   * that would be lost.
   */
  intoFd(): number {
    this.#h.native('intoFd');
    if (this.readableLength > 0) {
      throw new IpckitError(
        ErrorCode.BUSY,
        `PipeReader.intoFd(): ${this.readableLength} bytes are buffered in the stream; read them first`,
      );
    }
    this.#engine.stop();
    const fd = this.#h.release();
    this.destroy();
    return fd;
  }

  /** Linux: the pipe's capacity in bytes. */
  getCapacity(): number {
    return getCapacity(this.#h);
  }

  /** Linux: resizes the pipe; returns the capacity the kernel chose (rounded up to a power-of-two number of pages). */
  setCapacity(bytes: number): number {
    return setCapacity(this.#h, bytes);
  }

  /**
   * Resolves once every write end is closed (also those in other processes
   * and those made by dup), even if this end never reads. Rejects with
   * `IPCKIT_CLOSED` if this reader closes first, or with the signal's reason.
   */
  peerClosed(options?: { readonly signal?: AbortSignal }): Promise<void> {
    return this.#h.whenPeerClosed('peerClosed', validateOptions<{ signal: AbortSignal }>(options).signal);
  }

  /** Lets the process exit while this reader waits for data. */
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

  /** Closes the fd now (idempotent). Buffered, unread data is discarded. */
  close(): void {
    if (!this.#h.closed) this.destroy();
  }

  /** Same as {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal Called by ipckit's spawn() once a child holds its own copy. */
  [kHandOff](): void {
    this.close();
  }

  /** @internal */
  override _read(): void {
    // A readInto() in flight owns the fd until it settles.
    if (this.#direct.pending) this.#readWanted = true;
    else this.#engine.start();
  }

  /** @internal */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#engine.stop();
    this.#direct.cancel(closedError('PipeReader', 'readInto'));
    const r = this.#h.close();
    cb(err ?? (r < 0 ? systemError(r, 'close') : null));
  }
}
