/**
 * # Local sockets
 *
 * One server, many clients, on one machine, safe by default: `listen(name)`
 * and `connect(name)`. A name is a short string (`'my-app'`) that ipckit
 * maps to a socket in a private per-user directory (see `localSocketPath`),
 * or a path of your choosing, or (Linux, opt-in) an abstract name.
 *
 * ```ts
 * const listener = listen('echo');
 * listener.on('connection', (conn) => conn.pipe(conn));
 * const conn = await connect('echo');
 * ```
 *
 * What is done for you:
 * - the private directory is created 0700 and checked (owner, mode, no
 *   symlink) before every listen and connect;
 * - the socket file is 0600 (`mode`) from the instant it exists;
 * - a stale socket file left by a crashed server is removed, but only when
 *   it is our own socket and nobody answers on it; a live listener is never
 *   displaced (`EADDRINUSE`), and two servers starting at once cannot
 *   displace each other;
 * - only processes of the same user get a connection (`allow`), decided
 *   from the kernel's peer credentials before any byte reaches you;
 * - a client can insist on the server's uid (`expectServerUid`, on by
 *   default for names), so nobody else can pose as the server;
 * - optionally, both sides prove they hold a shared key (`authKey`) before
 *   any application byte flows;
 * - with `codec`, connections carry typed messages (`FramedConnection`).
 *
 * Streams carry raw bytes with no hidden framing unless `codec` is given.
 *
 * ## When not to use it
 *
 * Between a parent and its own child, pipes and channels need no name and
 * no checks. To talk to an existing Unix-socket service with its own rules,
 * use `connectUnix`. Across machines, use TCP.
 *
 * ## Platform notes
 *
 * Linux: tested. macOS and BSDs: built, untested (names live under
 * `$TMPDIR/ipckit-<uid>`; socket paths up to 103 bytes). Windows: named
 * pipes through Node's `net` (`\\.\pipe\ipckit-<user>-<name>`), untested:
 * there is no peer-credential check there (`allow` other than `'any'` and
 * `expectServerUid` throw `IPCKIT_UNSUPPORTED_PLATFORM`), and Node cannot
 * restrict the pipe's access list, so use `authKey`.
 * @module
 */
import { EventEmitter } from 'node:events';
import { unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { constants as osConstants, tmpdir, userInfo } from 'node:os';
import { ErrorCode, IpckitError, systemError } from '../errors.js';
import { EAGAIN } from '../internal/handle.js';
import { invalidArgument, validateInteger, validateOptions, validateTimeout } from '../internal/validate.js';
import { native } from '../native.js';
import type { Codec, CodecName } from '../channel/codec.js';
import { connectFd } from '../uds/index.js';
import { UnixServer } from '../uds/server.js';
import { peerCredentialsOf, UnixStream, type PeerCredentials, type UnixStreamOptions } from '../uds/stream.js';
import { authenticateClient, authenticateServer, DEFAULT_HANDSHAKE_TIMEOUT, resolveAuthKey } from './auth.js';
import { checkSocketDir, ensurePrivateDir, lockDir, statPath } from './dir.js';
import { FramedConnection, resolveFramedOptions, type FramedOptions } from './framed.js';
import { resolveLocalName, type LocalAddress, type LocalName, type NameContext } from './names.js';

export { framed, FramedConnection, type FramedOptions, type FramedRecvOptions } from './framed.js';
export { localSocketDir, resolveLocalName, type LocalAddress, type LocalName, type NameContext } from './names.js';

const ECONNREFUSED = -osConstants.errno.ECONNREFUSED;
const ENOENT = -osConstants.errno.ENOENT;

/**
 * This process's facts for the name mapping, each looked up only when the
 * mapping needs it: a socket path needs none of them, and the user name
 * costs a read of the user database.
 */
function currentContext(): NameContext {
  let username: string | undefined;
  let tmp: string | undefined;
  return {
    platform: process.platform,
    env: process.env,
    uid: process.geteuid?.() ?? -1,
    get username(): string {
      if (username === undefined) {
        username = 'user';
        try {
          username = userInfo().username;
        } catch {
          // no passwd entry: keep the default
        }
      }
      return username;
    },
    get tmpdir(): string {
      return (tmp ??= tmpdir());
    },
  };
}

/**
 * Where `name` lives on this machine, for this user: a socket path, an
 * abstract name, or a Windows pipe (see the mapping in `names.ts`).
 */
export function localSocketPath(name: LocalName): LocalAddress {
  return resolveLocalName(name, currentContext());
}

/**
 * A connection of a local socket: a `UnixStream` (a Duplex of raw bytes,
 * with `peerCredentials()` and fd passing) that passed the listener's checks.
 */
export class LocalStream extends UnixStream {
  #authenticated = false;

  /** True once the shared-key handshake succeeded on this connection. */
  get authenticated(): boolean {
    return this.#authenticated;
  }

  /** @internal */
  markAuthenticated(): void {
    this.#authenticated = true;
  }
}

/** Who may connect: the same user (default), anyone, or your decision from the kernel's credentials. */
export type AllowOption = 'same-user' | 'any' | ((credentials: PeerCredentials) => boolean);

/** Options of {@link listen}. */
export interface ListenOptions {
  /**
   * Remove a stale socket file left at the name: only if it is a socket
   * owned by this user and a connection attempt is refused. A live listener
   * is never displaced (`EADDRINUSE`). @default true
   */
  readonly reclaimName?: boolean;
  /** Permission bits of the socket file, in force before anyone can connect. @default 0o600 */
  readonly mode?: number;
  /** Who may connect, checked before any byte reaches you. @default 'same-user' */
  readonly allow?: AllowOption;
  /** Connections open at once; beyond it, new clients wait in the kernel's backlog. Default: no limit. */
  readonly maxConnections?: number;
  /** Connections the kernel queues before refusing. @default 511 */
  readonly backlog?: number;
  /** A shared key: clients must prove they hold it (and so must this listener) before a connection is delivered. */
  readonly authKey?: string | Uint8Array;
  /** Milliseconds a client has to complete the handshake. @default 5000 */
  readonly handshakeTimeout?: number;
  /** Options of each connection's stream. */
  readonly connection?: UnixStreamOptions;
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Milliseconds to wait in all (for the listener with `wait`, a full backlog, the handshake). */
  readonly timeout?: number;
  /** Gives up when aborted. */
  readonly signal?: AbortSignal;
  /** Keep trying until a listener appears (until `timeout` or `signal`). @default false */
  readonly wait?: boolean;
  /**
   * The uid the server must run as; anyone else gets no byte and the
   * connect fails with `IPCKIT_PEER_REJECTED`. Defaults to this user's uid
   * for names (not for paths); `null` turns the check off.
   */
  readonly expectServerUid?: number | null;
  /** The shared key the listener was given. */
  readonly authKey?: string | Uint8Array;
  /** Milliseconds the server has to complete the handshake. @default 5000 */
  readonly handshakeTimeout?: number;
  /** Options of the stream. */
  readonly connection?: UnixStreamOptions;
}

/** Options that make connections framed: `codec` (required) and the other `FramedOptions`. */
export type FramedListenOptions<T> = ListenOptions & FramedOptions<T> & { readonly codec: CodecName | Codec<T> };
/** Options that make a framed client connection. */
export type FramedConnectOptions<T> = ConnectOptions & FramedOptions<T> & { readonly codec: CodecName | Codec<T> };

/** A connection refused by the listener's checks (the `'refused'` event). */
export interface RefusedConnection {
  /** The kernel's credentials of the client, when known. */
  readonly credentials: PeerCredentials | undefined;
  /** Why: `'allow'` (not allowed), `'auth'` (failed the handshake), or `'timeout'` (too slow to authenticate). */
  readonly reason: 'allow' | 'auth' | 'timeout';
  /** The handshake's error, for `'auth'` and `'timeout'`. */
  readonly error?: Error;
}

interface Settings {
  allow: (c: PeerCredentials) => boolean;
  maxConnections: number;
  key: Buffer | undefined;
  handshakeTimeout: number;
  framed: ReturnType<typeof resolveFramedOptions> | undefined;
  framedRaw: unknown;
  connection: UnixStreamOptions | undefined;
}

function resolveAllow(value: unknown): (c: PeerCredentials) => boolean {
  if (value === undefined || value === 'same-user') {
    const me = process.geteuid?.() ?? -1;
    return (c) => c.uid === me;
  }
  if (value === 'any') return () => true;
  if (typeof value === 'function') return value as (c: PeerCredentials) => boolean;
  throw invalidArgument('options.allow', "'same-user', 'any', or a function of the peer credentials", value);
}

/**
 * A listening local socket. Connections arrive as `'connection'` events or
 * through `for await (const conn of listener)`, only once they passed every
 * check (`allow`, `authKey`); refused ones are reported as `'refused'`
 * events. Each is a `LocalStream`, or a `FramedConnection` when the listener
 * has a `codec`.
 *
 * It accepts while someone takes connections (a `'connection'` listener or
 * an iterator) and fewer than `maxConnections` are open. `close()` stops
 * accepting and removes the socket file if it is still this listener's;
 * connections already delivered stay open.
 *
 * Events: `'connection'`, `'refused'` (`RefusedConnection`), `'error'` (an
 * accept failed, e.g. out of fds; only emitted when listened to), `'close'`.
 */
export class LocalListener<C = LocalStream> extends EventEmitter implements AsyncIterable<C>, AsyncDisposable {
  /** Where it listens. */
  readonly address: LocalAddress;
  readonly #settings: Settings;
  readonly #server: UnixServer<LocalStream> | undefined;
  readonly #net: Server | undefined;
  #open = 0;
  #queue: C[] = [];
  #iterWaiters: Array<(r: IteratorResult<C>) => void> = [];
  #iterators = 0;
  #attached = false;
  #closed = false;
  #pending = new Set<LocalStream | Socket>();
  readonly #onAccept = (conn: LocalStream): void => this.#accepted(conn);

  /** @internal */
  constructor(address: LocalAddress, settings: Settings, server: UnixServer<LocalStream> | undefined, net: Server | undefined) {
    super();
    this.address = address;
    this.#settings = settings;
    this.#server = server;
    this.#net = net;
    server?.on('error', (err: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    net?.on('connection', (s: Socket) => this.#accepted(s as unknown as LocalStream));
    net?.on('error', (err: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    this.on('newListener', (event) => {
      if (event === 'connection') queueMicrotask(() => this.#update());
    });
    this.on('removeListener', (event) => {
      if (event === 'connection') queueMicrotask(() => this.#update());
    });
  }

  /** Connections delivered or being checked, and not yet closed. */
  get connections(): number {
    return this.#open;
  }

  /** Accept only while someone takes connections and there is room. */
  #update(): void {
    if (this.#server === undefined) return;
    const want = !this.#closed && (this.listenerCount('connection') > 0 || this.#iterators > 0) && this.#open < this.#settings.maxConnections;
    if (want && !this.#attached) this.#server.on('connection', this.#onAccept);
    else if (!want && this.#attached) this.#server.off('connection', this.#onAccept);
    this.#attached = want;
  }

  #accepted(conn: LocalStream): void {
    this.#open++;
    conn.once('close', () => {
      this.#open--;
      this.#update();
    });
    this.#update();
    const s = this.#settings;
    if (s.key === undefined) return this.#deliver(conn, false);
    this.#pending.add(conn);
    authenticateServer(conn, s.key, s.handshakeTimeout).then(
      () => {
        this.#pending.delete(conn);
        if (this.#closed) {
          conn.destroy();
          return;
        }
        if (conn instanceof LocalStream) conn.markAuthenticated();
        this.#deliver(conn, true);
      },
      (err: Error) => {
        this.#pending.delete(conn);
        let credentials: PeerCredentials | undefined;
        try {
          credentials = conn instanceof LocalStream ? conn.peerCredentials() : undefined;
        } catch {
          credentials = undefined;
        }
        conn.destroy();
        this.emit('refused', { credentials, reason: (err as IpckitError).code === ErrorCode.TIMEOUT ? 'timeout' : 'auth', error: err } satisfies RefusedConnection);
      },
    );
  }

  #deliver(conn: LocalStream, authenticated: boolean): void {
    const s = this.#settings;
    const c = (s.framed === undefined ? conn : new FramedConnection(conn, s.framedRaw as FramedOptions<unknown>, authenticated)) as C;
    const w = this.#iterWaiters.shift();
    if (w !== undefined) w({ value: c, done: false });
    else if (this.listenerCount('connection') > 0) this.emit('connection', c);
    else this.#queue.push(c);
  }

  /** @internal The listener's check of a new connection's credentials; false refuses it. */
  checkPeer(fd: number): boolean {
    let creds: PeerCredentials;
    try {
      creds = peerCredentialsOf(native(), fd);
    } catch {
      return false;
    }
    let ok = false;
    try {
      ok = this.#settings.allow(creds) === true;
    } catch {
      ok = false;
    }
    if (!ok) queueMicrotask(() => this.emit('refused', { credentials: creds, reason: 'allow' } satisfies RefusedConnection));
    return ok;
  }

  /** Iterates over connections until the listener closes. */
  [Symbol.asyncIterator](): AsyncIterator<C> {
    this.#iterators++;
    this.#update();
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.#iterators--;
      this.#update();
    };
    const it: AsyncIterableIterator<C> = {
      next: () => {
        const c = this.#queue.shift();
        if (c !== undefined) return Promise.resolve({ value: c, done: false });
        if (this.#closed) {
          finish();
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise<IteratorResult<C>>((resolve) => this.#iterWaiters.push(resolve));
      },
      return: () => {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /**
   * Stops accepting, refuses connections still being checked, and removes
   * the socket file if it is still this listener's. Connections already
   * delivered stay open. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#update();
    if (this.#server !== undefined) await this.#server.close();
    if (this.#net !== undefined) await new Promise<void>((resolve) => this.#net!.close(() => resolve()));
    for (const c of this.#pending) c.destroy();
    this.#pending.clear();
    for (const c of this.#queue.splice(0)) (c as unknown as { close(): void }).close();
    for (const w of this.#iterWaiters.splice(0)) w({ value: undefined, done: true });
    this.emit('close');
  }

  /** Same as close(). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function resolveSettings(o: ListenOptions & FramedOptions<unknown>): Settings {
  const key = resolveAuthKey(o.authKey);
  const codecGiven = (o as { codec?: unknown }).codec !== undefined;
  return {
    allow: resolveAllow(o.allow),
    maxConnections: o.maxConnections === undefined ? Infinity : validateInteger(o.maxConnections, 'options.maxConnections', 1),
    key,
    handshakeTimeout: o.handshakeTimeout === undefined ? DEFAULT_HANDSHAKE_TIMEOUT : validateInteger(o.handshakeTimeout, 'options.handshakeTimeout', 1),
    framed: codecGiven ? resolveFramedOptions(o, key !== undefined) : undefined,
    framedRaw: o,
    connection: o.connection,
  };
}

/**
 * Listens on a local socket. Throws `EADDRINUSE` when a live listener (or
 * anything that is not our stale socket) holds the name,
 * `IPCKIT_INSECURE_PATH` when the directory is not safe,
 * `IPCKIT_PATH_TOO_LONG`, `IPCKIT_INVALID_ARGUMENT`.
 */
export function listen(name: LocalName, options?: ListenOptions): LocalListener<LocalStream>;
export function listen<T, Out = T>(name: LocalName, options: FramedListenOptions<T>): LocalListener<FramedConnection<T, Out>>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the overloads above give the precise types
export function listen(name: LocalName, options?: ListenOptions & FramedOptions<unknown>): LocalListener<any> {
  const o = validateOptions<ListenOptions & FramedOptions<unknown>>(options);
  const settings = resolveSettings(o);
  const address = localSocketPath(name);
  if (o.reclaimName !== undefined && typeof o.reclaimName !== 'boolean') throw invalidArgument('options.reclaimName', 'a boolean', o.reclaimName);
  const mode = o.mode === undefined ? 0o600 : validateInteger(o.mode, 'options.mode', 0, 0o777);
  const backlog = o.backlog === undefined ? 511 : validateInteger(o.backlog, 'options.backlog', 1, 65535);
  if (address.kind === 'pipe') {
    if (o.allow !== undefined && o.allow !== 'any') throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, 'allow: peer credentials do not exist for Windows pipes; use authKey');
    return listenWindows(address, settings);
  }

  const b = native();
  const fd = b.udsSocket(b.UDS_STREAM, true);
  if (fd < 0) throw systemError(fd, 'socket');
  let path: string | undefined;
  try {
    if (address.kind === 'abstract') {
      const bytes = Buffer.from(address.abstract);
      const r = b.udsBind(fd, bytes, true, -1);
      if (r < 0) throw systemError(r, 'bind', `@${address.abstract}`);
    } else {
      path = address.path;
      const bytes = Buffer.from(path);
      if (bytes.length > b.SUN_PATH_MAX) {
        throw new IpckitError(ErrorCode.PATH_TOO_LONG, `socket path of ${bytes.length} bytes does not fit a Unix socket address (at most ${b.SUN_PATH_MAX}); nothing was created. Use a shorter name or directory`);
      }
      if (address.dir !== undefined) ensurePrivateDir(address.dir, true);
      else checkSocketDir(path);
      const unlock = lockDir(address.dir ?? dirnameOf(path));
      try {
        reclaim(path, o.reclaimName !== false);
        const r = b.udsBind(fd, bytes, false, mode);
        if (r < 0) throw systemError(r, 'bind', path);
        const l = b.udsListen(fd, backlog);
        if (l < 0) {
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
          throw systemError(l, 'listen', path);
        }
      } finally {
        unlock();
      }
    }
    if (address.kind === 'abstract') {
      const l = b.udsListen(fd, backlog);
      if (l < 0) throw systemError(l, 'listen', `@${address.abstract}`);
    }
  } catch (err) {
    b.closeFd(fd);
    throw err;
  }
  let listener: LocalListener<unknown> | undefined;
  const server = new UnixServer<LocalStream>(
    fd,
    (cfd) => {
      // The allow check comes first, on the raw fd: a refused client's bytes are never read.
      if (!listener!.checkPeer(cfd)) {
        b.closeFd(cfd);
        return undefined;
      }
      return new LocalStream(cfd, settings.connection);
    },
    path,
  );
  listener = new LocalListener<unknown>(address, settings, server, undefined);
  return listener;
}

function dirnameOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * What is at `path` before binding: nothing (fine), our own stale socket
 * (removed when allowed), or anything else (EADDRINUSE or INSECURE_PATH).
 * Runs under the directory's lock.
 */
function reclaim(path: string, allowed: boolean): void {
  const st = statPath(path);
  if (st === null) return;
  const inUse = (why: string): Error => {
    const err = systemError(-osConstants.errno.EADDRINUSE, 'bind', path);
    err.message += `: ${why}`;
    return err;
  };
  if (st.isSymbolicLink()) throw new IpckitError(ErrorCode.INSECURE_PATH, `${path} is a symlink; it was left alone`);
  if (!st.isSocket()) throw inUse('something that is not a socket is there; it was left alone');
  if (st.uid !== (process.geteuid?.() ?? -1)) throw inUse(`another user's socket (uid ${st.uid}) is there; it was left alone`);
  if (!allowed) throw inUse('a socket file is there (reclaimName is false)');
  // Is anyone listening? A refused connection means the file is stale.
  const b = native();
  const probe = b.udsSocket(b.UDS_STREAM, false);
  if (probe < 0) throw systemError(probe, 'socket');
  const r = b.udsConnect(probe, Buffer.from(path), false);
  b.closeFd(probe);
  if (r === 0 || r === EAGAIN) throw inUse('a listener is live there');
  if (r === ENOENT) return; // its listener closed and removed it meanwhile: the name is free
  if (r !== ECONNREFUSED) throw systemError(r, 'connect', path);
  const again = statPath(path);
  if (again !== null && again.dev === st.dev && again.ino === st.ino) unlinkSync(path);
}

/**
 * Connects to a local socket. Rejects with `ENOENT` or `ECONNREFUSED` when
 * nobody listens (unless `wait`), `IPCKIT_TIMEOUT`, `IPCKIT_PEER_REJECTED`
 * (the server is not `expectServerUid`), `IPCKIT_AUTH_FAILED`,
 * `IPCKIT_INSECURE_PATH`, or the signal's reason.
 */
export function connect(name: LocalName, options?: ConnectOptions): Promise<LocalStream>;
export function connect<T, Out = T>(name: LocalName, options: FramedConnectOptions<T>): Promise<FramedConnection<T, Out>>;
export async function connect(name: LocalName, options?: ConnectOptions & FramedOptions<unknown>): Promise<LocalStream | FramedConnection<unknown>> {
  const o = validateOptions<ConnectOptions & FramedOptions<unknown>>(options);
  const address = localSocketPath(name);
  const key = resolveAuthKey(o.authKey);
  const framedOpts = (o as { codec?: unknown }).codec !== undefined ? resolveFramedOptions(o, key !== undefined) : undefined;
  const timeout = validateTimeout(o.timeout, 'options.timeout');
  const handshakeTimeout = o.handshakeTimeout === undefined ? DEFAULT_HANDSHAKE_TIMEOUT : validateInteger(o.handshakeTimeout, 'options.handshakeTimeout', 1);
  if (o.wait !== undefined && typeof o.wait !== 'boolean') throw invalidArgument('options.wait', 'a boolean', o.wait);
  let expectUid: number | null;
  if (o.expectServerUid === undefined) expectUid = address.kind === 'path' && address.dir === undefined ? null : (process.geteuid?.() ?? null);
  else if (o.expectServerUid === null) expectUid = null;
  else expectUid = validateInteger(o.expectServerUid, 'options.expectServerUid', 0);
  const start = performance.now();

  if (address.kind === 'pipe') {
    if (o.expectServerUid !== undefined && o.expectServerUid !== null) throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, 'expectServerUid: peer credentials do not exist on Windows');
    const sock = await connectWindows(address.pipe, o.wait === true, timeout, o.signal);
    return finishConnect(sock as unknown as LocalStream, key, handshakeTimeout, o, framedOpts);
  }
  const b = native();
  const target = address.kind === 'abstract' ? { abstract: address.abstract } : address.path;
  const fd = await connectFd(b.UDS_STREAM, target, { timeout: o.timeout, signal: o.signal }, 'connect()', {
    wait: o.wait === true,
    check: address.kind === 'path' && address.dir !== undefined ? () => ensurePrivateDir(address.dir!, false) : undefined,
  });
  let stream: LocalStream;
  try {
    stream = new LocalStream(fd, o.connection);
  } catch (err) {
    b.closeFd(fd);
    throw err;
  }
  if (expectUid !== null) {
    const creds = stream.peerCredentials();
    if (creds.uid !== expectUid) {
      stream.destroy();
      throw new IpckitError(ErrorCode.PEER_REJECTED, `the server at ${describe(address)} runs as uid ${creds.uid}, not ${expectUid}; nothing was sent to it`);
    }
  }
  const left = timeout < 0 ? handshakeTimeout : Math.max(1, Math.min(handshakeTimeout, timeout - (performance.now() - start)));
  return finishConnect(stream, key, left, o, framedOpts);
}

async function finishConnect(
  stream: LocalStream,
  key: Buffer | undefined,
  handshakeTimeout: number,
  o: ConnectOptions & FramedOptions<unknown>,
  framedOpts: unknown,
): Promise<LocalStream | FramedConnection<unknown>> {
  if (key !== undefined) {
    try {
      await authenticateClient(stream, key, handshakeTimeout);
    } catch (err) {
      stream.destroy();
      throw err;
    }
    if (stream instanceof LocalStream) stream.markAuthenticated();
  }
  return framedOpts === undefined ? stream : new FramedConnection(stream, o, key !== undefined);
}

function describe(a: LocalAddress): string {
  return a.kind === 'path' ? a.path : a.kind === 'abstract' ? `@${a.abstract}` : a.pipe;
}

// Windows: named pipes through Node's net (untested here).

function listenWindows(address: Extract<LocalAddress, { kind: 'pipe' }>, settings: Settings): LocalListener<unknown> {
  const server = createServer({ pauseOnConnect: true });
  let failure: Error | undefined;
  server.once('error', (err) => (failure = err));
  server.listen(address.pipe);
  if (failure !== undefined) throw failure;
  return new LocalListener<unknown>(address, { ...settings, allow: () => true }, undefined, server);
}

async function connectWindows(pipe: string, wait: boolean, timeout: number, signal: AbortSignal | undefined): Promise<Socket> {
  const deadline = timeout >= 0 ? performance.now() + timeout : Infinity;
  let delay = 1;
  for (;;) {
    signal?.throwIfAborted();
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = createConnection(pipe);
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!wait || (code !== 'ENOENT' && code !== 'ECONNREFUSED')) throw err;
      if (performance.now() >= deadline) throw new IpckitError(ErrorCode.TIMEOUT, `connect(): nobody listened at ${pipe} within ${timeout} ms`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(50, delay * 2);
    }
  }
}

