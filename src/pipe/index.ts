/**
 * # Pipes
 *
 * A pipe is a one-way byte stream with a read end and a write end, created
 * by the kernel and usually shared with a child process. `pipe()` gives both
 * ends as Node streams over real pipe fds, so they can go straight into
 * `child_process.spawn`'s `stdio`, be read and written on the event loop, or
 * be used synchronously.
 *
 * ## Two classic deadlocks
 *
 * 1. **The forgotten writer.** A read waits for input as long as *any* write
 *    end is open, including one this process still holds after giving a copy
 *    to a child. If you forget to close it, the reader never sees the end.
 *    ipckit's {@link spawn} closes the parent's copies once the child has
 *    them; with `child_process.spawn`, call `writer.close()` right after.
 *    Every ipckit fd is close-on-exec, so unrelated children never hold a
 *    copy by accident.
 * 2. **The full buffer.** A pipe holds a fixed amount (64 KiB by default on
 *    Linux; ipckit asks for 1 MiB). Once full, writes wait for a reader. If
 *    the reader is waiting for something the writer does after writing (its
 *    exit, a reply), both wait forever. Read and write concurrently; never
 *    `await` a child's exit before draining its output.
 *
 * ## When not to use pipes
 *
 * For request/response between two processes, use a duplex channel or a
 * local socket: a pipe carries bytes one way only. For many unrelated
 * clients, use a local socket listener. To carry typed values, use a channel
 * (built on these pipes).
 *
 * ## Platform notes
 *
 * - Linux: pipes are created with `pipe2(O_CLOEXEC)`; reads and writes use
 *   `RWF_NOWAIT` per call, so the open file description keeps its blocking
 *   mode and a child given the same pipe sees an ordinary blocking fd.
 *   Capacity can be read and set (`F_GETPIPE_SZ`, `F_SETPIPE_SZ`).
 * - Kernels without `RWF_NOWAIT` on pipes, and macOS: the descriptions are
 *   `O_NONBLOCK`. macOS has no `pipe2`; close-on-exec is set right after
 *   `pipe()`. Capacity cannot be set there. (Untested: only Linux is tested.)
 * - Windows: unsupported (`IPCKIT_UNSUPPORTED_PLATFORM`).
 *
 * @module
 */
import { ErrorCode, IpckitError, systemError } from '../errors.js';
import { validateInteger, validateOptions } from '../internal/validate.js';
import { native } from '../native.js';
import { DEFAULT_PIPE_CAPACITY, fromOwnFd } from './end.js';
import { PipeReader, type PipeReaderOptions } from './reader.js';
import { PipeWriter, type PipeWriterOptions } from './writer.js';

export { PipeReader, type PipeReaderOptions, type ReadSyncOptions } from './reader.js';
export { PipeWriter, type PipeWriterOptions, type WriteSyncOptions } from './writer.js';
export { spawn, type SpawnStdio, type SpawnWithChannelsOptions } from './spawn.js';
export { DEFAULT_PIPE_CAPACITY };

/** Options of {@link pipe}. */
export interface PipeOptions {
  /**
   * Pipe capacity in bytes (Linux). The kernel rounds it up to a
   * power-of-two number of pages. `0` keeps the kernel's default (64 KiB).
   *
   * The default, 1 MiB, is the largest an unprivileged process may ask for
   * (`/proc/sys/fs/pipe-max-size`). A 64 KiB pipe between two processes on
   * different CPUs fills after every chunk and costs a cross-CPU wake-up
   * each time, which holds even C to about 1 GB/s; 1 MiB lets the two sides
   * run in parallel (about 3 GB/s). Memory is only used for bytes actually
   * in the pipe. When the default cannot be applied (the user is past
   * `pipe-user-pages-soft`), the pipe keeps the kernel's size; an explicit
   * `capacity` that cannot be applied throws instead.
   * @default 1048576
   */
  readonly capacity?: number;
  /** Options for the read end. */
  readonly reader?: PipeReaderOptions;
  /** Options for the write end. */
  readonly writer?: PipeWriterOptions;
}

/** Both ends of a new pipe. */
export interface Pipe {
  readonly reader: PipeReader;
  readonly writer: PipeWriter;
}

function requireUnix(fn: string): void {
  if (process.platform === 'win32') {
    throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, `${fn}: anonymous pipes are not supported on Windows`);
  }
}

/**
 * Creates a pipe. Both ends are close-on-exec from the first instant, so
 * only the children you hand an end to (through `stdio`) ever get one.
 *
 * ```ts
 * const { reader, writer } = pipe();
 * writer.end('hello');
 * for await (const chunk of reader) console.log(String(chunk));
 * ```
 *
 * Errors: `EMFILE`/`ENFILE` when out of fds; `EPERM`/`EINVAL` for an
 * explicit `capacity` the kernel refuses; `IPCKIT_UNSUPPORTED_PLATFORM` on
 * Windows or for `capacity` off Linux.
 */
export function pipe(options?: PipeOptions): Pipe {
  requireUnix('pipe()');
  const opts = validateOptions<PipeOptions>(options);
  const explicit = opts.capacity !== undefined;
  const capacity = explicit ? validateInteger(opts.capacity, 'options.capacity', 0, 0x7fffffff) : DEFAULT_PIPE_CAPACITY;
  if (explicit && capacity > 0 && process.platform !== 'linux') {
    throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, 'pipe(): options.capacity is only supported on Linux');
  }
  const b = native();
  const fds = new Int32Array(2);
  const r = b.pipe(fds);
  if (r < 0) throw systemError(r, 'pipe2');
  const [rfd, wfd] = [fds[0]!, fds[1]!];
  if (capacity > 0 && process.platform === 'linux') {
    const c = b.setPipeCapacity(wfd, capacity);
    if (c < 0 && explicit) {
      b.closeFd(rfd);
      b.closeFd(wfd);
      throw systemError(c, 'fcntl');
    }
  }
  let reader: PipeReader;
  try {
    reader = fromOwnFd(() => new PipeReader(rfd, opts.reader));
  } catch (err) {
    b.closeFd(rfd);
    b.closeFd(wfd);
    throw err;
  }
  try {
    return { reader, writer: fromOwnFd(() => new PipeWriter(wfd, opts.writer)) };
  } catch (err) {
    reader.close();
    b.closeFd(wfd);
    throw err;
  }
}

function dupStd(fd: number, fn: string): number {
  requireUnix(fn);
  const b = native();
  const r = b.dupCloexec(fd, 3);
  if (r < 0) throw systemError(r, 'fcntl');
  return r;
}

/**
 * A new reader on this process's standard input (dup(2) of fd 0,
 * close-on-exec). Closing it leaves fd 0 open. Works whether stdin is a
 * pipe, a terminal, a socket or a file.
 */
export function dupStdin(options?: PipeReaderOptions): PipeReader {
  const fd = dupStd(0, 'dupStdin()');
  try {
    return fromOwnFd(() => new PipeReader(fd, options));
  } catch (err) {
    native().closeFd(fd);
    throw err;
  }
}

/** A new writer on this process's standard output (dup(2) of fd 1). See {@link dupStdin}. */
export function dupStdout(options?: PipeWriterOptions): PipeWriter {
  const fd = dupStd(1, 'dupStdout()');
  try {
    return fromOwnFd(() => new PipeWriter(fd, options));
  } catch (err) {
    native().closeFd(fd);
    throw err;
  }
}

/** A new writer on this process's standard error (dup(2) of fd 2). See {@link dupStdin}. */
export function dupStderr(options?: PipeWriterOptions): PipeWriter {
  const fd = dupStd(2, 'dupStderr()');
  try {
    return fromOwnFd(() => new PipeWriter(fd, options));
  } catch (err) {
    native().closeFd(fd);
    throw err;
  }
}
