/**
 * The TypeScript side of a native handle: an fd the native core watches with
 * uv_poll. It forwards the core's events to a delegate (a stream, a channel
 * end) and turns its raw return values into nothing more than numbers; the
 * delegate owns the policy and the errors.
 * @internal
 * @module
 */
import { constants as osConstants } from 'node:os';
import { closedError, systemError } from '../errors.js';
import type { NativeBinding, NativeHandle } from '../native.js';

export const EAGAIN = -osConstants.errno.EAGAIN;
export const EBADF = -osConstants.errno.EBADF;
export const EPERM = -osConstants.errno.EPERM;
export const EPIPE = -osConstants.errno.EPIPE;
export const EINVAL = -osConstants.errno.EINVAL;
export const ETIMEDOUT = -osConstants.errno.ETIMEDOUT;

/** What a handle reports, each optional. */
export interface HandleDelegate {
  /** nread > 0 with data, 0 at end of stream, < 0 an errno. `extra` carries received fds or an address. */
  onRead?(nread: number, data: Buffer | undefined, extra: unknown): void;
  /** The fd became readable; nothing was read (one-shot, see awaitReadable). */
  onReadable?(): void;
  /** The fd became writable after an EAGAIN (one-shot). */
  onWritable?(): void;
  /** Every peer end is gone (one-shot). */
  onPeerClose?(): void;
}

/** Waiters for the peer to go away. */
interface PeerWaiter {
  resolve(): void;
  reject(err: unknown): void;
}

export class FdHandle {
  readonly binding: NativeBinding;
  readonly mode: number;
  readonly kind: number;
  delegate: HandleDelegate;
  #h: NativeHandle | null;
  #fd: number;
  #peerClosed = false;
  #peerWatchers = 0;
  #peerWaiters: PeerWaiter[] = [];
  /** A short name of the owning type, for error messages ("PipeReader"). */
  readonly what: string;

  /** Takes ownership of `fd`; throws a system error if it is not an open fd. */
  constructor(binding: NativeBinding, fd: number, delegate: HandleDelegate, what: string, mode = 0) {
    this.binding = binding;
    this.delegate = delegate;
    this.what = what;
    const h = binding.handleOpen(fd, mode, this, FdHandle.prototype.event, what);
    if (typeof h === 'number') throw systemError(h, 'fstat');
    this.#h = h;
    this.#fd = fd;
    this.mode = binding.handleMode(h);
    this.kind = binding.handleKind(h);
  }

  /** The fd, or -1 once closed or released. */
  get fd(): number {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#h === null;
  }

  /** The native handle; throws IPCKIT_CLOSED after close. */
  native(method: string): NativeHandle {
    if (this.#h === null) throw closedError(this.what, method);
    return this.#h;
  }

  /** Called by the native core (see NativeEventMethod). */
  event(type: number, a: number, b: unknown, c: unknown): void {
    const b0 = this.binding;
    if (type === b0.EV_READ) {
      this.delegate.onRead?.(a, b as Buffer | undefined, c);
    } else if (type === b0.EV_READABLE) {
      this.delegate.onReadable?.();
    } else if (type === b0.EV_WRITE) {
      this.delegate.onWritable?.();
    } else if (type === b0.EV_PEER) {
      this.#peerClosed = true;
      const waiters = this.#peerWaiters;
      this.#peerWaiters = [];
      for (const w of waiters) w.resolve();
      this.delegate.onPeerClose?.();
    }
  }

  readStart(maxRead: number): number {
    return this.#h === null ? EBADF : this.binding.readStart(this.#h, maxRead);
  }

  readStop(): number {
    return this.#h === null ? 0 : this.binding.readStop(this.#h);
  }

  awaitReadable(): number {
    return this.#h === null ? EBADF : this.binding.awaitReadable(this.#h);
  }

  tryRead(bytes: Uint8Array, offset: number, length: number): number {
    return this.#h === null ? EBADF : this.binding.tryRead(this.#h, bytes, offset, length);
  }

  awaitWritable(): number {
    return this.#h === null ? EBADF : this.binding.awaitWritable(this.#h);
  }

  /** Writes bytes[offset..end), end defaulting to the whole array. */
  write(bytes: Uint8Array, offset: number, end = bytes.length): number {
    return this.#h === null ? EBADF : this.binding.write(this.#h, bytes, offset, end);
  }

  writev(chunks: readonly Uint8Array[], offset: number): number {
    return this.#h === null ? EBADF : this.binding.writev(this.#h, chunks, offset);
  }

  setRef(on: boolean): void {
    if (this.#h !== null) this.binding.setRef(this.#h, on);
  }

  get peerClosed(): boolean {
    return this.#peerClosed;
  }

  /**
   * Starts or stops watching for the peer to go away, counted per listener.
   * Watching keeps the process alive unless the owner called unref().
   */
  watchPeer(on: boolean): void {
    this.#peerWatchers = Math.max(0, this.#peerWatchers + (on ? 1 : -1));
    this.#applyPeerWatch();
  }

  #applyPeerWatch(): void {
    if (this.#h === null || this.#peerClosed) return;
    const r = this.binding.watchPeer(this.#h, this.#peerWaiters.length > 0 || this.#peerWatchers > 0);
    // EPERM: epoll cannot watch this kind of fd (a regular file): there is no
    // peer to go away, and nothing will ever be reported.
    if (r < 0 && r !== EPERM) throw systemError(r, 'epoll_ctl');
  }

  /** Resolves when every peer end is gone; rejects with IPCKIT_CLOSED if this end closes first. */
  whenPeerClosed(method: string, signal?: AbortSignal): Promise<void> {
    if (this.#h === null) return Promise.reject(closedError(this.what, method));
    if (this.#peerClosed) return Promise.resolve();
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        done();
        reject(signal!.reason);
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        const i = this.#peerWaiters.indexOf(waiter);
        if (i >= 0) this.#peerWaiters.splice(i, 1);
        this.#applyPeerWatch();
      };
      const waiter: PeerWaiter = {
        resolve: () => {
          done();
          resolve();
        },
        reject: (err) => {
          done();
          reject(err);
        },
      };
      this.#peerWaiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#applyPeerWatch();
    });
  }

  #settleClosed(method: string): void {
    const waiters = this.#peerWaiters;
    this.#peerWaiters = [];
    for (const w of waiters) w.reject(closedError(this.what, method));
  }

  /** Closes the fd (idempotent). Returns 0 or a negative errno from close(2). */
  close(): number {
    const h = this.#h;
    if (h === null) return 0;
    this.#h = null;
    this.#fd = -1;
    const r = this.binding.close(h);
    this.#settleClosed('close');
    return r;
  }

  /** Stops watching and gives up ownership: returns the fd, still open. */
  release(): number {
    const h = this.native('intoFd');
    this.#h = null;
    this.#fd = -1;
    const fd = this.binding.release(h);
    this.#settleClosed('intoFd');
    return fd;
  }
}
