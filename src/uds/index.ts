/**
 * # Unix domain sockets
 *
 * Every kind of AF_UNIX socket, which Node's `net` (stream only) does not
 * give: stream connections that can pass fds and report peer credentials,
 * datagram sockets, seqpacket connections (Linux), socket pairs, and
 * Linux's abstract namespace.
 *
 * - Stream: `listenUnix(address)` and `connectUnix(address)`; connections
 *   are `UnixStream`s (Duplex) with `sendFds`, the `'fds'` event and
 *   `peerCredentials()`.
 * - Seqpacket: `listenSeqpacket`, `connectSeqpacket`: `SeqpacketSocket`s
 *   with `send(data, { fds })` and `recv()` of whole messages.
 * - Datagram: `createDatagramSocket({ bind })`: `send`, `sendTo`,
 *   `recv()` giving `{ data, from, fds }`.
 * - `socketPair('stream' | 'dgram' | 'seqpacket')`.
 *
 * ## When not to use these directly
 *
 * For a service with many clients, use a local socket (`listen`/`connect`
 * from this package): it adds a private directory, owner-only permissions,
 * safe reclaiming of stale socket files, a same-user check and optional
 * authentication. Use these classes for protocols that need a specific
 * socket type, fd passing, or to talk to existing Unix-socket services.
 *
 * ## Gotchas
 *
 * - Paths are limited to 107 bytes on Linux (103 on macOS): longer is
 *   `IPCKIT_PATH_TOO_LONG`, never silently truncated.
 * - Abstract names have no permissions: anyone in the network namespace can
 *   connect or bind first. Check `peerCredentials()`.
 * - Received fds are close-on-exec and owned (`ReceivedFd`): close them,
 *   or convert them. At most `maxFds` per message (16 by default, 253 at
 *   most); a message with more is dropped with all its fds closed
 *   (`IPCKIT_TOO_MANY_FDS`), and so is one the kernel truncated
 *   (`IPCKIT_FDS_TRUNCATED`); a connection is then closed.
 * - A stream socket carries fds only together with at least one byte.
 *
 * ## Platform notes
 *
 * Linux tested. macOS: no seqpacket and no abstract names
 * (`IPCKIT_UNSUPPORTED_PLATFORM`), peer pid from `LOCAL_PEERPID`;
 * built, untested. Windows: unsupported.
 *
 * @module
 */
import { constants as osConstants } from 'node:os';
import { ErrorCode, IpckitError, isSystemError, systemError } from '../errors.js';
import { EAGAIN } from '../internal/handle.js';
import { invalidArgument, validateInteger, validateOptions, validateSignal, validateTimeout } from '../internal/validate.js';
import { native } from '../native.js';
import { resolveAddress, type UnixAddress } from './address.js';
import { inodeOf, SeqpacketSocket, UnixDatagramSocket, type MessageSocketOptions } from './message.js';
import { requireSeqpacket } from './server.js';
import { UnixStream, type UnixStreamOptions } from './stream.js';

export { addressInfo, type UnixAddress, type UnixAddressInfo } from './address.js';
export { ReceivedFd, type FdKind, type FdLike } from './received-fd.js';
export { UnixStream, DEFAULT_MAX_FDS, MAX_FDS_CAP, type PeerCredentials, type UnixStreamOptions } from './stream.js';
export { SeqpacketSocket, UnixDatagramSocket, type MessageSocketOptions, type ReceiveManyOptions, type ReceiveOptions, type SendOptions, type UnixMessage } from './message.js';
export { listenSeqpacket, listenUnix, UnixServer, type UnixServerOptions } from './server.js';

/** Options of a connect. */
export interface ConnectOptions {
  /** Gives up when aborted. */
  readonly signal?: AbortSignal;
  /** Milliseconds to keep retrying while the listener's backlog is full. Default: forever. */
  readonly timeout?: number;
}

const ENOENT = -osConstants.errno.ENOENT;
const ECONNREFUSED = -osConstants.errno.ECONNREFUSED;

function requireUnix(fn: string): void {
  if (process.platform === 'win32') throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, `${fn}: Unix domain sockets are not supported on Windows by ipckit; use a local socket`);
}

/**
 * @internal Connects a new socket; retries on EAGAIN (backlog full) on
 * timers, and with `wait` also while nobody listens yet (ENOENT,
 * ECONNREFUSED). `check` runs before each attempt (it may throw).
 */
export async function connectFd(
  type: number,
  address: UnixAddress,
  options: unknown,
  fn: string,
  extra: { readonly wait?: boolean; readonly check?: () => void } = {},
): Promise<number> {
  const opts = validateOptions<ConnectOptions>(options);
  const signal = validateSignal(opts.signal, 'options.signal');
  const timeout = validateTimeout(opts.timeout, 'options.timeout');
  const addr = resolveAddress(address);
  const b = native();
  const deadline = timeout >= 0 ? performance.now() + timeout : Infinity;
  let delay = 1;
  for (;;) {
    signal?.throwIfAborted();
    let r = ENOENT;
    let checked = true;
    try {
      extra.check?.();
    } catch (err) {
      // Nothing there yet (the directory of a name): waitable like a missing socket.
      if (!(extra.wait === true && isSystemError(err, 'ENOENT'))) throw err;
      checked = false;
    }
    if (checked) {
      const fd = b.udsSocket(type, false);
      if (fd < 0) throw systemError(fd, 'socket');
      r = b.udsConnect(fd, addr.bytes, addr.abstract);
      if (r === 0) return fd;
      b.closeFd(fd);
    }
    const waitable = r === EAGAIN || (extra.wait === true && (r === ENOENT || r === ECONNREFUSED));
    if (!waitable) throw systemError(r, 'connect', addr.display);
    if (performance.now() >= deadline) {
      throw new IpckitError(
        ErrorCode.TIMEOUT,
        r === EAGAIN ? `${fn}: ${addr.display} kept refusing (backlog full) for ${timeout} ms` : `${fn}: nobody listened at ${addr.display} within ${timeout} ms`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(t);
        reject(signal!.reason);
      };
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delay);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    delay = Math.min(50, delay * 2);
  }
}

/**
 * Connects to a Unix stream socket. Errors as `connect(2)` gives them:
 * `ENOENT` (no such socket), `ECONNREFUSED` (nobody listens),
 * `EACCES`; `IPCKIT_PATH_TOO_LONG`; `IPCKIT_TIMEOUT`.
 */
export async function connectUnix(address: UnixAddress, options?: ConnectOptions & UnixStreamOptions): Promise<UnixStream> {
  requireUnix('connectUnix()');
  const fd = await connectFd(native().UDS_STREAM, address, options, 'connectUnix()');
  try {
    return new UnixStream(fd, options);
  } catch (err) {
    native().closeFd(fd);
    throw err;
  }
}

/** Connects to a Unix seqpacket socket (Linux). */
export async function connectSeqpacket(address: UnixAddress, options?: ConnectOptions & MessageSocketOptions): Promise<SeqpacketSocket> {
  requireSeqpacket();
  const fd = await connectFd(native().UDS_SEQPACKET, address, options, 'connectSeqpacket()');
  try {
    return new SeqpacketSocket(fd, options);
  } catch (err) {
    native().closeFd(fd);
    throw err;
  }
}

/** Options of {@link createDatagramSocket}. */
export interface DatagramOptions extends MessageSocketOptions {
  /** The address to bind (to receive). Unbound sockets can only send. */
  readonly bind?: UnixAddress;
  /**
   * Permission bits of the bound socket file: never wider at any instant,
   * and exact whatever the umask on Linux (elsewhere the umask may narrow
   * them). File-system paths only.
   */
  readonly mode?: number;
  /** A default destination (see `UnixDatagramSocket.connect`). */
  readonly connect?: UnixAddress;
}

/**
 * A Unix datagram socket, bound to `options.bind` or unbound. Closing it
 * removes the socket file it bound (if still its own).
 */
export function createDatagramSocket(options?: DatagramOptions): UnixDatagramSocket {
  requireUnix('createDatagramSocket()');
  const opts = validateOptions<DatagramOptions>(options);
  const b = native();
  const bind = opts.bind === undefined ? undefined : resolveAddress(opts.bind, 'options.bind');
  const mode = opts.mode === undefined ? undefined : validateInteger(opts.mode, 'options.mode', 0, 0o777);
  if (mode !== undefined && (bind === undefined || bind.abstract)) throw invalidArgument('options.mode', 'unset unless binding a path', mode);
  const fd = b.udsSocket(b.UDS_DGRAM, false);
  if (fd < 0) throw systemError(fd, 'socket');
  let sock: UnixDatagramSocket;
  try {
    if (bind !== undefined) {
      const r = b.udsBind(fd, bind.bytes, bind.abstract, mode ?? -1);
      if (r < 0) throw systemError(r, 'bind', bind.display);
    }
    sock = new UnixDatagramSocket(fd, opts, bind?.path);
  } catch (err) {
    b.closeFd(fd);
    throw err;
  }
  sock.setBoundInode(inodeOf(bind?.path));
  if (opts.connect !== undefined) {
    try {
      sock.connect(opts.connect);
    } catch (err) {
      sock.close();
      throw err;
    }
  }
  return sock;
}

/**
 * A connected pair of Unix sockets of the given type: for a child process
 * (hand one end over through `spawn`'s stdio) or between threads.
 */
export function socketPair(type: 'stream', options?: UnixStreamOptions): [UnixStream, UnixStream];
export function socketPair(type: 'dgram', options?: MessageSocketOptions): [UnixDatagramSocket, UnixDatagramSocket];
export function socketPair(type: 'seqpacket', options?: MessageSocketOptions): [SeqpacketSocket, SeqpacketSocket];
export function socketPair(type: 'stream' | 'dgram' | 'seqpacket', options?: UnixStreamOptions & MessageSocketOptions): [UnixStream, UnixStream] | [UnixDatagramSocket, UnixDatagramSocket] | [SeqpacketSocket, SeqpacketSocket] {
  requireUnix('socketPair()');
  const b = native();
  const t = type === 'stream' ? b.UDS_STREAM : type === 'dgram' ? b.UDS_DGRAM : type === 'seqpacket' ? b.UDS_SEQPACKET : undefined;
  if (t === undefined) throw invalidArgument('type', "'stream', 'dgram' or 'seqpacket'", type);
  if (type === 'seqpacket') requireSeqpacket();
  validateOptions(options);
  const fds = new Int32Array(2);
  const r = b.udsSocketPair(t, fds);
  if (r < 0) throw systemError(r, 'socketpair');
  const make = (fd: number): UnixStream | UnixDatagramSocket | SeqpacketSocket =>
    type === 'stream' ? new UnixStream(fd, options) : type === 'dgram' ? new UnixDatagramSocket(fd, options) : new SeqpacketSocket(fd, options);
  let a: UnixStream | UnixDatagramSocket | SeqpacketSocket;
  try {
    a = make(fds[0]!);
  } catch (err) {
    b.closeFd(fds[0]!);
    b.closeFd(fds[1]!);
    throw err;
  }
  try {
    return [a, make(fds[1]!)] as [UnixStream, UnixStream];
  } catch (err) {
    a.close();
    b.closeFd(fds[1]!);
    throw err;
  }
}
