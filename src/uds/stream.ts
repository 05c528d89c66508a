/**
 * Connected Unix stream sockets.
 * @module
 */
import { Duplex } from 'node:stream';
import { constants } from 'node:os';
import { closedError, ErrorCode, IpckitError, systemError } from '../errors.js';
import { FdHandle } from '../internal/handle.js';
import { kHandOff } from '../internal/handoff.js';
import { DirectReadEngine, StreamReadEngine } from '../internal/stream-io.js';
import { invalidArgument, validateBytes, validateInteger, validateOptions, validateSignal } from '../internal/validate.js';
import { native, type NativeBinding } from '../native.js';
import { addressInfo, type UnixAddressInfo } from './address.js';
import { toFdArray, wrapFds, type FdLike } from './received-fd.js';
import { attachedFds, SocketWriteEngine } from './socket-io.js';

/** Who is at the other end of a connection, as the kernel saw it at connect time. */
export interface PeerCredentials {
  /** The peer's process id when it connected (advisory: pids are reused). Undefined where the OS does not say. */
  readonly pid: number | undefined;
  readonly uid: number;
  readonly gid: number;
}

/** Default number of fds one received message may carry (`maxFds`). */
export const DEFAULT_MAX_FDS = 16;
/** The largest `maxFds`, and the most fds one send may carry (Linux's `SCM_MAX_FD`). */
export const MAX_FDS_CAP = 253;

/** Options of a stream connection. */
export interface UnixStreamOptions {
  /**
   * Most fds one received message may carry; more closes the connection
   * with `IPCKIT_TOO_MANY_FDS` (all of them closed). `0` accepts none.
   * @default 16 (at most 253)
   */
  readonly maxFds?: number;
  /** Bytes buffered for reading before the socket is no longer read. @default 65536 */
  readonly readableHighWaterMark?: number;
  /** Bytes queued for writing before write() returns false. @default 65536 */
  readonly writableHighWaterMark?: number;
  /** Keep the writable side open after the peer ended its side. @default true */
  readonly allowHalfOpen?: boolean;
}

const ETOOMANYREFS = -109;

/** @internal */
export function resolveMaxFds(value: unknown): number {
  return value === undefined ? DEFAULT_MAX_FDS : validateInteger(value, 'options.maxFds', 0, MAX_FDS_CAP);
}

/** @internal The error a failed message receive is reported as. */
export function receiveError(b: NativeBinding, r: number, max: number): Error {
  if (r === b.ECTRUNC) return new IpckitError(ErrorCode.FDS_TRUNCATED, 'the kernel truncated the fds of a received message (MSG_CTRUNC: no free fd slot here, or a security module dropped some); the message was dropped and every fd that arrived closed');
  if (r === ETOOMANYREFS) return new IpckitError(ErrorCode.TOO_MANY_FDS, `a received message carried more than ${max} fds (maxFds); it was dropped and every fd in it closed`);
  return systemError(r, 'recvmsg');
}

/**
 * @internal Checks that `fd` is a Unix socket of `type` and makes it
 * close-on-exec, for the `fromFd` adopters.
 */
export function adoptSocketFd(fd: unknown, type: number, what: string): number {
  const b = native();
  const n = validateInteger(fd, 'fd', 0, 0x7fffffff);
  const t = b.udsType(n);
  if (t !== type) {
    const { EAFNOSUPPORT, ENOTSOCK } = constants.errno;
    const got = t === -EAFNOSUPPORT ? 'not a Unix socket' : t === -ENOTSOCK ? 'not a socket' : t < 0 ? systemError(t, 'getsockname').message : 'a Unix socket of another type';
    throw invalidArgument('fd', what, `fd ${n}: ${got}`);
  }
  const r = b.setCloexec(n, true);
  if (r < 0) throw systemError(r, 'fcntl');
  return n;
}

/** @internal */
export function peerCredentialsOf(b: NativeBinding, fd: number): PeerCredentials {
  const out = new Float64Array(3);
  const r = b.udsPeerCred(fd, out);
  if (r < 0) throw systemError(r, 'getsockopt');
  return { pid: out[0]! >= 0 ? out[0]! : undefined, uid: out[1]!, gid: out[2]! };
}

/**
 * A connected Unix stream socket as a `stream.Duplex`: raw bytes, no hidden
 * framing, `net`-like habits. Beyond a `net.Socket` it can pass fds
 * (`sendFds` and the `'fds'` event) and tell who is at the other end
 * (`peerCredentials()`).
 *
 * `end()` shuts down the writing side only (the peer sees the end of the
 * stream while this side can still read); the stream is destroyed once both
 * sides are done. `close()` closes at once. Note Node's rule for
 * `for await (const chunk of stream)`: when the loop ends, the stream is
 * destroyed, so to answer after reading to the end use
 * `stream.iterator({ destroyOnReturn: false })` or `'data'`/`'end'`.
 *
 * Like a `net.Socket`, it reads as soon as it is made (up to
 * `readableHighWaterMark`), so it notices its peer leaving even if nobody
 * consumes it, and keeps the process alive while open (`unref()` to let
 * the process exit).
 *
 * Events beyond `Duplex`'s: `'fds'` with `ReceivedFd[]`, just before the
 * data chunk they arrived with. If no `'fds'` listener is attached, received
 * fds are closed at once.
 */
export class UnixStream extends Duplex implements Disposable {
  readonly #h: FdHandle;
  readonly #reader: StreamReadEngine;
  readonly #writer: SocketWriteEngine;
  /** readInto()'s engine, made on first use. */
  #directEngine: DirectReadEngine | undefined;
  readonly #maxFds: number;
  /** readInto() is in use: nothing is read ahead until the stream API asks again. */
  #pull = false;
  /** The listeners that end pull mode are attached (on the first readInto). */
  #pullHooked = false;
  #readWanted = false;
  /** The end of the stream was read. */
  #eof = false;

  /** Adopts a connected stream socket fd (see {@link UnixStream.fromFd}). */
  constructor(fd: number, options?: UnixStreamOptions) {
    const opts = validateOptions<UnixStreamOptions>(options);
    const maxFds = resolveMaxFds(opts.maxFds);
    const b = native();
    super({
      allowHalfOpen: opts.allowHalfOpen ?? true,
      readableHighWaterMark: opts.readableHighWaterMark ?? 65536,
      writableHighWaterMark: opts.writableHighWaterMark ?? 65536,
    });
    this.#maxFds = maxFds;
    this.#h = new FdHandle(b, fd, {}, 'UnixStream', b.MODE_SOCKET);
    const r = b.setReadMode(this.#h.native('read'), b.READ_STREAM_FDS, maxFds, false);
    if (r < 0) throw systemError(r, 'setsockopt');
    const reader = (this.#reader = new StreamReadEngine(this, this.#h, 1 << 20, 'recvmsg'));
    const writer = (this.#writer = new SocketWriteEngine(this.#h));
    this.#h.delegate = {
      onRead: (nread, data, extra) => {
        if (nread < 0 && (nread === b.ECTRUNC || nread === ETOOMANYREFS)) {
          reader.stop();
          this.destroy(receiveError(b, nread, this.#maxFds));
          return;
        }
        if (extra !== undefined) this.#deliverFds(extra as Int32Array);
        if (nread === 0) this.#eof = true;
        reader.onRead(nread, data as Buffer | undefined);
      },
      onReadable: () => {
        this.#directEngine?.onReadable();
        this.#maybeResume();
      },
      onWritable: () => writer.onWritable(),
      onPeerClose: () => this.emit('peerclose'),
    };
    // Read from the start (as net.Socket does), up to the high-water mark:
    // a connection nobody consumes still notices its peer leaving, ends,
    // and is released.
    this.read(0);
  }

  #direct(): DirectReadEngine {
    if (this.#directEngine !== undefined) return this.#directEngine;
    const b = this.#h.binding;
    return (this.#directEngine = new DirectReadEngine(
      this.#h,
      'recvmsg',
      (buf, off, len) => {
        const r = b.udsReadInto(this.#h.native('readInto'), buf, off, len);
        if (typeof r === 'number') return r;
        this.#deliverFds(r[1]);
        return r[0];
      },
      (r) => {
        const err = receiveError(b, r, this.#maxFds);
        // A peer that broke the fd rules is cut off, as in stream mode.
        if (err instanceof IpckitError) queueMicrotask(() => this.destroy(err));
        return err;
      },
    ));
  }

  /**
   * Adopts a connected Unix stream socket (e.g. one inherited through
   * `spawn`'s stdio or received as a `ReceivedFd`). ipckit owns it from now
   * on and makes it close-on-exec. Throws `IPCKIT_INVALID_ARGUMENT` if it is
   * not a Unix stream socket.
   */
  static fromFd(fd: number, options?: UnixStreamOptions): UnixStream {
    return new UnixStream(adoptSocketFd(fd, native().UDS_STREAM, 'a Unix stream socket'), options);
  }

  /**
   * Reads into `buffer` (from `offset`, at most `length` bytes) without
   * allocating; resolves with the number of bytes read, or 0 at the end of
   * the stream. The fastest way to consume a socket: a buffer reused across
   * calls stays warm in the CPU cache, and each call can take everything
   * the socket holds.
   *
   * Bytes the stream had already read ahead come first. From the first
   * call on, the stream stops reading ahead (so it notices the peer leaving
   * only when read); attaching `'data'` or `'readable'`, `pipe()` or
   * `for await` resumes it. fds that arrive are emitted as `'fds'` before
   * the call resolves. One `readInto` at a time, and not while flowing
   * (both `IPCKIT_BUSY`).
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
      if (this.#directEngine?.pending === true || this.readableFlowing === true) {
        throw new IpckitError(
          ErrorCode.BUSY,
          this.#directEngine?.pending === true
            ? 'UnixStream.readInto(): another readInto() is still pending; await it first'
            : 'UnixStream.readInto(): the stream is flowing (a "data" listener or pipe()); pause it first',
        );
      }
      if (length === 0) return Promise.resolve(0);
      if (!this.#pullHooked) {
        // The stream API taking over again ends pull mode.
        this.#pullHooked = true;
        this.on('resume', () => this.#leavePull());
        this.on('newListener', (event) => {
          if (event === 'readable') this.#leavePull();
        });
      }
      this.#pull = true;
      this.#reader.stop();
      if (this.readableLength > 0) {
        const chunk = this.read(Math.min(length, this.readableLength)) as Buffer | null;
        if (chunk !== null) {
          buffer.set(chunk, offset);
          return Promise.resolve(chunk.length);
        }
      }
      if (this.#eof) return Promise.resolve(0);
      return this.#direct().read(buffer, offset, length, signal).then((n) => {
        if (n === 0 && !this.#eof && !this.destroyed) {
          // The end: the stream API sees it too.
          this.#eof = true;
          this.push(null);
          this.read(0);
        }
        this.#maybeResume();
        return n;
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #leavePull(): void {
    if (!this.#pull) return;
    this.#pull = false;
    this.#readWanted = true;
    this.#maybeResume();
  }

  #maybeResume(): void {
    if (!this.#pull && this.#readWanted && this.#directEngine?.pending !== true) {
      this.#readWanted = false;
      this.#reader.start();
    }
  }

  #deliverFds(fds: Int32Array): void {
    const received = wrapFds(fds);
    if (this.listenerCount('fds') === 0) {
      for (const f of received) f.close();
      return;
    }
    this.emit('fds', received);
  }

  /** The socket's fd. Throws `IPCKIT_CLOSED` after close. */
  get fd(): number {
    this.#h.native('fd');
    return this.#h.fd;
  }

  /** This end's address (undefined when unnamed, as for connecting sockets). */
  get localAddress(): UnixAddressInfo | undefined {
    return addressInfo(this.#h.binding.udsSockName(this.fd));
  }

  /** The other end's address (undefined when unnamed). */
  get remoteAddress(): UnixAddressInfo | undefined {
    return addressInfo(this.#h.binding.udsPeerName(this.fd));
  }

  /**
   * The credentials of the process at the other end, taken by the kernel
   * when the connection was made (`SO_PEERCRED`). They still name the
   * connecting process if it later passed its fd to another one. The pid is
   * advisory: pids are reused.
   */
  peerCredentials(): PeerCredentials {
    return peerCredentialsOf(this.#h.binding, this.fd);
  }

  /**
   * Sends fds (`SCM_RIGHTS`) with `data`, in order with everything written
   * before. The kernel duplicates them into the peer; yours stay open.
   * A stream socket carries fds only with at least one byte, so `data` must
   * not be empty. Resolves once written.
   *
   * Errors: `IPCKIT_INVALID_ARGUMENT` (more than 253 fds, empty data, not
   * fds), `EBADF` for a closed fd, `ETOOMANYREFS` when the kernel refuses.
   */
  sendFds(fds: readonly FdLike[], data: Uint8Array | string): Promise<void> {
    try {
      this.#h.native('sendFds');
      const list = toFdArray(fds, 'fds', MAX_FDS_CAP);
      const bytes = typeof data === 'string' ? Buffer.from(data) : data instanceof Uint8Array ? Buffer.from(data) : undefined;
      if (bytes === undefined || bytes.length === 0) {
        throw invalidArgument('data', 'at least one byte (a stream socket carries fds only with data)', data);
      }
      attachedFds.set(bytes, list);
      return new Promise<void>((resolve, reject) => {
        this.write(bytes, (err) => (err ? reject(err) : resolve()));
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Resolves once the peer has closed or shut down its writing side, even
   * if this end never reads. Rejects with `IPCKIT_CLOSED` if this end
   * closes first.
   */
  peerClosed(options?: { readonly signal?: AbortSignal }): Promise<void> {
    return this.#h.whenPeerClosed('peerClosed', validateOptions<{ signal: AbortSignal }>(options).signal);
  }

  /** Lets the process exit while this socket waits for data. */
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

  /** Closes the socket now (idempotent); unwritten data is discarded (use `end()` to flush). */
  close(): void {
    if (!this.#h.closed) this.destroy();
  }

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal */
  [kHandOff](): void {
    this.close();
  }

  /** @internal */
  override _read(): void {
    // In pull mode, or while a readInto() owns the fd, read later.
    if (this.#pull || this.#directEngine?.pending === true) this.#readWanted = true;
    else this.#reader.start();
  }

  /** @internal */
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#writer.write([chunk], cb);
  }

  /** @internal */
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.#writer.write(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  /** @internal end(): everything is written; the peer now sees the end of the stream. */
  override _final(cb: (err?: Error | null) => void): void {
    if (this.#h.closed) return cb(closedError('UnixStream', 'end'));
    const r = this.#h.binding.udsShutdown(this.#h.fd, 1);
    cb(r < 0 && r !== -107 /* ENOTCONN: the peer is gone already */ ? systemError(r, 'shutdown') : null);
  }

  /** @internal */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#reader.stop();
    this.#directEngine?.cancel(err ?? closedError('UnixStream', 'readInto'));
    this.#writer.abort();
    const r = this.#h.close();
    cb(err ?? (r < 0 ? systemError(r, 'close') : null));
  }
}
