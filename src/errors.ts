/**
 * Errors raised by ipckit.
 *
 * Two families, never mixed:
 *
 * - **Operating-system errors** are shaped like Node's own (`fs`, `net`): an
 *   `Error` with `code` (`'EPIPE'`), negative `errno`, `syscall` and, where a
 *   path is involved, `path`; the message reads `"EPIPE: broken pipe, write"`.
 *   Code that already handles Node's errors handles these.
 * - **Library errors** are {@link IpckitError}s with a stable `code` starting
 *   with `IPCKIT_`. Match on `code`, not on the message. Every code is listed
 *   in {@link ErrorCode} and in docs/errors.md.
 *
 * @module
 */
import { getSystemErrorMap } from 'node:util';

/** Every library error code, with the condition it names. */
export const ErrorCode = {
  /** A method was called on an object after `close()` (or after it ended and released its fd). */
  CLOSED: 'IPCKIT_CLOSED',
  /** An argument has the wrong type or is out of range. */
  INVALID_ARGUMENT: 'IPCKIT_INVALID_ARGUMENT',
  /** The primitive or option does not exist on this operating system. */
  UNSUPPORTED_PLATFORM: 'IPCKIT_UNSUPPORTED_PLATFORM',
  /** A synchronous call would reorder data already queued by the stream API. */
  BUSY: 'IPCKIT_BUSY',
  /** A deadline given as `timeout` passed. */
  TIMEOUT: 'IPCKIT_TIMEOUT',
  /** The native core could not be loaded (not built, or built for another Node ABI). */
  NATIVE_LOAD_FAILED: 'IPCKIT_NATIVE_LOAD_FAILED',
  /** A channel's other side is gone: every sender closed (receiving), or the receiver (sending). */
  CHANNEL_CLOSED: 'IPCKIT_CHANNEL_CLOSED',
  /** A message is larger than `maxMessageSize` (checked on the sender before any byte is written, and from the header on the receiver). */
  MESSAGE_TOO_LARGE: 'IPCKIT_MESSAGE_TOO_LARGE',
  /** The stream ended in the middle of a frame: the rest of that message never came. */
  INCOMPLETE_MESSAGE: 'IPCKIT_INCOMPLETE_MESSAGE',
  /** The codec could not decode a received message; the channel closes. */
  DECODE_FAILED: 'IPCKIT_DECODE_FAILED',
  /** The codec could not encode a value to send; nothing was sent. */
  ENCODE_FAILED: 'IPCKIT_ENCODE_FAILED',
  /** A received value failed the channel's `validate` check; the channel closes. */
  VALIDATION_FAILED: 'IPCKIT_VALIDATION_FAILED',
  /** The byte stream is not a valid frame stream (corrupt, interleaved, or from another program). */
  PROTOCOL: 'IPCKIT_PROTOCOL',
  /** A path does not fit a Unix socket address (sun_path); nothing was created. */
  PATH_TOO_LONG: 'IPCKIT_PATH_TOO_LONG',
  /** A path given as a FIFO is something else (nothing was opened). */
  NOT_FIFO: 'IPCKIT_NOT_FIFO',
  /** A FIFO (or socket file) belongs to another user and was not opened. */
  FOREIGN_OWNER: 'IPCKIT_FOREIGN_OWNER',
  /** A message carried more fds than allowed; it was dropped and every fd in it closed. */
  TOO_MANY_FDS: 'IPCKIT_TOO_MANY_FDS',
  /** The kernel truncated the fds of a message (MSG_CTRUNC); it was dropped and every fd that arrived closed. */
  FDS_TRUNCATED: 'IPCKIT_FDS_TRUNCATED',
  /** A datagram or record was written only in part (it is not delivered whole). */
  PARTIAL_WRITE: 'IPCKIT_PARTIAL_WRITE',
  /** The other end of a connection has closed. */
  PEER_CLOSED: 'IPCKIT_PEER_CLOSED',
  /** A socket directory or path is unsafe (another user's, writable by others, a symlink); nothing was created or removed. */
  INSECURE_PATH: 'IPCKIT_INSECURE_PATH',
  /** The process at the other end is not the one expected (`expectServerUid`); no byte was sent. */
  PEER_REJECTED: 'IPCKIT_PEER_REJECTED',
  /** The shared-key handshake failed: the peer does not hold the key, or spoke something else. */
  AUTH_FAILED: 'IPCKIT_AUTH_FAILED',
} as const;

/** A library error code: one of the values of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const brand = Symbol.for('ipckit.error');

/**
 * The base class of every library error. `code` is stable across releases;
 * `cause` keeps the underlying error (an OS error, a codec exception) when
 * there is one. `instanceof` works across two loaded copies of ipckit.
 */
export class IpckitError extends Error {
  /** Stable machine-readable code, e.g. `'IPCKIT_CLOSED'`. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, brand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== IpckitError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}
Object.defineProperty(IpckitError.prototype, 'name', { value: 'IpckitError', enumerable: false });

/** An operating-system error, shaped like the ones Node's `fs` and `net` raise. */
export interface SystemError extends Error {
  /** The errno name, e.g. `'EPIPE'`. */
  code: string;
  /** The negative errno number, as in Node (`-32` for EPIPE on Linux). */
  errno: number;
  /** The system call that failed, e.g. `'write'`. */
  syscall: string;
  /** The file-system path involved, when there is one. */
  path?: string;
}

let errorMap: Map<number, [string, string]> | undefined;

/** Name and description for a negative errno, e.g. `-32` → `['EPIPE', 'broken pipe']`. */
export function errnoInfo(errno: number): [string, string] {
  errorMap ??= getSystemErrorMap();
  return errorMap.get(errno) ?? [`Unknown system error ${errno}`, `unknown error ${errno}`];
}

/**
 * Builds a Node-shaped OS error from a negative errno returned by the native
 * core. `extra` adds fields such as `cause` without changing the shape.
 */
export function systemError(errno: number, syscall: string, path?: string): SystemError {
  const [code, description] = errnoInfo(errno);
  const message = `${code}: ${description}, ${syscall}${path === undefined ? '' : ` '${path}'`}`;
  const err = new Error(message) as SystemError;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  Error.captureStackTrace(err, systemError);
  return err;
}

/** True for a Node-shaped OS error with the given code (e.g. `'EPIPE'`). */
export function isSystemError(value: unknown, code?: string): value is SystemError {
  return (
    value instanceof Error &&
    typeof (value as SystemError).errno === 'number' &&
    typeof (value as SystemError).syscall === 'string' &&
    (code === undefined || (value as SystemError).code === code)
  );
}

/** @internal The error every method throws after close. */
export function closedError(what: string, method: string): IpckitError {
  return new IpckitError(
    ErrorCode.CLOSED,
    `${what}.${method}() was called after the ${what} was closed; create a new one instead`,
  );
}
