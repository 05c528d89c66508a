/**
 * Unix socket addresses: a file-system path, or (Linux) an abstract name.
 * @module
 */
import { ErrorCode, IpckitError } from '../errors.js';
import { invalidArgument } from '../internal/validate.js';
import { native } from '../native.js';

/**
 * Where a Unix socket lives:
 * - a string or `{ path }`: a file-system path (at most 107 bytes on Linux,
 *   103 on macOS; longer is `IPCKIT_PATH_TOO_LONG`, never truncated);
 * - `{ abstract }` (Linux): a name in the abstract namespace, which has no
 *   file and no permissions (anyone in the same network namespace can
 *   connect: check peer credentials). At most 107 bytes; any bytes allowed.
 */
export type UnixAddress = string | { readonly path: string } | { readonly abstract: string | Uint8Array };

/** An address as reported back (`localAddress`, `remoteAddress`, a datagram's sender). */
export type UnixAddressInfo = { readonly path: string } | { readonly abstract: string };

/** @internal An address ready for the native core. */
export interface ResolvedAddress {
  readonly bytes: Buffer;
  readonly abstract: boolean;
  readonly display: string;
  /** The file-system path, if any. */
  readonly path: string | undefined;
}

/** @internal */
export function resolveAddress(value: unknown, name = 'address'): ResolvedAddress {
  let bytes: Buffer;
  let abstract = false;
  let path: string | undefined;
  if (typeof value === 'string' || (typeof value === 'object' && value !== null && typeof (value as { path?: unknown }).path === 'string')) {
    path = typeof value === 'string' ? value : (value as { path: string }).path;
    if (path === '' || path.includes('\0')) throw invalidArgument(name, 'a non-empty path without NUL bytes', value);
    bytes = Buffer.from(path, 'utf8');
  } else if (typeof value === 'object' && value !== null && 'abstract' in value) {
    const a = (value as { abstract: unknown }).abstract;
    if (typeof a === 'string') bytes = Buffer.from(a, 'utf8');
    else if (a instanceof Uint8Array) bytes = Buffer.from(a);
    else throw invalidArgument(`${name}.abstract`, 'a string or a Uint8Array', a);
    if (bytes.length === 0) throw invalidArgument(`${name}.abstract`, 'a non-empty name', a);
    if (process.platform !== 'linux') {
      throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, 'abstract socket names exist only on Linux; use a path');
    }
    abstract = true;
  } else {
    throw invalidArgument(name, 'a path, { path }, or { abstract }', value);
  }
  const max = native().SUN_PATH_MAX;
  if (bytes.length > max) {
    throw new IpckitError(
      ErrorCode.PATH_TOO_LONG,
      `${abstract ? 'abstract name' : 'path'} of ${bytes.length} bytes does not fit a Unix socket address (at most ${max} bytes here); nothing was created. Use a shorter ${abstract ? 'name' : 'path, e.g. in a short directory'}`,
    );
  }
  return { bytes, abstract, path, display: abstract ? `@${bytes.toString('utf8')}` : path! };
}

/** @internal The native [name, abstract] pair as the public shape. */
export function addressInfo(pair: [Buffer, boolean] | undefined | number): UnixAddressInfo | undefined {
  if (pair === undefined || typeof pair === 'number') return undefined;
  const [bytes, abstract] = pair;
  if (!abstract && bytes.length === 0) return undefined;
  return abstract ? { abstract: bytes.toString('utf8') } : { path: bytes.toString('utf8') };
}
