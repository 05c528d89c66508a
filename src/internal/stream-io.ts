/**
 * The byte-stream engines shared by every stream class over an fd (pipe
 * ends, FIFOs, stream sockets): a reader that feeds a Readable from native
 * reads with backpressure, and a writer that completes partial writes after
 * EAGAIN so that neither EAGAIN nor a short write ever reaches the user.
 * @internal
 * @module
 */
import type { Readable } from 'node:stream';
import { systemError } from '../errors.js';
import { EAGAIN, EPERM, type FdHandle } from './handle.js';

/** Feeds `stream` from the handle's fd. Call `start()` from `_read()`. */
export class StreamReadEngine {
  readonly #stream: Readable;
  readonly #handle: FdHandle;
  readonly #maxRead: number;
  readonly #syscall: string;
  #reading = false;
  #fileMode = false;

  constructor(stream: Readable, handle: FdHandle, maxRead: number, syscall = 'read') {
    this.#stream = stream;
    this.#handle = handle;
    this.#maxRead = maxRead;
    this.#syscall = syscall;
    this.#fileMode = handle.mode === handle.binding.MODE_FILE;
  }

  /** The consumer wants data. */
  start(): void {
    if (this.#reading || this.#handle.closed) return;
    if (this.#fileMode) return this.#readNow();
    const r = this.#handle.readStart(this.#maxRead);
    if (r === EPERM) {
      // epoll cannot watch this object (a regular file, /dev/null): reads
      // never wait there, so read directly.
      this.#fileMode = true;
      return this.#readNow();
    }
    if (r < 0) {
      this.#stream.destroy(systemError(r, 'epoll_ctl'));
      return;
    }
    this.#reading = true;
  }

  /** Stop reading (backpressure, end, close). */
  stop(): void {
    if (!this.#reading) return;
    this.#reading = false;
    this.#handle.readStop();
  }

  /** Native read result. */
  onRead(nread: number, data: Buffer | undefined): void {
    if (nread > 0 && data !== undefined) {
      const chunk = nread === data.length ? data : data.subarray(0, nread);
      if (!this.#stream.push(chunk)) this.stop();
    } else if (nread === 0) {
      this.stop();
      this.#stream.push(null);
      // Emits 'end' now if everything was consumed, even if nobody reads
      // (as net.Socket does), so the stream can be released.
      this.#stream.read(0);
    } else if (nread !== EAGAIN) {
      this.stop();
      this.#stream.destroy(systemError(nread, this.#syscall));
    }
  }

  #readNow(): void {
    const r = this.#handle.binding.readNow(this.#handle.native('read'), this.#maxRead);
    if (typeof r !== 'number') this.#stream.push(r);
    else if (r === 0) this.#stream.push(null);
    else this.#stream.destroy(systemError(r, this.#syscall));
  }
}

type WriteCallback = (err?: Error | null) => void;

/** The most buffers one native writev takes (the native core's IOV limit). */
const IOV_MAX = 1024;

/**
 * Bytes a writev of `chunks[0..end)` from `offset` asks for, or Infinity
 * when the native call takes fewer buffers than that (so a short count says
 * nothing about the kernel's buffer).
 */
function askedBytes(chunks: readonly Uint8Array[], end: number, offset: number): number {
  if (end > IOV_MAX) return Infinity;
  let n = -offset;
  for (let i = 0; i < end; i++) n += chunks[i]!.length;
  return n;
}

/**
 * How a stream socket sends chunks that carry fds (see SocketWriteEngine):
 * each such chunk goes out alone, so that its fds attach to its first byte.
 * @internal
 */
export interface FdSending {
  /** The fds to send with `chunk`, if any. */
  fdsOf(chunk: Uint8Array): Int32Array | undefined;
  /** Sends `chunk` from `offset` with `fds`: bytes written or -errno. */
  send(chunk: Uint8Array, offset: number, fds: Int32Array): number;
  /** The error for a failed send (-errno or a native code). */
  error(r: number): Error;
}

/**
 * Writes chunks in order, waiting for writability on EAGAIN and after a
 * short write (the kernel's buffer is full: another try at once would only
 * say EAGAIN). With `fds`, chunks that carry fds are sent on their own.
 */
export class StreamWriteEngine {
  readonly #handle: FdHandle;
  readonly #syscall: string;
  readonly #fds: FdSending | undefined;
  #chunks: Uint8Array[] = [];
  #offset = 0;
  /** The fds of chunks[0] have not gone out yet. */
  #fdsPending = false;
  #cb: WriteCallback | null = null;

  constructor(handle: FdHandle, syscall = 'write', fds?: FdSending) {
    this.#handle = handle;
    this.#syscall = syscall;
    this.#fds = fds;
  }

  /** True while a write waits for the fd to drain. */
  get pending(): boolean {
    return this.#cb !== null;
  }

  /** Writes all chunks, then calls cb (synchronously if the kernel took them at once). */
  write(chunks: Uint8Array[], cb: WriteCallback): void {
    this.#chunks = chunks;
    this.#offset = 0;
    this.#fdsPending = this.#carriesFds(chunks[0]);
    this.#cb = cb;
    this.#flush();
  }

  onWritable(): void {
    if (this.#cb !== null) this.#flush();
  }

  /** Drops what is queued (close/destroy): the callback is not called. */
  abort(): void {
    this.#chunks = [];
    this.#cb = null;
  }

  #carriesFds(chunk: Uint8Array | undefined): boolean {
    return chunk !== undefined && this.#fds !== undefined && this.#fds.fdsOf(chunk) !== undefined;
  }

  #finish(err?: Error): void {
    const cb = this.#cb!;
    this.#cb = null;
    this.#chunks = [];
    cb(err);
  }

  #flush(): void {
    const h = this.#handle;
    const chunks = this.#chunks;
    for (;;) {
      // (A chunk with fds is sent even when empty: the fds are its content.)
      while (chunks.length > 0 && this.#offset >= chunks[0]!.length && !this.#fdsPending) this.#next();
      if (chunks.length === 0) return this.#finish();
      let r: number;
      let asked: number;
      if (this.#fdsPending) {
        const chunk = chunks[0]!;
        asked = chunk.length - this.#offset;
        r = this.#fds!.send(chunk, this.#offset, this.#fds!.fdsOf(chunk)!);
        if (r >= 0) this.#fdsPending = false;
      } else {
        // Everything up to the next chunk that carries fds.
        let end = 1;
        if (this.#fds === undefined) end = chunks.length;
        else while (end < chunks.length && !this.#carriesFds(chunks[end])) end++;
        asked = end === 1 ? chunks[0]!.length - this.#offset : askedBytes(chunks, end, this.#offset);
        r = end === 1 ? h.write(chunks[0]!, this.#offset) : h.writev(end === chunks.length ? chunks : chunks.slice(0, end), this.#offset);
      }
      if (r > 0) {
        this.#advance(r);
        if (r >= asked || chunks.length === 0) continue;
      } else if (r !== EAGAIN && r !== 0) {
        return this.#finish(this.#fds !== undefined ? this.#fds.error(r) : systemError(r, this.#syscall));
      }
      // EAGAIN, nothing taken, or a short write: wait for room.
      const w = h.awaitWritable();
      if (w < 0) return this.#finish(systemError(w, 'epoll_ctl'));
      return;
    }
  }

  /** Drops chunks[0] and looks at what the next one carries. */
  #next(): void {
    this.#chunks.shift();
    this.#offset = 0;
    this.#fdsPending = this.#carriesFds(this.#chunks[0]);
  }

  #advance(n: number): void {
    const chunks = this.#chunks;
    let left = n;
    while (left > 0 && chunks.length > 0) {
      const room = chunks[0]!.length - this.#offset;
      if (left < room) {
        this.#offset += left;
        return;
      }
      left -= room;
      this.#next();
      if (this.#fdsPending) return; // a chunk with fds starts a new send
    }
  }
}

interface DirectRead {
  buffer: Uint8Array;
  offset: number;
  length: number;
  resolve(n: number): void;
  reject(err: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Reads straight into a caller's buffer: no allocation, and the memory stays
 * warm in cache when the caller reuses it, which is what lets a Node reader
 * keep up with C. One read at a time.
 */
export class DirectReadEngine {
  readonly #handle: FdHandle;
  readonly #tryRead: (buffer: Uint8Array, offset: number, length: number) => number;
  readonly #error: (r: number) => Error;
  #pending: DirectRead | null = null;

  /**
   * `tryRead` (default: the handle's) reads without waiting: bytes, EAGAIN
   * or -errno; `error` turns an errno into the error to reject with.
   */
  constructor(
    handle: FdHandle,
    syscall = 'read',
    tryRead?: (buffer: Uint8Array, offset: number, length: number) => number,
    error?: (r: number) => Error,
  ) {
    this.#handle = handle;
    this.#tryRead = tryRead ?? ((b, o, l) => handle.tryRead(b, o, l));
    this.#error = error ?? ((r) => systemError(r, syscall));
  }

  get pending(): boolean {
    return this.#pending !== null;
  }

  /** Resolves with the bytes read (0 at end of stream). */
  read(buffer: Uint8Array, offset: number, length: number, signal: AbortSignal | undefined): Promise<number> {
    const h = this.#handle;
    // A terminal may only be read once it is readable; other fds can be tried at once.
    if (h.mode !== h.binding.MODE_BLOCKING) {
      const r = this.#tryRead(buffer, offset, length);
      if (r >= 0) return Promise.resolve(r);
      if (r !== EAGAIN) return Promise.reject(this.#error(r));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<number>((resolve, reject) => {
      const p: DirectRead = { buffer, offset, length, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        p.onAbort = () => this.#settle(signal.reason, 0);
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.#pending = p;
      const w = h.awaitReadable();
      if (w < 0) this.#settle(systemError(w, 'epoll_ctl'), 0);
    });
  }

  onReadable(): void {
    const p = this.#pending;
    if (p === null) return;
    const r = this.#tryRead(p.buffer, p.offset, p.length);
    if (r === EAGAIN) {
      const w = this.#handle.awaitReadable();
      if (w < 0) this.#settle(systemError(w, 'epoll_ctl'), 0);
      return;
    }
    this.#settle(r < 0 ? this.#error(r) : undefined, r);
  }

  /** Rejects a pending read (the handle is closing). */
  cancel(err: unknown): void {
    if (this.#pending !== null) this.#settle(err, 0);
  }

  #settle(err: unknown, n: number): void {
    const p = this.#pending!;
    this.#pending = null;
    if (p.onAbort !== undefined) p.signal!.removeEventListener('abort', p.onAbort);
    if (err === undefined) p.resolve(n);
    else p.reject(err);
  }
}
