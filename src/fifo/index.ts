/**
 * # FIFOs
 *
 * A FIFO ("named pipe" on Unix) is a pipe with a name in the file system:
 * unrelated processes open the same path, one to read and one to write.
 * `createFifo` makes one; `openFifo` opens it and returns the same
 * `PipeReader`/`PipeWriter` as `pipe()`.
 *
 * Opening a FIFO normally blocks (a reader until a writer comes, a writer
 * until a reader does), and in Node that ties up a threadpool thread, or the
 * whole event loop with `fs.openSync`. `openFifo` never blocks: a reader
 * opens at once, and a writer waits for a reader on the event loop.
 *
 * ## When not to use a FIFO
 *
 * Prefer a pipe between a parent and its child, and a local socket for a
 * server with clients: a FIFO has one shared stream for all its writers and
 * readers, no way to tell writers apart, and a path that outlives crashes.
 * Use one to talk to programs that expect a FIFO, or for fire-and-forget
 * records from many writers (see `PipeWriter.writeRecord`).
 *
 * ## Safety
 *
 * - `openFifo` opens with `O_NOFOLLOW` (a symlink is refused with `ELOOP`)
 *   and checks the opened fd, not the path: anything but a FIFO is refused
 *   with `IPCKIT_NOT_FIFO`, a FIFO owned by another user with
 *   `IPCKIT_FOREIGN_OWNER` (unless allowed).
 * - `createFifo` gives exactly the mode asked (0600 by default) whatever
 *   the umask, without ever changing the mode through the path.
 * - A reader that opens before any writer does not see the end of the
 *   stream until a writer has come and gone.
 *
 * ## Platform notes
 *
 * Linux tested; macOS built, untested; Windows unsupported
 * (`IPCKIT_UNSUPPORTED_PLATFORM`; Windows "named pipes" are local sockets).
 *
 * @module
 */
import { ErrorCode, IpckitError, systemError } from '../errors.js';
import { invalidArgument, validateInteger, validateOptions, validateSignal, validateTimeout } from '../internal/validate.js';
import { native } from '../native.js';
import { fromOwnFd } from '../pipe/end.js';
import { PipeReader, type PipeReaderOptions } from '../pipe/reader.js';
import { PipeWriter, type PipeWriterOptions } from '../pipe/writer.js';

/** Options of {@link createFifo}. */
export interface CreateFifoOptions {
  /** Permission bits, exact whatever the umask. @default 0o600 */
  readonly mode?: number;
}

/** Options of {@link openFifo}. */
export interface OpenFifoOptions {
  /** Gives up waiting (a writer waiting for a reader) when aborted. */
  readonly signal?: AbortSignal;
  /** Milliseconds a writer waits for a reader before `IPCKIT_TIMEOUT`. Default: forever. */
  readonly timeout?: number;
  /** Open a FIFO that belongs to another user. @default false */
  readonly allowForeignOwner?: boolean;
  /** Options for the returned reader or writer. */
  readonly stream?: PipeReaderOptions & PipeWriterOptions;
}

function requireUnix(fn: string): void {
  if (process.platform === 'win32') {
    throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, `${fn}: FIFOs do not exist on Windows; use a local socket`);
  }
}

function validatePath(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.includes('\0')) {
    throw invalidArgument('path', 'a non-empty string without NUL bytes', value);
  }
  return value;
}

/**
 * Creates a FIFO at `path` with exactly `options.mode` (default 0o600).
 * Errors: `EEXIST` if anything exists there, `ENOENT`/`EACCES` for the
 * directory, as `fs` would report them.
 */
export function createFifo(path: string, options?: CreateFifoOptions): void {
  requireUnix('createFifo()');
  const p = validatePath(path);
  const opts = validateOptions<CreateFifoOptions>(options);
  const mode = opts.mode === undefined ? 0o600 : validateInteger(opts.mode, 'options.mode', 0, 0o7777);
  const r = native().fifoCreate(p, mode);
  if (r === native().ENOTFIFO) throw new IpckitError(ErrorCode.NOT_FIFO, `createFifo(): ${p} was replaced by something that is not a FIFO`);
  if (r < 0) throw systemError(r, 'mkfifo', p);
}

const ENXIO = -6;

/**
 * Opens a FIFO for reading (`'r'`) or writing (`'w'`) without blocking the
 * event loop or a threadpool thread.
 *
 * - `'r'` resolves at once, with a `PipeReader`. It ends once a writer has
 *   come and every writer has gone.
 * - `'w'` resolves once some process has the FIFO open for reading, with a
 *   `PipeWriter`: it retries on timers (a few ms apart at first, at most
 *   50 ms) until then, or `timeout` (`IPCKIT_TIMEOUT`), or `signal`.
 *
 * Errors: `ELOOP` (a symlink), `ENOENT`, `EACCES`; `IPCKIT_NOT_FIFO`;
 * `IPCKIT_FOREIGN_OWNER`.
 */
export async function openFifo(path: string, flags: 'r', options?: OpenFifoOptions): Promise<PipeReader>;
export async function openFifo(path: string, flags: 'w', options?: OpenFifoOptions): Promise<PipeWriter>;
export async function openFifo(path: string, flags: 'r' | 'w', options?: OpenFifoOptions): Promise<PipeReader | PipeWriter> {
  requireUnix('openFifo()');
  const p = validatePath(path);
  if (flags !== 'r' && flags !== 'w') throw invalidArgument('flags', "'r' or 'w'", flags);
  const opts = validateOptions<OpenFifoOptions>(options);
  const signal = validateSignal(opts.signal, 'options.signal');
  const timeout = validateTimeout(opts.timeout, 'options.timeout');
  const b = native();
  const owner = new Float64Array(1);
  const deadline = timeout >= 0 ? performance.now() + timeout : Infinity;
  let delay = 1;
  for (;;) {
    signal?.throwIfAborted();
    const fd = b.fifoOpen(p, flags === 'w', owner);
    if (fd >= 0) {
      const uid = process.geteuid?.();
      if (!opts.allowForeignOwner && uid !== undefined && owner[0] !== uid) {
        b.closeFd(fd);
        throw new IpckitError(ErrorCode.FOREIGN_OWNER, `openFifo(): ${p} belongs to uid ${owner[0]}, not to this process's uid ${uid}; pass allowForeignOwner: true to open it anyway`);
      }
      try {
        return flags === 'r' ? fromOwnFd(() => new PipeReader(fd, opts.stream)) : fromOwnFd(() => new PipeWriter(fd, opts.stream));
      } catch (err) {
        b.closeFd(fd);
        throw err;
      }
    }
    if (fd === b.ENOTFIFO) throw new IpckitError(ErrorCode.NOT_FIFO, `openFifo(): ${p} is not a FIFO`);
    if (fd !== ENXIO) throw systemError(fd, 'open', p);
    // A writer with no reader yet: wait on a timer, never on a thread.
    if (performance.now() >= deadline) throw new IpckitError(ErrorCode.TIMEOUT, `openFifo(): no reader opened ${p} within ${timeout} ms`);
    const wait = Math.min(delay, Math.max(0, deadline - performance.now()));
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    delay = Math.min(50, delay * 2);
  }
}
