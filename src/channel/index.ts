/**
 * # Channels
 *
 * A channel carries typed values from one process to another over a pipe:
 * `channel<T>()` gives a `Sender<T>` and a `Receiver<T>`. Values are encoded
 * by a codec (JSON by default), framed with a length prefix, and decoded and
 * optionally validated on arrival. The ends go to child processes through
 * `spawn`'s stdio (or by name with ipckit's `spawn({ channels })`), and the
 * child rebuilds its end from the fd.
 *
 * Compared with Node's child-process IPC: typed ends, any number of
 * channels per child (not only parent and child), real backpressure, size
 * limits checked before allocation, validation, a blocking API for workers
 * and CLIs, and several times the throughput (see bench/RESULTS.md).
 *
 * ## When not to use a channel
 *
 * - Bytes with no message boundaries (a file, a log): use a pipe.
 * - Many unrelated clients: use a local socket with the same framing.
 * - Threads of one process: `worker_threads` message ports share memory.
 *
 * ## Gotchas
 *
 * - A sender's fd written by two processes would interleave frames larger
 *   than PIPE_BUF. Hand a sender off (ipckit's `spawn` closes the parent's
 *   copy), or make it `shared: true`, which writes each message atomically
 *   and refuses messages above PIPE_BUF - 8 bytes.
 * - `send()` resolves when a message is queued, not when it is received.
 *   `await sender.close()` before exiting, or queued messages are lost (a
 *   line on stderr says so).
 * - Both ends must agree on the codec and `maxMessageSize`.
 * - `recvSync()` blocks the whole thread. A `send()` from that same thread
 *   is written on the next tick, so it cannot arrive while `recvSync()`
 *   waits: synchronous code sends with `sendSync()`.
 *
 * ## Platform notes
 *
 * As for pipes: Linux tested; macOS built, untested; Windows unsupported.
 *
 * @module
 */
import { ErrorCode, IpckitError, systemError } from '../errors.js';
import { kHandOff } from '../internal/handoff.js';
import { invalidArgument, validateInteger, validateOptions } from '../internal/validate.js';
import { native } from '../native.js';
import { DEFAULT_PIPE_CAPACITY, fromOwnFd } from '../pipe/end.js';
import { Receiver, type RecvManyOptions, type RecvOptions } from './receiver.js';
import { resolveOptions, type ChannelOptions } from './options.js';
import { Sender, type SenderCloseOptions, type SendSyncOptions } from './sender.js';
import type { StandardSchemaV1 } from './schema.js';

export { Receiver, isChannelEnd, type RecvManyOptions, type RecvOptions } from './receiver.js';
export { Sender, type SenderCloseOptions, type SendSyncOptions } from './sender.js';
export type { Codec, CodecName } from './codec.js';
export type { StandardSchemaV1, ValidateOption, Validator, ValidationError } from './schema.js';
export { DEFAULT_HIGH_WATER_MARK, type ChannelOptions } from './options.js';
export { DEFAULT_MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE_CAP } from './frame.js';

/** Options of {@link channel}: those of its ends, and the pipe's capacity. */
export interface PipeChannelOptions<T> extends ChannelOptions<T> {
  /** Capacity of the underlying pipe in bytes (Linux), as for `pipe()`. @default 1048576 */
  readonly capacity?: number;
}

/** The output type of a Standard Schema. */
export type InferOutput<S> = S extends StandardSchemaV1<unknown, infer O> ? O : never;

function makePipe(capacity: unknown): [number, number] {
  if (process.platform === 'win32') {
    throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, 'channel(): channels run over pipes, which are not supported on Windows');
  }
  const explicit = capacity !== undefined;
  const cap = explicit ? validateInteger(capacity, 'options.capacity', 0, 0x7fffffff) : DEFAULT_PIPE_CAPACITY;
  const b = native();
  const fds = new Int32Array(2);
  const r = b.pipe(fds);
  if (r < 0) throw systemError(r, 'pipe2');
  if (cap > 0 && process.platform === 'linux') {
    const c = b.setPipeCapacity(fds[1]!, cap);
    if (c < 0 && explicit) {
      b.closeFd(fds[0]!);
      b.closeFd(fds[1]!);
      throw systemError(c, 'fcntl');
    }
  }
  return [fds[0]!, fds[1]!];
}

/**
 * Creates a channel over a new pipe: `[sender, receiver]`.
 *
 * ```ts
 * const [tx, rx] = channel<{ id: number }>();
 * await tx.send({ id: 1 });
 * await tx.close();
 * for await (const msg of rx) console.log(msg.id);
 * ```
 */
export function channel(options: PipeChannelOptions<Uint8Array> & { readonly codec: 'bytes' }): [Sender<Uint8Array>, Receiver<Uint8Array>];
export function channel<S extends StandardSchemaV1>(options: PipeChannelOptions<InferOutput<S>> & { readonly validate: S }): [Sender<InferOutput<S>>, Receiver<InferOutput<S>>];
export function channel<T = unknown>(options?: PipeChannelOptions<T>): [Sender<T>, Receiver<T>];
export function channel<T = unknown>(options?: PipeChannelOptions<T>): [Sender<T>, Receiver<T>] {
  const opts = validateOptions<PipeChannelOptions<T>>(options);
  const cfg = resolveOptions<T>(opts);
  const b = native();
  const [rfd, wfd] = makePipe(opts.capacity);
  let rx: Receiver<T>;
  try {
    rx = fromOwnFd(() => Receiver.create<T>(b, rfd, cfg.receiver));
  } catch (err) {
    b.closeFd(rfd);
    b.closeFd(wfd);
    throw err;
  }
  try {
    return [fromOwnFd(() => Sender.create<T>(b, wfd, cfg.sender)), rx];
  } catch (err) {
    rx.close();
    b.closeFd(wfd);
    throw err;
  }
}

/**
 * One end of a duplex channel: sends `Out`, receives `In`, over two pipes.
 * For request/response between two processes.
 */
export class DuplexEnd<Out = unknown, In = Out> implements AsyncDisposable {
  /** The sending half. */
  readonly sender: Sender<Out>;
  /** The receiving half. */
  readonly receiver: Receiver<In>;

  /** @internal */
  constructor(sender: Sender<Out>, receiver: Receiver<In>) {
    this.sender = sender;
    this.receiver = receiver;
  }

  /**
   * Rebuilds an end from the two fds of the other process's end
   * (`[readFd, writeFd]`, as in {@link DuplexEnd.fds}).
   */
  static fromFds<Out = unknown, In = Out>(fds: readonly [number, number], options?: ChannelOptions<In | Out>): DuplexEnd<Out, In> {
    if (!Array.isArray(fds) || fds.length !== 2) throw invalidArgument('fds', 'an array [readFd, writeFd]', fds);
    const rx = Receiver.fromFd<In>(fds[0], options as ChannelOptions<In>);
    try {
      return new DuplexEnd(Sender.fromFd<Out>(fds[1], options as ChannelOptions<Out>), rx);
    } catch (err) {
      rx.close();
      throw err;
    }
  }

  /** `[readFd, writeFd]`: what a child needs to rebuild this end. */
  get fds(): [number, number] {
    return [this.receiver.fd, this.sender.fd];
  }

  /** Sends on the sending half (see `Sender.send`). */
  send(value: Out): Promise<void> {
    return this.sender.send(value);
  }

  /** Sends synchronously (see `Sender.sendSync`). */
  sendSync(value: Out, options?: SendSyncOptions): void {
    this.sender.sendSync(value, options);
  }

  /** The next value from the receiving half (see `Receiver.recv`). */
  recv(options?: RecvOptions): Promise<In> {
    return this.receiver.recv(options);
  }

  /** The next value, blocking the thread (see `Receiver.recvSync`). */
  recvSync(options?: { readonly timeout?: number }): In {
    return this.receiver.recvSync(options);
  }

  /** A value already received, or undefined (see `Receiver.tryRecv`). */
  tryRecv(): In | undefined {
    return this.receiver.tryRecv();
  }

  /** Every value already received, waiting for at least one (see `Receiver.recvMany`). */
  recvMany(options?: RecvManyOptions): Promise<In[]> {
    return this.receiver.recvMany(options);
  }

  /** Sends `value` and waits for the next value received: one round trip. */
  async request(value: Out, options?: RecvOptions): Promise<In> {
    await this.sender.send(value);
    return this.receiver.recv(options);
  }

  [Symbol.asyncIterator](): AsyncIterator<In> {
    return this.receiver[Symbol.asyncIterator]();
  }

  /** Flushes and closes the sending half, and closes the receiving half. */
  async close(options?: SenderCloseOptions): Promise<void> {
    this.receiver.close();
    await this.sender.close(options);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal ipckit's spawn() handed this end to a child. */
  [kHandOff](): void {
    void this.close();
  }
}

/**
 * Creates a duplex channel over two pipes: two ends, each sending to and
 * receiving from the other. Keep one, give the other's `fds` to a child.
 *
 * ```ts
 * const [parent, child] = duplexChannel<Request, Response>();
 * ```
 */
export function duplexChannel<A = unknown, B = A>(options?: PipeChannelOptions<A | B>): [DuplexEnd<A, B>, DuplexEnd<B, A>] {
  const [aToB, bFromA] = channel<A>(options as PipeChannelOptions<A>);
  try {
    const [bToA, aFromB] = channel<B>(options as PipeChannelOptions<B>);
    return [new DuplexEnd(aToB, aFromB), new DuplexEnd(bToA, bFromA)];
  } catch (err) {
    void aToB.close();
    bFromA.close();
    throw err;
  }
}

import { CHANNELS_ENV } from '../internal/handoff.js';
export { CHANNELS_ENV };

function parentFds(name: string, count: 1 | 2): number[] {
  if (typeof name !== 'string' || name === '') throw invalidArgument('name', 'a non-empty string', name);
  const raw = process.env[CHANNELS_ENV];
  let table: Record<string, unknown>;
  try {
    table = raw === undefined ? {} : (JSON.parse(raw) as Record<string, unknown>);
  } catch {
    table = {};
  }
  const fds = table[name];
  if (!Array.isArray(fds) || fds.length !== count || !fds.every((fd) => Number.isInteger(fd))) {
    throw new IpckitError(
      ErrorCode.INVALID_ARGUMENT,
      `no ${count === 2 ? 'duplex ' : ''}channel named "${name}" was given to this process (spawn it with ipckit's spawn(cmd, args, { channels: { ${JSON.stringify(name)}: end } }))`,
    );
  }
  return fds as number[];
}

/**
 * In a child whose parent handed it a `Sender` as `channels: { name }` (see
 * ipckit's `spawn`): that sender, rebuilt from its fd.
 */
export function senderFromParent<T = unknown>(name: string, options?: ChannelOptions<T>): Sender<T> {
  return Sender.fromFd<T>(parentFds(name, 1)[0]!, options);
}

/** In a child whose parent handed it a `Receiver` as `channels: { name }`: that receiver. */
export function receiverFromParent<T = unknown>(name: string, options?: ChannelOptions<T>): Receiver<T> {
  return Receiver.fromFd<T>(parentFds(name, 1)[0]!, options);
}

/** In a child whose parent handed it a `DuplexEnd` as `channels: { name }`: that end. */
export function duplexFromParent<Out = unknown, In = Out>(name: string, options?: ChannelOptions<In | Out>): DuplexEnd<Out, In> {
  const [r, w] = parentFds(name, 2) as [number, number];
  return DuplexEnd.fromFds<Out, In>([r, w], options);
}
