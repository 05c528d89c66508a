/**
 * Listening Unix sockets (stream and seqpacket).
 * @module
 */
import { EventEmitter } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { closedError, ErrorCode, IpckitError, systemError } from '../errors.js';
import { EAGAIN, FdHandle } from '../internal/handle.js';
import { invalidArgument, validateInteger, validateOptions } from '../internal/validate.js';
import { native } from '../native.js';
import { addressInfo, resolveAddress, type UnixAddress, type UnixAddressInfo } from './address.js';
import { inodeOf, SeqpacketSocket, unlinkIfOurs, type MessageSocketOptions } from './message.js';
import { UnixStream, type UnixStreamOptions } from './stream.js';

/** Options of a listener. */
export interface UnixServerOptions<C> {
  /** Pending connections the kernel queues before refusing. @default 511 */
  readonly backlog?: number;
  /**
   * Permission bits of the socket file. They are set on the socket before
   * it is bound, so the file never exists with wider ones, then (Linux)
   * made exact if the umask narrowed them, through an fd of the file, never
   * its path. Elsewhere the umask may leave them narrower. File-system
   * paths only.
   */
  readonly mode?: number;
  /** Options for each accepted connection. */
  readonly connection?: C;
}

const EMFILE = -24;
const ENFILE = -23;
const ECONNABORTED = -103;

/**
 * A listening Unix socket. Connections arrive as `'connection'` events or
 * through `for await (const conn of server)`; they are only accepted while
 * one of those is in use (until then the kernel queues them, up to
 * `backlog`).
 *
 * `close()` stops accepting and removes the socket file, if it is still
 * this listener's own (a successor's file is never removed); connections
 * already accepted stay open.
 *
 * Events: `'connection'`, `'close'`, and `'error'` when an accept fails
 * (out of fds: the waiting connection is refused and accepting resumes
 * shortly). Only reported if someone listens: an accept failure never
 * brings the server down.
 */
export class UnixServer<C extends UnixStream | SeqpacketSocket> extends EventEmitter implements AsyncIterable<C>, AsyncDisposable {
  readonly #h: FdHandle;
  readonly #make: (fd: number) => C | undefined;
  readonly #path: string | undefined;
  readonly #inode: [number, number] | undefined;
  #queue: C[] = [];
  #iterWaiters: Array<{ resolve(c: IteratorResult<C>): void; reject(e: unknown): void }> = [];
  #iterators = 0;
  #armed = false;
  #closed = false;
  #spare: number;

  /** @internal */
  constructor(fd: number, make: (fd: number) => C | undefined, path: string | undefined) {
    super();
    this.#make = make;
    this.#path = path;
    this.#inode = inodeOf(path);
    this.#h = new FdHandle(native(), fd, { onReadable: () => this.#accept() }, 'UnixServer');
    // One fd kept in reserve: when the process runs out, it is released to
    // accept and refuse a waiting connection instead of leaving it (and the
    // listener, spinning) stuck.
    this.#spare = openSpare();
    this.on('newListener', (event) => {
      if (event === 'connection') queueMicrotask(() => this.#arm());
    });
  }

  /** The address it listens on. */
  get address(): UnixAddressInfo | undefined {
    if (this.#closed) return undefined;
    return addressInfo(this.#h.binding.udsSockName(this.#h.fd));
  }

  /** The listening fd. Throws `IPCKIT_CLOSED` after close. */
  get fd(): number {
    if (this.#closed) throw closedError('UnixServer', 'fd');
    return this.#h.fd;
  }

  #wanted(): boolean {
    return !this.#closed && (this.listenerCount('connection') > 0 || this.#iterWaiters.length > 0);
  }

  #arm(): void {
    if (this.#armed || !this.#wanted()) return;
    const r = this.#h.awaitReadable();
    if (r < 0) {
      this.emit('error', systemError(r, 'epoll_ctl'));
      return;
    }
    this.#armed = true;
  }

  #accept(): void {
    this.#armed = false;
    const b = this.#h.binding;
    for (let i = 0; i < 128 && this.#wanted(); i++) {
      const fd = b.udsAccept(this.#h.fd);
      if (fd === EAGAIN || fd === ECONNABORTED) {
        if (fd === EAGAIN) break;
        continue;
      }
      if (fd === EMFILE || fd === ENFILE) {
        this.#shed(fd);
        break;
      }
      if (fd < 0) {
        this.#report(systemError(fd, 'accept4'));
        return this.#backOff();
      }
      let conn: C | undefined;
      try {
        conn = this.#make(fd);
      } catch (err) {
        b.closeFd(fd);
        this.emit('error', err);
        continue;
      }
      // undefined: the maker refused the connection (and closed the fd).
      if (conn !== undefined) this.#deliver(conn);
    }
    this.#arm();
  }

  /**
   * Out of fds: use the spare to take one waiting connection and refuse it
   * (its client sees the connection close rather than hang), then wait a
   * moment instead of spinning on a listener that stays readable.
   */
  #shed(errno: number): void {
    const b = this.#h.binding;
    if (this.#spare >= 0) {
      closeSync(this.#spare);
      this.#spare = -1;
      const fd = b.udsAccept(this.#h.fd);
      if (fd >= 0) b.closeFd(fd);
      this.#spare = openSpare();
    }
    this.#report(systemError(errno, 'accept4'));
    this.#backOff();
  }

  /** 'error' is reported only to listeners: a failed accept must not bring the server down. */
  #report(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  #backOffTimer: NodeJS.Timeout | undefined;

  #backOff(): void {
    if (this.#backOffTimer !== undefined) return;
    this.#backOffTimer = setTimeout(() => {
      this.#backOffTimer = undefined;
      this.#arm();
    }, 20);
  }

  #deliver(conn: C): void {
    const w = this.#iterWaiters.shift();
    if (w !== undefined) w.resolve({ value: conn, done: false });
    else if (this.listenerCount('connection') > 0) this.emit('connection', conn);
    else this.#queue.push(conn);
  }

  /**
   * Iterates over accepted connections until the server closes. Several
   * iterators may run; each connection goes to one of them.
   */
  [Symbol.asyncIterator](): AsyncIterator<C> {
    this.#iterators++;
    const it: AsyncIterableIterator<C> = {
      next: () => {
        const c = this.#queue.shift();
        if (c !== undefined) return Promise.resolve({ value: c, done: false });
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise<IteratorResult<C>>((resolve, reject) => {
          this.#iterWaiters.push({ resolve, reject });
          this.#arm();
        });
      },
      return: () => {
        this.#iterators--;
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /** Stops accepting and removes the socket file if it is still this listener's. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#backOffTimer !== undefined) clearTimeout(this.#backOffTimer);
    // Unlink before closing, so that a new listener that binds the path in
    // between is never the one removed.
    if (this.#path !== undefined) unlinkIfOurs(this.#path, this.#inode);
    this.#h.close();
    if (this.#spare >= 0) {
      closeSync(this.#spare);
      this.#spare = -1;
    }
    for (const c of this.#queue) c.close();
    this.#queue = [];
    for (const w of this.#iterWaiters.splice(0)) w.resolve({ value: undefined, done: true });
    this.emit('close');
  }

  /** Same as close(). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function openSpare(): number {
  try {
    return openSync('/dev/null', 'r');
  } catch {
    return -1;
  }
}

/** @internal Creates, binds and listens; closes everything on failure. */
export function listenOn<C extends UnixStream | SeqpacketSocket>(
  type: 'stream' | 'seqpacket',
  address: UnixAddress,
  options: unknown,
  make: (fd: number, opts: unknown) => C,
): UnixServer<C> {
  const opts = validateOptions<UnixServerOptions<unknown>>(options);
  const addr = resolveAddress(address);
  const backlog = opts.backlog === undefined ? 511 : validateInteger(opts.backlog, 'options.backlog', 1, 65535);
  const mode = opts.mode === undefined ? undefined : validateInteger(opts.mode, 'options.mode', 0, 0o777);
  if (mode !== undefined && addr.abstract) throw invalidArgument('options.mode', 'unset for an abstract name (it has no file and no permissions)', mode);
  const b = native();
  const fd = b.udsSocket(type === 'stream' ? b.UDS_STREAM : b.UDS_SEQPACKET, true);
  if (fd < 0) throw systemError(fd, 'socket');
  try {
    const r = b.udsBind(fd, addr.bytes, addr.abstract, mode ?? -1);
    if (r < 0) throw systemError(r, 'bind', addr.display);
    const l = b.udsListen(fd, backlog);
    if (l < 0) {
      const err = systemError(l, 'listen', addr.display);
      if (addr.path !== undefined) unlinkIfOurs(addr.path, inodeOf(addr.path));
      throw err;
    }
  } catch (err) {
    b.closeFd(fd);
    throw err;
  }
  return new UnixServer<C>(fd, (c) => make(c, opts.connection), addr.path);
}

/**
 * Listens on a Unix stream socket. Each connection is a `UnixStream`.
 *
 * ```ts
 * const server = listenUnix('/run/user/1000/app.sock');
 * for await (const conn of server) conn.pipe(conn); // echo
 * ```
 *
 * Errors: `EADDRINUSE` if anything exists at the path (a stale file is not
 * removed here; local sockets do that safely), `IPCKIT_PATH_TOO_LONG`,
 * `EACCES`, `ENOENT`.
 */
export function listenUnix(address: UnixAddress, options?: UnixServerOptions<UnixStreamOptions>): UnixServer<UnixStream> {
  return listenOn('stream', address, options, (fd, o) => new UnixStream(fd, o as UnixStreamOptions));
}

/** Listens on a Unix seqpacket socket (Linux). Each connection is a `SeqpacketSocket`. */
export function listenSeqpacket(address: UnixAddress, options?: UnixServerOptions<MessageSocketOptions>): UnixServer<SeqpacketSocket> {
  requireSeqpacket();
  return listenOn('seqpacket', address, options, (fd, o) => new SeqpacketSocket(fd, o as MessageSocketOptions));
}

/** @internal */
export function requireSeqpacket(): void {
  if (process.platform !== 'linux') {
    throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, 'seqpacket Unix sockets are supported on Linux only (macOS has none)');
  }
}

