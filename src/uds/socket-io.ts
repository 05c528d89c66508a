/**
 * Writing to a stream socket, where some chunks carry fds: each such chunk
 * goes out with its own sendmsg so that its fds attach to its first byte,
 * in order with the bytes around it. EAGAIN and short writes are handled
 * here, as for pipes.
 * @internal
 * @module
 */
import { ErrorCode, IpckitError, systemError } from '../errors.js';
import { EAGAIN, type FdHandle } from '../internal/handle.js';
import { askedBytes } from '../internal/stream-io.js';

type WriteCallback = (err?: Error | null) => void;

/** fds to send with a chunk, by chunk identity (see UnixStream.sendFds). */
export const attachedFds = new WeakMap<Uint8Array, Int32Array>();

function sendErr(r: number, h: FdHandle): Error {
  if (r === h.binding.EPARTIAL) return new IpckitError(ErrorCode.PARTIAL_WRITE, 'a message was written only in part');
  return systemError(r, 'sendmsg');
}

export class SocketWriteEngine {
  readonly #h: FdHandle;
  #chunks: Uint8Array[] = [];
  #offset = 0;
  /** The fds of chunks[0] have not gone out yet. */
  #fdsPending = false;
  #cb: WriteCallback | null = null;

  constructor(handle: FdHandle) {
    this.#h = handle;
  }

  get pending(): boolean {
    return this.#cb !== null;
  }

  write(chunks: Uint8Array[], cb: WriteCallback): void {
    this.#chunks = chunks;
    this.#offset = 0;
    this.#fdsPending = chunks.length > 0 && attachedFds.has(chunks[0]!);
    this.#cb = cb;
    this.#flush();
  }

  onWritable(): void {
    if (this.#cb !== null) this.#flush();
  }

  abort(): void {
    this.#chunks = [];
    this.#cb = null;
  }

  #finish(err?: Error): void {
    const cb = this.#cb!;
    this.#cb = null;
    this.#chunks = [];
    cb(err);
  }

  #flush(): void {
    const h = this.#h;
    const b = h.binding;
    for (;;) {
      const chunks = this.#chunks;
      while (chunks.length > 0 && this.#offset >= chunks[0]!.length && !this.#fdsPending) {
        chunks.shift();
        this.#offset = 0;
        this.#fdsPending = chunks.length > 0 && attachedFds.has(chunks[0]!);
      }
      if (chunks.length === 0) return this.#finish();
      let r: number;
      let asked: number;
      if (this.#fdsPending) {
        // This chunk alone, with its fds.
        asked = chunks[0]!.length - this.#offset;
        r = b.udsSend(h.native('write'), [chunks[0]!], this.#offset, attachedFds.get(chunks[0]!), undefined, false);
        if (r >= 0) this.#fdsPending = false;
      } else {
        // Everything up to the next chunk that carries fds.
        let end = 1;
        while (end < chunks.length && !attachedFds.has(chunks[end]!)) end++;
        asked = askedBytes(chunks, end, this.#offset);
        r = end === 1 ? h.write(chunks[0]!, this.#offset) : h.writev(chunks.slice(0, end), this.#offset);
      }
      if (r > 0) {
        this.#advance(r);
        // A short write means the socket buffer is full: another try now
        // would only say EAGAIN.
        if (r >= asked || chunks.length === 0) continue;
        const w = h.awaitWritable();
        if (w < 0) return this.#finish(systemError(w, 'epoll_ctl'));
        return;
      }
      if (r === EAGAIN || r === 0) {
        const w = h.awaitWritable();
        if (w < 0) return this.#finish(systemError(w, 'epoll_ctl'));
        return;
      }
      return this.#finish(sendErr(r, h));
    }
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
      chunks.shift();
      this.#offset = 0;
      this.#fdsPending = chunks.length > 0 && attachedFds.has(chunks[0]!);
      if (this.#fdsPending) return; // a chunk with fds starts a new send
    }
  }
}
