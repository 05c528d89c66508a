/**
 * Writing to a stream socket, where some chunks carry fds: each such chunk
 * goes out with its own sendmsg so that its fds attach to its first byte,
 * in order with the bytes around it. EAGAIN and short writes are handled
 * by the shared engine, as for pipes.
 * @internal
 * @module
 */
import { ErrorCode, IpckitError, systemError } from '../errors.js';
import type { FdHandle } from '../internal/handle.js';
import { StreamWriteEngine } from '../internal/stream-io.js';

/** fds to send with a chunk, by chunk identity (see UnixStream.sendFds). */
export const attachedFds = new WeakMap<Uint8Array, Int32Array>();

/** The write engine of stream sockets: chunks with fds in `attachedFds` go out with them. */
export class SocketWriteEngine extends StreamWriteEngine {
  constructor(h: FdHandle) {
    super(h, 'sendmsg', {
      fdsOf: (chunk) => attachedFds.get(chunk),
      send: (chunk, offset, fds) => h.binding.udsSend(h.native('write'), [chunk], offset, fds, undefined, false),
      error: (r) =>
        r === h.binding.EPARTIAL ? new IpckitError(ErrorCode.PARTIAL_WRITE, 'a message was written only in part') : systemError(r, 'sendmsg'),
    });
  }
}
