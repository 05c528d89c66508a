/**
 * File descriptors received over a Unix socket (SCM_RIGHTS).
 * @module
 */
import { open as fsOpen, type FileHandle } from 'node:fs/promises';
import { Socket } from 'node:net';
import { closedError, systemError } from '../errors.js';
import { invalidArgument } from '../internal/validate.js';
import { native } from '../native.js';
import { PipeReader, type PipeReaderOptions } from '../pipe/reader.js';
import { PipeWriter, type PipeWriterOptions } from '../pipe/writer.js';

/** What kind of object a received fd refers to (from fstat). */
export type FdKind = 'fifo' | 'socket' | 'character' | 'file' | 'directory' | 'other';

// An fd nobody closed or took is closed when its ReceivedFd is collected,
// so a careless receiver cannot exhaust the fd table.
const registry = new FinalizationRegistry<number>((fd) => {
  native().closeFd(fd);
});

/**
 * An fd that arrived with a message. It is close-on-exec (received with
 * MSG_CMSG_CLOEXEC) and owned: `close()` it, or turn it into something
 * that owns it (`toPipeReader()`, `toPipeWriter()`, `toSocket()`,
 * `toFileHandle()`), or take it raw with `intoFd()`. One forgotten is
 * closed when garbage-collected.
 *
 * Every method throws `IPCKIT_CLOSED` once the fd was closed or taken.
 */
export class ReceivedFd implements Disposable {
  #fd: number;
  readonly #token = {};

  /** @internal */
  constructor(fd: number) {
    this.#fd = fd;
    registry.register(this, fd, this.#token);
  }

  #take(method: string): number {
    if (this.#fd < 0) throw closedError('ReceivedFd', method);
    const fd = this.#fd;
    this.#fd = -1;
    registry.unregister(this.#token);
    return fd;
  }

  /** The fd number. */
  get fd(): number {
    if (this.#fd < 0) throw closedError('ReceivedFd', 'fd');
    return this.#fd;
  }

  /** What it refers to: a pipe or FIFO, a socket, a terminal, a file... */
  get kind(): FdKind {
    const b = native();
    const k = b.fdKind(this.fd);
    if (k < 0) throw systemError(k, 'fstat');
    return k === b.KIND_FIFO ? 'fifo' : k === b.KIND_SOCKET ? 'socket' : k === b.KIND_CHAR ? 'character' : k === b.KIND_FILE ? 'file' : k === b.KIND_DIR ? 'directory' : 'other';
  }

  /** Gives up ownership: returns the fd, which you must close. */
  intoFd(): number {
    return this.#take('intoFd');
  }

  /** A PipeReader that owns the fd (a pipe, FIFO, socket or file open for reading). */
  toPipeReader(options?: PipeReaderOptions): PipeReader {
    const fd = this.fd;
    const r = new PipeReader(fd, options); // checks the access mode before taking it
    this.#take('toPipeReader');
    return r;
  }

  /** A PipeWriter that owns the fd. */
  toPipeWriter(options?: PipeWriterOptions): PipeWriter {
    const fd = this.fd;
    const w = new PipeWriter(fd, options);
    this.#take('toPipeWriter');
    return w;
  }

  /**
   * A `net.Socket` that owns the fd (a stream socket or a pipe): Node's own
   * stream, for code that expects one.
   */
  toSocket(): Socket {
    const fd = this.fd;
    const s = new Socket({ fd, readable: true, writable: true });
    this.#take('toSocket');
    return s;
  }

  /**
   * An `fs` FileHandle for a received file. Node cannot adopt an fd as a
   * FileHandle, so this opens the same file again through
   * /proc/self/fd (Linux) and closes the received fd: the new handle has its
   * own file offset.
   */
  async toFileHandle(flags: 'r' | 'r+' | 'a' = 'r'): Promise<FileHandle> {
    const fd = this.fd;
    const fh = await fsOpen(`/proc/self/fd/${fd}`, flags);
    native().closeFd(this.#take('toFileHandle'));
    return fh;
  }

  /** Closes the fd (idempotent). */
  close(): void {
    if (this.#fd < 0) return;
    native().closeFd(this.#take('close'));
  }

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** @internal Wraps each received fd at once, so every error path closes them. */
export function wrapFds(fds: Int32Array | undefined): ReceivedFd[] {
  if (fds === undefined) return [];
  return Array.from(fds, (fd) => new ReceivedFd(fd));
}

/** Anything that stands for an fd: a number, or an object with `fd` (pipe ends, sockets, FileHandles, ReceivedFd). */
export type FdLike = number | { readonly fd: number };

/** @internal */
export function toFdArray(fds: readonly FdLike[], name: string, max: number): Int32Array {
  if (!Array.isArray(fds)) throw invalidArgument(name, 'an array of fds (numbers or objects with an fd)', fds);
  if (fds.length > max) throw invalidArgument(name, `at most ${max} fds`, `${fds.length} fds`);
  const out = new Int32Array(fds.length);
  const b = native();
  fds.forEach((f, i) => {
    const fd = typeof f === 'number' ? f : (f as { fd?: unknown } | null)?.fd;
    if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) throw invalidArgument(`${name}[${i}]`, 'an fd (a number, or an object with an fd)', f);
    // A closed fd would fail the whole sendmsg later, after the bytes were
    // queued, and take the connection down with it; refuse it here instead.
    const r = b.statusFlags(fd);
    if (r < 0) {
      const err = systemError(r, 'sendmsg');
      err.message = `${err.code}: ${name}[${i}] (${fd}) is not an open fd, sendmsg`;
      throw err;
    }
    out[i] = fd;
  });
  return out;
}
