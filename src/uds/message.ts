/**
 * Message-oriented Unix sockets: datagram and seqpacket. Each send is one
 * whole message with its fds; each receive returns one whole message,
 * however large (never silently truncated).
 * @module
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { closedError, ErrorCode, IpckitError, systemError } from '../errors.js';
import { EAGAIN, FdHandle } from '../internal/handle.js';
import { kHandOff } from '../internal/handoff.js';
import { validateBytes, validateInteger, validateOptions, validateSignal, validateTimeout } from '../internal/validate.js';
import { native } from '../native.js';
import { addressInfo, resolveAddress, type ResolvedAddress, type UnixAddress, type UnixAddressInfo } from './address.js';
import { toFdArray, wrapFds, type FdLike, type ReceivedFd } from './received-fd.js';
import { adoptSocketFd, MAX_FDS_CAP, peerCredentialsOf, receiveError, resolveMaxFds, type PeerCredentials } from './stream.js';

/** A received message. */
export interface UnixMessage {
  /** The whole message. */
  readonly data: Buffer;
  /** fds that came with it (close them, or take them). */
  readonly fds: ReceivedFd[];
  /** The sender's address (datagram sockets; undefined when the sender is unbound). */
  readonly from?: UnixAddressInfo;
}

/** Options of a message socket. */
export interface MessageSocketOptions {
  /** Most fds one received message may carry. @default 16 (at most 253) */
  readonly maxFds?: number;
  /** Messages read ahead before the socket is no longer read (backpressure). @default 1024 */
  readonly highWaterMark?: number;
}

/** Options of a send. */
export interface SendOptions {
  /** fds to pass with the message (`SCM_RIGHTS`); yours stay open. */
  readonly fds?: readonly FdLike[];
  /** Gives up waiting for room (the message is not sent). */
  readonly signal?: AbortSignal;
}

/** Options of a receive. */
export interface ReceiveOptions {
  readonly signal?: AbortSignal;
  readonly timeout?: number;
}

interface Pending {
  data: Uint8Array;
  fds: Int32Array | undefined;
  to: ResolvedAddress | undefined;
  resolve(): void;
  reject(err: unknown): void;
}

interface Waiter {
  resolve(m: UnixMessage): void;
  reject(err: unknown): void;
  cleanup(): void;
}

/** How the native core hands over a batch of messages (see uds_msg_read). */
type BatchShape = Int32Array | [Int32Array, Array<[Int32Array | undefined, [Buffer, boolean] | undefined] | undefined>] | undefined;

/** The `fds` of every message that carried none (frozen: shared). */
const NO_FDS: ReceivedFd[] = Object.freeze([]) as unknown as ReceivedFd[];
const RESOLVED = Promise.resolve();

/** Options of {@link MessageSocket.recvMany}. */
export interface ReceiveManyOptions extends ReceiveOptions {
  /** At most this many messages. Default: all that are ready. */
  readonly max?: number;
}

/** @internal Shared by UnixDatagramSocket and SeqpacketSocket. */
export abstract class MessageSocket implements AsyncIterable<UnixMessage>, Disposable {
  protected readonly h: FdHandle;
  readonly #what: string;
  readonly #maxFds: number;
  readonly #hwm: number;
  readonly #connectionless: boolean;
  #queue: UnixMessage[] = [];
  #waiters: Waiter[] = [];
  #sends: Pending[] = [];
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelay = 1;
  #reading = false;
  #ended = false;
  #failure: Error | null = null;
  #closed = false;

  protected constructor(fd: number, what: string, options: unknown, connectionless: boolean) {
    const opts = validateOptions<MessageSocketOptions>(options);
    this.#maxFds = resolveMaxFds(opts.maxFds);
    this.#hwm = opts.highWaterMark === undefined ? 1024 : validateInteger(opts.highWaterMark, 'options.highWaterMark', 1);
    this.#what = what;
    this.#connectionless = connectionless;
    const b = native();
    this.h = new FdHandle(b, fd, {}, what, b.MODE_SOCKET);
    const r = b.setReadMode(this.h.native('read'), b.READ_MESSAGES, this.#maxFds, connectionless);
    if (r < 0) throw systemError(r, 'setsockopt');
    this.h.delegate = {
      onRead: (n, bytes, third) => this.#onRead(n, bytes as Buffer | undefined, third as BatchShape),
      onWritable: () => this.#pumpSends(),
    };
    this.h.setRef(false);
    this.#update();
  }

  /** The socket's fd. Throws `IPCKIT_CLOSED` after close. */
  get fd(): number {
    if (this.#closed) throw closedError(this.#what, 'fd');
    return this.h.fd;
  }

  /** This end's address (undefined when unbound). */
  get localAddress(): UnixAddressInfo | undefined {
    return addressInfo(this.h.binding.udsSockName(this.fd));
  }

  /** Messages received and not yet taken. */
  get queuedMessages(): number {
    return this.#queue.length;
  }

  #onRead(n: number, bytes: Buffer | undefined, third: BatchShape): void {
    if (this.#closed) return;
    if (n > 0 && bytes !== undefined && third !== undefined) {
      // The batch's messages lie back to back in `bytes`.
      const lengths = third instanceof Int32Array ? third : third[0];
      const extras = third instanceof Int32Array ? undefined : third[1];
      let off = 0;
      for (let i = 0; i < n; i++) {
        const end = off + lengths[i]!;
        const data = n === 1 ? bytes : bytes.subarray(off, end);
        off = end;
        const x = extras?.[i];
        if (x === undefined) {
          this.#queue.push({ data, fds: NO_FDS });
          continue;
        }
        const from = x[1] !== undefined ? addressInfo(x[1]) : undefined;
        const fds = x[0] === undefined ? NO_FDS : wrapFds(x[0]);
        this.#queue.push(from === undefined ? { data, fds } : { data, fds, from });
      }
    } else if (n === 0) {
      this.#ended = true;
    } else if (n < 0 && n !== EAGAIN) {
      const err = receiveError(this.h.binding, n, this.#maxFds);
      if (this.#connectionless && err instanceof IpckitError) {
        // A datagram socket has no connection to close: that one message
        // is dropped (its fds closed) and reported; the next ones follow.
        this.#deliverError(err);
      } else {
        this.#failure = err;
        this.#stopReading();
        if (err instanceof IpckitError) this.h.close(); // a peer breaking the rules is cut off
      }
    }
    this.#pump();
  }

  #deliverError(err: Error): void {
    const w = this.#waiters.shift();
    if (w !== undefined) {
      w.cleanup();
      w.reject(err);
    } else {
      this.#pendingError = err;
    }
  }

  #pendingError: Error | null = null;

  #pump(): void {
    while (this.#waiters.length > 0) {
      const m = this.#queue.shift();
      if (m !== undefined) {
        const w = this.#waiters.shift()!;
        w.cleanup();
        w.resolve(m);
        continue;
      }
      const err = this.#takeError();
      if (err === undefined) break;
      const w = this.#waiters.shift()!;
      w.cleanup();
      w.reject(err);
    }
    this.#update();
  }

  #takeError(): Error | undefined {
    if (this.#pendingError !== null) {
      const e = this.#pendingError;
      this.#pendingError = null;
      return e;
    }
    if (this.#failure !== null) return this.#failure;
    if (this.#ended) return new IpckitError(ErrorCode.PEER_CLOSED, `${this.#what}: the peer closed the connection`);
    return undefined;
  }

  #stopReading(): void {
    if (this.#reading) {
      this.#reading = false;
      this.h.readStop();
    }
  }

  #update(): void {
    if (this.#closed || this.h.closed) return;
    const want = !this.#ended && this.#failure === null && this.#queue.length < this.#hwm;
    if (want && !this.#reading) {
      const r = this.h.readStart(1 << 30);
      if (r < 0) {
        this.#failure = systemError(r, 'epoll_ctl');
        return;
      }
      this.#reading = true;
    } else if (!want) {
      this.#stopReading();
    }
    this.h.setRef(this.#waiters.length > 0 || this.#sends.length > 0);
  }

  /**
   * The next message. Rejects with `IPCKIT_PEER_CLOSED` once a seqpacket
   * peer has closed (after every message before it), with `IPCKIT_TIMEOUT`
   * or the signal's reason when given up (no message is lost), with
   * `IPCKIT_TOO_MANY_FDS` / `IPCKIT_FDS_TRUNCATED` for a message that broke
   * the fd rules (dropped, fds closed; a seqpacket connection is closed).
   */
  recv(options?: ReceiveOptions): Promise<UnixMessage> {
    if (this.#closed) return Promise.reject(closedError(this.#what, 'recv'));
    let signal: AbortSignal | undefined;
    let timeout = -1;
    try {
      const opts = validateOptions<ReceiveOptions>(options);
      signal = validateSignal(opts.signal, 'options.signal');
      timeout = validateTimeout(opts.timeout, 'options.timeout');
    } catch (err) {
      return Promise.reject(err);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#waiters.length === 0) {
      const m = this.#queue.shift();
      if (m !== undefined) {
        this.#update();
        return Promise.resolve(m);
      }
      const err = this.#takeError();
      if (err !== undefined) return Promise.reject(err);
    }
    return new Promise<UnixMessage>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const w: Waiter = {
        resolve,
        reject,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
        },
      };
      const giveUp = (err: unknown): void => {
        const i = this.#waiters.indexOf(w);
        if (i < 0) return;
        this.#waiters.splice(i, 1);
        w.cleanup();
        reject(err);
        this.#update();
      };
      if (timeout >= 0) timer = setTimeout(() => giveUp(new IpckitError(ErrorCode.TIMEOUT, `${this.#what}.recv(): no message within ${timeout} ms`)), timeout);
      if (signal !== undefined) {
        onAbort = () => giveUp(signal!.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.#waiters.push(w);
      this.#update();
    });
  }

  /**
   * The next message if one has arrived, else undefined; never waits.
   * Throws what `recv()` would reject with once nothing more will come
   * (`IPCKIT_PEER_CLOSED`, a receive error).
   */
  tryRecv(): UnixMessage | undefined {
    if (this.#closed) throw closedError(this.#what, 'tryRecv');
    if (this.#waiters.length > 0) return undefined;
    const m = this.#queue.shift();
    if (m !== undefined) {
      if (!this.#reading) this.#update();
      return m;
    }
    const err = this.#takeError();
    if (err !== undefined) throw err;
    return undefined;
  }

  /**
   * Waits for at least one message, then resolves with every message that
   * has arrived (up to `max`): one promise for a burst. Rejects as `recv()`
   * does.
   */
  async recvMany(options?: ReceiveManyOptions): Promise<UnixMessage[]> {
    const opts = validateOptions<ReceiveManyOptions>(options);
    const max = opts.max === undefined ? Infinity : validateInteger(opts.max, 'options.max', 1);
    const out = [await this.recv(opts)];
    while (out.length < max && this.#waiters.length === 0 && this.#queue.length > 0) out.push(this.#queue.shift()!);
    if (!this.#reading) this.#update();
    return out;
  }

  /**
   * Iterates over received messages. Ends when a seqpacket peer has closed
   * (after every message before that), or when this socket is closed.
   */
  [Symbol.asyncIterator](): AsyncIterator<UnixMessage> {
    const it: AsyncIterableIterator<UnixMessage> = {
      next: () => {
        // A message already here: one settled promise, nothing else.
        if (!this.#closed && this.#waiters.length === 0 && this.#queue.length > 0) {
          const value = this.#queue.shift()!;
          if (!this.#reading) this.#update();
          return Promise.resolve({ value, done: false as const });
        }
        return this.recv().then(
          (value) => ({ value, done: false as const }),
          (err: unknown) => {
            const code = (err as IpckitError)?.code;
            if (code === ErrorCode.PEER_CLOSED || code === ErrorCode.CLOSED) return { value: undefined, done: true as const };
            throw err;
          },
        );
      },
      return: () => Promise.resolve({ value: undefined, done: true as const }),
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /** @internal Queues one message; sends keep their order. */
  protected sendMessage(method: string, data: unknown, options: unknown, to: ResolvedAddress | undefined): Promise<void> {
    if (this.#closed) return Promise.reject(closedError(this.#what, method));
    // The common case: nothing queued, no options, the kernel has room.
    if (options === undefined && this.#sends.length === 0 && to === undefined && data instanceof Uint8Array) {
      const r = this.h.binding.udsSendBytes(this.h.native(method), data);
      if (r === data.length) return RESOLVED;
      if (r !== EAGAIN) return Promise.reject(this.#sendError(r, data.length, undefined));
    }
    let bytes: Uint8Array;
    let fds: Int32Array | undefined;
    let signal: AbortSignal | undefined;
    try {
      bytes = typeof data === 'string' ? Buffer.from(data) : validateBytes(data, 'data');
      const opts = validateOptions<SendOptions>(options);
      fds = opts.fds === undefined || opts.fds.length === 0 ? undefined : toFdArray(opts.fds, 'options.fds', MAX_FDS_CAP);
      signal = validateSignal(opts.signal, 'options.signal');
    } catch (err) {
      return Promise.reject(err);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const p: Pending = { data: bytes, fds, to, resolve, reject };
      if (signal !== undefined) {
        // A message goes out whole or not at all, so one still queued (even
        // the one waiting for room) has sent nothing and can be dropped.
        const onAbort = (): void => {
          const i = this.#sends.indexOf(p);
          if (i < 0) return;
          this.#sends.splice(i, 1);
          reject(signal!.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        p.resolve = () => {
          signal!.removeEventListener('abort', onAbort);
          resolve();
        };
        p.reject = (err) => {
          signal!.removeEventListener('abort', onAbort);
          reject(err);
        };
      }
      this.#sends.push(p);
      if (this.#sends.length === 1) this.#pumpSends();
    });
  }

  #pumpSends(): void {
    const b = this.h.binding;
    while (this.#sends.length > 0) {
      if (this.#closed || this.h.closed) {
        const ss = this.#sends;
        this.#sends = [];
        for (const s of ss) s.reject(closedError(this.#what, 'send'));
        return;
      }
      const p = this.#sends[0]!;
      const r = b.udsSend(this.h.native('send'), [p.data], 0, p.fds, p.to?.bytes, p.to?.abstract ?? false);
      if (r === p.data.length) {
        this.#sends.shift();
        this.#retryDelay = 1;
        p.resolve();
        continue;
      }
      if (r === EAGAIN) {
        // A connected socket (or seqpacket) says when its peer has room; a
        // datagram to an address cannot be polled for: retry on a timer.
        if (p.to === undefined) {
          const w = this.h.awaitWritable();
          if (w >= 0) {
            this.#update();
            return;
          }
        }
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#pumpSends();
        }, this.#retryDelay);
        this.#retryDelay = Math.min(20, this.#retryDelay * 2);
        return;
      }
      this.#sends.shift();
      p.reject(this.#sendError(r, p.data.length, p.to));
    }
    this.#update();
  }

  #sendError(r: number, length: number, to: ResolvedAddress | undefined): Error {
    if (r >= 0) return new IpckitError(ErrorCode.PARTIAL_WRITE, `${this.#what}.send(): only ${r} of ${length} bytes of a message were written; the message is incomplete`);
    return to !== undefined ? systemError(r, 'sendto', to.display) : systemError(r, 'sendmsg');
  }

  /** Closes the socket now (idempotent): waiting receives reject with `IPCKIT_CLOSED`; unsent messages too. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopReading();
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.h.close();
    for (const m of this.#queue) for (const f of m.fds) f.close();
    this.#queue = [];
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) {
      w.cleanup();
      w.reject(closedError(this.#what, 'recv'));
    }
    const ss = this.#sends;
    this.#sends = [];
    for (const s of ss) s.reject(closedError(this.#what, 'send'));
    this.onClosed();
  }

  /** @internal */
  protected onClosed(): void {}

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal */
  [kHandOff](): void {
    this.close();
  }
}

/**
 * A Unix datagram socket, bound to a path or an abstract name (to receive)
 * or unbound (to send). Messages keep their boundaries, may carry fds, and
 * are never truncated on receive: a datagram arrives whole or not at all.
 * An unbound socket's datagrams carry no sender address, so the receiver
 * cannot reply to it.
 */
export class UnixDatagramSocket extends MessageSocket {
  #path: string | undefined;

  /** @internal */
  constructor(fd: number, options?: MessageSocketOptions, boundPath?: string) {
    super(fd, 'UnixDatagramSocket', options, true);
    this.#path = boundPath;
  }

  /**
   * Adopts a Unix datagram socket (e.g. an end of a socket pair inherited
   * through `spawn`'s stdio, or a `ReceivedFd`). ipckit owns it from now on
   * and makes it close-on-exec. Throws `IPCKIT_INVALID_ARGUMENT` if it is
   * not a Unix datagram socket.
   */
  static fromFd(fd: number, options?: MessageSocketOptions): UnixDatagramSocket {
    return new UnixDatagramSocket(adoptSocketFd(fd, native().UDS_DGRAM, 'a Unix datagram socket'), options);
  }

  /** The connected peer's address, if connect() was called. */
  get remoteAddress(): UnixAddressInfo | undefined {
    return addressInfo(this.h.binding.udsPeerName(this.fd));
  }

  /** Sends to the connected peer (see `connect`). */
  send(data: Uint8Array | string, options?: SendOptions): Promise<void> {
    return this.sendMessage('send', data, options, undefined);
  }

  /** Sends to `address`. */
  sendTo(address: UnixAddress, data: Uint8Array | string, options?: SendOptions): Promise<void> {
    let to: ResolvedAddress;
    try {
      to = resolveAddress(address);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.sendMessage('sendTo', data, options, to);
  }

  /** Sets the default destination (and, on Linux, accepts datagrams only from it). */
  connect(address: UnixAddress): void {
    const to = resolveAddress(address);
    const r = this.h.binding.udsConnect(this.fd, to.bytes, to.abstract);
    if (r < 0) throw systemError(r, 'connect', to.display);
  }

  /** @internal Removes the socket file it bound (if still ours). */
  protected override onClosed(): void {
    if (this.#path !== undefined) unlinkIfOurs(this.#path, this.#inode);
  }

  #inode: [number, number] | undefined;

  /** @internal */
  setBoundInode(inode: [number, number] | undefined): void {
    this.#inode = inode;
  }
}

/**
 * A Unix seqpacket connection (Linux): reliable, ordered, connection-based,
 * and with message boundaries; each message may carry fds.
 */
export class SeqpacketSocket extends MessageSocket {
  /** @internal */
  constructor(fd: number, options?: MessageSocketOptions) {
    super(fd, 'SeqpacketSocket', options, false);
  }

  /**
   * Adopts a connected Unix seqpacket socket (see
   * `UnixDatagramSocket.fromFd`). Throws `IPCKIT_INVALID_ARGUMENT` if it is
   * not one.
   */
  static fromFd(fd: number, options?: MessageSocketOptions): SeqpacketSocket {
    return new SeqpacketSocket(adoptSocketFd(fd, native().UDS_SEQPACKET, 'a Unix seqpacket socket'), options);
  }

  /** Sends one message (with fds). Resolves once the kernel took it whole. */
  send(data: Uint8Array | string, options?: SendOptions): Promise<void> {
    return this.sendMessage('send', data, options, undefined);
  }

  /** The credentials of the process at the other end (see UnixStream.peerCredentials). */
  peerCredentials(): PeerCredentials {
    return peerCredentialsOf(this.h.binding, this.fd);
  }

  /** The other end's address. */
  get remoteAddress(): UnixAddressInfo | undefined {
    return addressInfo(this.h.binding.udsPeerName(this.fd));
  }

  /** Shuts down the sending side: the peer's iteration ends after what was sent. */
  end(): void {
    const r = this.h.binding.udsShutdown(this.fd, 1);
    if (r < 0 && r !== -107) throw systemError(r, 'shutdown');
  }
}

/** @internal Unlinks a socket file only if it is still the one we bound. */
export function unlinkIfOurs(path: string, inode: [number, number] | undefined): void {
  if (inode === undefined) return;
  try {
    const st = lstatSync(path);
    if (st.dev === inode[0] && st.ino === inode[1]) unlinkSync(path);
  } catch {
    // already gone
  }
}

/** @internal */
export function inodeOf(path: string | undefined): [number, number] | undefined {
  if (path === undefined) return undefined;
  try {
    const st = lstatSync(path);
    return [st.dev, st.ino];
  } catch {
    return undefined;
  }
}
