/**
 * The shared-key handshake of local sockets: each side proves it holds the
 * key without sending it, with fresh random challenges, before any
 * application byte flows.
 *
 * | step | direction | bytes |
 * | --- | --- | --- |
 * | 1 | client → server | `"IPK"`, version 1, client nonce (32) |
 * | 2 | server → client | `"IPK"`, version 1, server nonce (32), HMAC-SHA256(key, "ipckit server" ‖ Nc ‖ Ns) |
 * | 3 | client → server | HMAC-SHA256(key, "ipckit client" ‖ Nc ‖ Ns) |
 * | 4 | server → client | one byte, 1: accepted |
 *
 * Both sides compare MACs in constant time, read at most the bytes each step
 * needs (never more than 256 in all), and give up after a timeout. The
 * labels differ by direction, so a MAC cannot be reflected back. A side that
 * fails closes the connection; the client's `connect()` rejects with
 * `IPCKIT_AUTH_FAILED`, and the server never delivers the connection.
 * @module
 * @internal
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { ErrorCode, IpckitError } from '../errors.js';
import { invalidArgument } from '../internal/validate.js';

const MAGIC = Buffer.from([0x49, 0x50, 0x4b, 1]); // "IPK", version 1
const NONCE = 32;
const MAC = 32;
const SERVER_LABEL = Buffer.from('ipckit server');
const CLIENT_LABEL = Buffer.from('ipckit client');
/** The handshake's default deadline, each side. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 5000;

/** @internal Validates an authKey: at least 16 bytes. */
export function resolveAuthKey(value: unknown): Buffer | undefined {
  if (value === undefined) return undefined;
  const key = typeof value === 'string' ? Buffer.from(value, 'utf8') : value instanceof Uint8Array ? Buffer.from(value) : undefined;
  if (key === undefined || key.length < 16) throw invalidArgument('options.authKey', 'a string or Uint8Array of at least 16 bytes', value);
  return key;
}

function mac(key: Buffer, label: Buffer, nc: Buffer, ns: Buffer): Buffer {
  return createHmac('sha256', key).update(label).update(nc).update(ns).digest();
}

function failed(why: string): IpckitError {
  return new IpckitError(ErrorCode.AUTH_FAILED, `authentication failed: ${why}`);
}

/**
 * Reads exactly `n` bytes from a paused stream, leaving anything after them
 * in the stream for the application. Rejects if the stream ends first or the
 * deadline passes.
 */
function readExactly(stream: Duplex, n: number, deadline: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (err: Error | null, value?: Buffer): void => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
      if (timer !== undefined) clearTimeout(timer);
      if (err !== null) reject(err);
      else resolve(value!);
    };
    const onReadable = (): void => {
      const chunk = stream.read(n) as Buffer | null;
      // At the end, read() hands over what is left even if short.
      if (chunk !== null) {
        if (chunk.length === n) done(null, chunk);
        else onEnd();
      }
    };
    const onEnd = (): void => done(failed('the peer closed the connection during the handshake (wrong key, or it does not authenticate)'));
    const onError = (err: Error): void => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ECONNRESET' || code === 'EPIPE') onEnd();
      else done(new IpckitError(ErrorCode.AUTH_FAILED, `authentication failed: ${err.message}`, { cause: err }));
    };
    timer = setTimeout(() => done(new IpckitError(ErrorCode.TIMEOUT, `the authentication handshake did not complete in time`)), Math.max(0, deadline - performance.now()));
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onError);
    onReadable();
  });
}

function write(stream: Duplex, bytes: Buffer): void {
  stream.write(bytes);
}

/** The client's side; resolves once the server accepted, rejects (AUTH_FAILED, TIMEOUT) otherwise. */
export async function authenticateClient(stream: Duplex, key: Buffer, timeout: number): Promise<void> {
  const deadline = performance.now() + timeout;
  const nc = randomBytes(NONCE);
  write(stream, Buffer.concat([MAGIC, nc]));
  const reply = await readExactly(stream, MAGIC.length + NONCE + MAC, deadline);
  if (!reply.subarray(0, MAGIC.length).equals(MAGIC)) throw failed('the server does not speak the ipckit handshake');
  const ns = reply.subarray(MAGIC.length, MAGIC.length + NONCE);
  const theirs = reply.subarray(MAGIC.length + NONCE);
  if (!timingSafeEqual(theirs, mac(key, SERVER_LABEL, nc, ns))) throw failed('the server does not hold the key');
  write(stream, mac(key, CLIENT_LABEL, nc, ns));
  const ok = await readExactly(stream, 1, deadline);
  if (ok[0] !== 1) throw failed('the server refused');
}

/** The server's side; resolves once the client proved it holds the key. */
export async function authenticateServer(stream: Duplex, key: Buffer, timeout: number): Promise<void> {
  const deadline = performance.now() + timeout;
  const hello = await readExactly(stream, MAGIC.length + NONCE, deadline);
  if (!hello.subarray(0, MAGIC.length).equals(MAGIC)) throw failed('the client does not speak the ipckit handshake');
  const nc = hello.subarray(MAGIC.length);
  const ns = randomBytes(NONCE);
  write(stream, Buffer.concat([MAGIC, ns, mac(key, SERVER_LABEL, nc, ns)]));
  const theirs = await readExactly(stream, MAC, deadline);
  if (!timingSafeEqual(theirs, mac(key, CLIENT_LABEL, nc, ns))) throw failed('the client does not hold the key');
  write(stream, Buffer.from([1]));
}
