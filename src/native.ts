/**
 * The one boundary to the native core. Nothing else in ipckit touches the
 * addon: this module loads it (prebuilt binary or local build, through
 * node-gyp-build) and declares every export with a TypeScript type.
 *
 * Conventions of the raw binding: functions return a count, an fd, or 0 on
 * success and a negative errno on failure; they throw only for a call of the
 * wrong shape, which the TypeScript layer prevents by validating first.
 *
 * Classes take the binding as a parameter ({@link NativeBinding}) so that a
 * test can script a rare condition (EAGAIN, EINTR, a disconnect) that a real
 * kernel object will not produce on demand.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, IpckitError } from './errors.js';

/** An fd owned by the native core: an opaque External. */
export type NativeHandle = { readonly __nativeHandle: unique symbol };

/** The method the native core calls on a handle's owner: `(type, a, b, c)`. */
export type NativeEventMethod = (type: number, a: number, b: unknown, c: unknown) => void;

/** The native core's exports. */
export interface NativeBinding {
  // handles (native/io/handle_napi.c)
  handleOpen(fd: number, mode: number, owner: object, method: NativeEventMethod, resource: string): NativeHandle | number;
  handleMode(h: NativeHandle): number;
  handleKind(h: NativeHandle): number;
  readStart(h: NativeHandle, maxRead: number): number;
  readStop(h: NativeHandle): number;
  awaitWritable(h: NativeHandle): number;
  awaitReadable(h: NativeHandle): number;
  tryRead(h: NativeHandle, bytes: Uint8Array, offset: number, length: number): number;
  watchPeer(h: NativeHandle, on: boolean): number;
  setRef(h: NativeHandle, on: boolean): void;
  write(h: NativeHandle, bytes: Uint8Array, offset: number, end: number): number;
  writev(h: NativeHandle, chunks: readonly Uint8Array[], offsetInFirst: number): number;
  close(h: NativeHandle): number;
  release(h: NativeHandle): number;
  readSync(h: NativeHandle, bytes: Uint8Array, offset: number, length: number, timeoutMs: number): number;
  writeSync(h: NativeHandle, bytes: Uint8Array, offset: number, length: number, timeoutMs: number, out: Float64Array): number;
  readNow(h: NativeHandle, max: number): Buffer | number;
  readWaitCopy(h: NativeHandle, timeoutMs: number): Buffer | number;
  available(h: NativeHandle): number;
  readonly EV_READ: number;
  readonly EV_WRITE: number;
  readonly EV_PEER: number;
  readonly EV_READABLE: number;
  readonly MODE_NOWAIT: number;
  readonly MODE_SOCKET: number;
  readonly MODE_NONBLOCK: number;
  readonly MODE_BLOCKING: number;
  readonly MODE_FILE: number;

  // pipes and fds (native/pipe/pipe_napi.c)
  pipe(out: Int32Array): number;
  pipeCapacity(fd: number): number;
  setPipeCapacity(fd: number, bytes: number): number;
  fdKind(fd: number): number;
  dupCloexec(fd: number, minFd: number): number;
  setCloexec(fd: number, on: boolean): number;
  getCloexec(fd: number): number;
  statusFlags(fd: number): number;
  closeFd(fd: number): number;
  readonly PIPE_BUF: number;
  readonly PIPE_NOWAIT: number;
  readonly KIND_FIFO: number;
  readonly KIND_SOCKET: number;
  readonly KIND_CHAR: number;
  readonly KIND_FILE: number;
  readonly KIND_DIR: number;
  readonly KIND_OTHER: number;

  // FIFOs (native/fifo/fifo_napi.c)
  fifoCreate(path: string, mode: number): number;
  fifoOpen(path: string, forWrite: boolean, owner: Float64Array): number;
  readonly ENOTFIFO: number;

  // Unix domain sockets (native/uds/uds_napi.c)
  udsSocket(type: number, nonblock: boolean): number;
  udsSocketPair(type: number, out: Int32Array): number;
  /** Binds; `mode` -1 leaves the umask's default, else the file gets exactly `mode`. */
  udsBind(fd: number, name: Uint8Array, abstract: boolean, mode: number): number;
  udsConnect(fd: number, name: Uint8Array, abstract: boolean): number;
  udsCheckAddress(name: Uint8Array, abstract: boolean): number;
  udsListen(fd: number, backlog: number): number;
  udsAccept(fd: number): number;
  udsShutdown(fd: number, how: number): number;
  udsType(fd: number): number;
  /** Opens a directory and flocks it (non-blocking): fd, EAGAIN, or -errno. */
  udsLockDir(path: string): number;
  /** One whole message to the connected peer, no fds: bytes sent or -errno. */
  udsSendBytes(h: NativeHandle, bytes: Uint8Array): number;
  /** One non-blocking recvmsg into `buffer`: bytes, -errno, or [bytes, fds] when fds came. */
  udsReadInto(h: NativeHandle, buffer: Uint8Array, offset: number, length: number): number | [number, Int32Array];
  udsPeerCred(fd: number, out: Float64Array): number;
  udsSockName(fd: number): [Buffer, boolean] | undefined | number;
  udsPeerName(fd: number): [Buffer, boolean] | undefined | number;
  udsSend(h: NativeHandle, chunks: readonly Uint8Array[], offsetInFirst: number, fds: Int32Array | undefined, to: Uint8Array | undefined, toAbstract: boolean): number;
  setReadMode(h: NativeHandle, mode: number, maxFds: number, wantFrom: boolean): number;
  readonly UDS_STREAM: number;
  readonly UDS_DGRAM: number;
  readonly UDS_SEQPACKET: number;
  readonly READ_BYTES: number;
  readonly READ_STREAM_FDS: number;
  readonly READ_MESSAGES: number;
  readonly MAX_FDS: number;
  readonly ECTRUNC: number;
  readonly EPARTIAL: number;
  readonly SUN_PATH_MAX: number;
  // signals and pidfds (native/signal/signal_napi.c)
  /** Returns the subscriber slot; out receives [readFd, capacity]. */
  signalOpen(out: Int32Array): number;
  signalClose(slot: number): number;
  signalSubscribe(slot: number, signo: number): number;
  signalUnsubscribe(slot: number, signo: number): number;
  signalDropped(slot: number): number;
  /** The slot's pipe capacity now, in bytes (it grows the first time it is full). */
  signalCapacity(slot: number): number;
  /** After libuv changed a signal's action for a Node listener: puts ipckit's handler back on top while anyone is subscribed. */
  signalRetake(signo: number): number;
  /** The exact current action of a signal, for tests comparing dispositions (and the hub, to see whether one changed). */
  signalDescribe(signo: number): string | number;
  signalKill(pid: number, signo: number): number;
  signalQueue(pid: number, signo: number, value: number): number;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, signo: number): number;
  fdReadable(fd: number): number;
  /** Ends the whole process at once (`_exit`), from any thread. */
  exitProcess(code: number): never;
  readonly SIGRTMIN: number;
  readonly SIGRTMAX: number;
  readonly SIGNAL_MAX: number;
  readonly SIGNAL_RECORD_SIZE: number;
}

function packageRoot(): string {
  // dist/native.js in the package, or a compiled copy deeper down in tests:
  // the first directory up the tree with a binding.gyp is the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'binding.gyp'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('ipckit: cannot find the package root (binding.gyp)');
    dir = parent;
  }
}

let loaded: NativeBinding | undefined;

/**
 * The native binding, loaded on first use. Throws `IPCKIT_NATIVE_LOAD_FAILED`
 * with the loader's error as `cause` when no binary fits this Node.
 *
 * The environment variable `IPCKIT_NATIVE` may name a specific `.node` file
 * to load instead (a sanitizer or debug build; see scripts/sanitize.sh).
 */
export function native(): NativeBinding {
  if (loaded !== undefined) return loaded;
  try {
    const require = createRequire(import.meta.url);
    const override = process.env.IPCKIT_NATIVE;
    if (override) {
      loaded = require(override) as NativeBinding;
    } else {
      const load = require('node-gyp-build') as (dir: string) => NativeBinding;
      loaded = load(packageRoot());
    }
  } catch (cause) {
    throw new IpckitError(
      ErrorCode.NATIVE_LOAD_FAILED,
      'ipckit: the native core is not built for this Node.js; run `npm rebuild ipckit` (needs python3, make and a C compiler)',
      { cause },
    );
  }
  return loaded;
}
