/**
 * Typed messages over any byte stream connection: the channel framing and
 * codecs (see `docs/channels.md` for the wire format) on a `LocalStream`, a
 * `UnixStream`, a `net.Socket`, or any other `Duplex`.
 *
 * ```ts
 * const conn = framed<Request>(await connect('app'));
 * const reply = await conn.request({ op: 'ping' });
 * ```
 *
 * ## When not to use it
 *
 * Between a parent and its child, use a channel (a pipe: cheaper, no
 * socket). For raw bytes, use the stream itself: this adds an 8-byte header
 * per message.
 *
 * ## Behaviour
 *
 * - `send()` frames the value into a batch written on the next tick (one
 *   write for all the messages of a tick), and resolves at once unless more
 *   than `highWaterMark` bytes wait to be written; then it waits for them
 *   to drain. A value the codec cannot encode, or one above
 *   `maxMessageSize`, is refused with nothing written.
 * - Received frames are checked from their header before anything is
 *   allocated (`IPCKIT_MESSAGE_TOO_LARGE`, `IPCKIT_PROTOCOL`), decoded, and
 *   validated (`validate`) in order. Any such failure closes the connection;
 *   values received before it are still delivered first.
 * - The peer closing cleanly ends iteration (`recv()` rejects with
 *   `IPCKIT_PEER_CLOSED`); closing in the middle of a frame is
 *   `IPCKIT_INCOMPLETE_MESSAGE`, and the partial message is dropped.
 * - The `'structured'` codec (V8 serialization) can build objects a hostile
 *   peer chose; it is refused unless `trusted: true` (or an authenticated
 *   local socket) says the peer is trusted.
 * @module
 */
import type { Duplex } from 'node:stream';
import { closedError, ErrorCode, IpckitError } from '../errors.js';
import { invalidArgument, validateInteger, validateOptions, validateSignal, validateTimeout } from '../internal/validate.js';
import { resolveCodec, type Codec, type CodecName, type ResolvedCodec } from '../channel/codec.js';
import { DEFAULT_MAX_MESSAGE_SIZE, FrameDecoder, HEADER_SIZE, MAX_MESSAGE_SIZE_CAP, writeHeader } from '../channel/frame.js';
import { resolveValidator, type ValidateOption, type Validator } from '../channel/schema.js';
import type { PeerCredentials } from '../uds/stream.js';

/** Options of a framed connection. */
export interface FramedOptions<T> {
  /**
   * How values become bytes: `'json'` (default), `'bytes'`, `'structured'`
   * (V8 serialization: only with `trusted: true`), or `{ encode, decode }`.
   */
  readonly codec?: CodecName | Codec<T>;
  /** Checks every received value (a function or a Standard Schema); a failure closes the connection. */
  readonly validate?: ValidateOption<T>;
  /** Largest message payload, both ways. @default 16777216 (16 MiB; at most 128 MiB) */
  readonly maxMessageSize?: number;
  /** Bytes waiting to be written before `send()` waits for them to drain. @default 1048576 */
  readonly highWaterMark?: number;
  /** The peer is trusted: allows the `'structured'` codec. @default false */
  readonly trusted?: boolean;
}

/** Options of a receive. */
export interface FramedRecvOptions {
  readonly signal?: AbortSignal;
  readonly timeout?: number;
}

/** Messages decoded ahead of the consumer before the stream is paused. */
const READ_AHEAD = 1024;
const BATCH = 64 * 1024;
/** A frame at least this large is written as its own buffer rather than copied into a batch. */
const LARGE = 16 * 1024;
const RESOLVED = Promise.resolve();
const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true as const });
const noop = (): void => {};

type Utf8Writer = { utf8Write(text: string, offset: number, length?: number): number };

/** How an iteration ends: a peer's close or our own close ends it; anything else is thrown. */
function endOrThrow(err: unknown): Promise<IteratorReturnResult<undefined>> {
  const code = (err as IpckitError)?.code;
  return code === ErrorCode.PEER_CLOSED || code === ErrorCode.CLOSED ? Promise.resolve(DONE) : Promise.reject(err);
}

interface Waiter<T> {
  resolve(v: T): void;
  reject(e: unknown): void;
  cleanup(): void;
}

/** @internal Checks options shared by framed() and the local-socket functions. */
export function resolveFramedOptions<T>(options: unknown, authenticated = false): {
  codec: ResolvedCodec<T>;
  validate: Validator<T> | undefined;
  maxMessageSize: number;
  highWaterMark: number;
} {
  const o = validateOptions<FramedOptions<T>>(options);
  const codec = resolveCodec<T>(o.codec);
  if (o.trusted !== undefined && typeof o.trusted !== 'boolean') throw invalidArgument('options.trusted', 'a boolean', o.trusted);
  if (codec.name === 'structured' && o.trusted !== true && !authenticated) {
    throw invalidArgument(
      'options.codec',
      "'json', 'bytes' or a custom codec; 'structured' (V8 deserialization of what the peer sends) needs trusted: true, or an authKey",
      o.codec,
    );
  }
  return {
    codec,
    validate: resolveValidator<T>(o.validate),
    maxMessageSize: o.maxMessageSize === undefined ? DEFAULT_MAX_MESSAGE_SIZE : validateInteger(o.maxMessageSize, 'options.maxMessageSize', 0, MAX_MESSAGE_SIZE_CAP),
    highWaterMark: o.highWaterMark === undefined ? 1 << 20 : validateInteger(o.highWaterMark, 'options.highWaterMark', 1, 0x7fffffff),
  };
}

/**
 * A connection carrying typed messages. Receive with `recv()`,
 * `for await`, `tryRecv()` or `recvMany()`; send with `send()`; ask and
 * wait for the answer with `request()`. `close()` closes the stream under it.
 */
export class FramedConnection<T = unknown, Out = T> implements AsyncIterable<T>, AsyncDisposable {
  /** The byte stream under the messages. */
  readonly stream: Duplex;
  readonly #codec: ResolvedCodec<unknown>;
  readonly #validate: Validator<T> | undefined;
  readonly #maxSize: number;
  readonly #hwm: number;
  readonly #decoder: FrameDecoder;
  #queue: T[] = [];
  #raw: unknown[] = [];
  #validating = false;
  #waiters: Array<Waiter<T>> = [];
  #failure: Error | null = null;
  #ended = false;
  #closed = false;
  #paused = false;
  // Sending: frames are written into #batch from #len; [#start, #len) is not yet handed to the stream.
  #batch: Buffer = Buffer.allocUnsafeSlow(BATCH);
  #start = 0;
  #len = 0;
  #flushScheduled = false;
  #sendError: Error | null = null;
  #drainWaiters: Array<{ resolve(): void; reject(e: unknown): void }> = [];
  readonly #flush = (): void => this.#doFlush();

  /** Wraps `stream` (see {@link framed}). */
  constructor(stream: Duplex, options?: FramedOptions<T>, authenticated = false) {
    const o = resolveFramedOptions<T>(options, authenticated);
    this.stream = stream;
    this.#codec = o.codec as ResolvedCodec<unknown>;
    this.#validate = o.validate;
    this.#maxSize = o.maxMessageSize;
    this.#hwm = o.highWaterMark;
    this.#decoder = new FrameDecoder(o.maxMessageSize);
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    stream.on('end', () => this.#onEnd());
    stream.on('error', (err: Error) => this.#onError(err));
    stream.on('close', () => this.#onClose());
    stream.on('drain', () => this.#onDrain());
  }

  /** True once closed (by `close()`, the peer, or a failure). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The credentials of the process at the other end (Unix sockets). */
  peerCredentials(): PeerCredentials {
    const f = (this.stream as unknown as { peerCredentials?: () => PeerCredentials }).peerCredentials;
    if (typeof f !== 'function') throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, 'this stream cannot tell who is at the other end');
    return f.call(this.stream);
  }

  // Receiving

  #onData(chunk: Buffer): void {
    const d = this.#decoder;
    d.push(chunk);
    try {
      while (d.next()) {
        let value: unknown;
        try {
          value = this.#codec.decode(d.frame, d.start, d.end);
        } catch (err) {
          throw err instanceof IpckitError ? err : new IpckitError(ErrorCode.DECODE_FAILED, `could not decode a received message: ${(err as Error)?.message ?? String(err)}`, { cause: err });
        }
        if (this.#validate === undefined) this.#queue.push(value as T);
        else this.#raw.push(value);
      }
    } catch (err) {
      this.#fail(err as Error);
      return;
    }
    if (this.#raw.length > 0 && !this.#validating) this.#runValidation();
    this.#pump();
  }

  /** Validates received values one at a time, in order (validators may be async). */
  #runValidation(): void {
    const validate = this.#validate!;
    while (this.#raw.length > 0 && this.#failure === null) {
      const raw = this.#raw.shift();
      let r: T | Promise<T>;
      try {
        r = validate(raw);
      } catch (err) {
        this.#fail(err as Error);
        return;
      }
      if (r instanceof Promise) {
        this.#validating = true;
        r.then(
          (v) => {
            this.#validating = false;
            if (this.#failure !== null) return;
            this.#queue.push(v);
            this.#runValidation();
            this.#pump();
          },
          (err: Error) => {
            this.#validating = false;
            this.#fail(err);
          },
        );
        return;
      }
      this.#queue.push(r);
    }
  }

  #onEnd(): void {
    if (this.#decoder.partial) {
      this.#fail(new IpckitError(ErrorCode.INCOMPLETE_MESSAGE, 'the peer closed the connection in the middle of a message; the partial message was dropped'));
      return;
    }
    this.#ended = true;
    this.#pump();
  }

  #onError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE' || code === 'ECONNRESET') {
      const e = new IpckitError(ErrorCode.PEER_CLOSED, 'the peer closed the connection', { cause: err });
      this.#sendError ??= e;
      if (this.#decoder.partial) this.#fail(new IpckitError(ErrorCode.INCOMPLETE_MESSAGE, 'the connection broke in the middle of a message; the partial message was dropped', { cause: err }));
      else this.#ended = true;
    } else {
      this.#sendError ??= err;
      if (this.#failure === null) this.#failure = err;
    }
    this.#rejectDrains(this.#sendError);
    this.#pump();
  }

  #onClose(): void {
    if (!this.#ended && this.#failure === null) {
      this.#failure = this.#closed ? closedError('FramedConnection', 'recv') : new IpckitError(ErrorCode.PEER_CLOSED, 'the connection closed');
    }
    this.#closed = true;
    this.#sendError ??= closedError('FramedConnection', 'send');
    this.#rejectDrains(this.#sendError);
    this.#decoder.clear();
    this.#pump();
  }

  #fail(err: Error): void {
    if (this.#failure === null) this.#failure = err;
    this.#raw = [];
    this.#decoder.clear();
    this.#pump();
    // The stream cannot be trusted any more: close it (values already decoded are still delivered).
    this.stream.destroy();
  }

  #takeError(): Error | undefined {
    if (this.#validating || this.#raw.length > 0) return undefined;
    if (this.#failure !== null) return this.#failure;
    if (this.#ended) return new IpckitError(ErrorCode.PEER_CLOSED, 'the peer closed the connection');
    return undefined;
  }

  #pump(): void {
    while (this.#waiters.length > 0) {
      if (this.#queue.length > 0) {
        const w = this.#waiters.shift()!;
        w.cleanup();
        w.resolve(this.#queue.shift()!);
        continue;
      }
      const err = this.#takeError();
      if (err === undefined) break;
      for (const w of this.#waiters.splice(0)) {
        w.cleanup();
        w.reject(err);
      }
    }
    this.#flowControl();
  }

  #flowControl(): void {
    if (this.#closed) return;
    const backlog = this.#queue.length + this.#raw.length;
    if (!this.#paused && backlog >= READ_AHEAD) {
      this.#paused = true;
      this.stream.pause();
    } else if (this.#paused && backlog < READ_AHEAD / 2) {
      this.#paused = false;
      this.stream.resume();
    }
  }

  /**
   * The next message. Rejects with `IPCKIT_PEER_CLOSED` once the peer has
   * closed and every message before that was taken, with the connection's
   * error after a failure, with `IPCKIT_TIMEOUT` or the signal's reason when
   * given up (no message is lost).
   */
  recv(options?: FramedRecvOptions): Promise<T> {
    if (this.#queue.length > 0 && this.#waiters.length === 0) {
      const v = this.#queue.shift()!;
      if (this.#paused) this.#flowControl();
      return Promise.resolve(v);
    }
    let signal: AbortSignal | undefined;
    let timeout = -1;
    try {
      const o = validateOptions<FramedRecvOptions>(options);
      signal = validateSignal(o.signal, 'options.signal');
      timeout = validateTimeout(o.timeout, 'options.timeout');
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#waiters.length === 0) {
      const err = this.#takeError();
      if (err !== undefined) return Promise.reject(err);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (signal === undefined && timeout < 0) return new Promise<T>((resolve, reject) => this.#waiters.push({ resolve, reject, cleanup: noop }));
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const w: Waiter<T> = {
        resolve,
        reject,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
        },
      };
      const giveUp = (err: unknown): void => {
        const i = this.#waiters.indexOf(w);
        if (i < 0) return;
        this.#waiters.splice(i, 1);
        w.cleanup();
        reject(err);
      };
      if (timeout >= 0) timer = setTimeout(() => giveUp(new IpckitError(ErrorCode.TIMEOUT, `recv(): no message within ${timeout} ms`)), timeout);
      if (signal !== undefined) {
        onAbort = () => giveUp(signal!.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.#waiters.push(w);
    });
  }

  /** A message that has arrived, or undefined; never waits. Throws what `recv()` would reject with once nothing more will come. */
  tryRecv(): T | undefined {
    if (this.#waiters.length > 0) return undefined;
    if (this.#queue.length > 0) {
      const v = this.#queue.shift()!;
      if (this.#paused) this.#flowControl();
      return v;
    }
    const err = this.#takeError();
    if (err !== undefined) throw err;
    return undefined;
  }

  /** Waits for at least one message, then resolves with every message that has arrived (up to `max`). */
  async recvMany(options?: FramedRecvOptions & { readonly max?: number }): Promise<T[]> {
    const o = validateOptions<FramedRecvOptions & { max: number }>(options);
    const max = o.max === undefined ? Infinity : validateInteger(o.max, 'options.max', 1);
    const out: T[] = [await this.recv(o)];
    while (out.length < max && this.#waiters.length === 0 && this.#queue.length > 0) out.push(this.#queue.shift() as T);
    if (this.#paused) this.#flowControl();
    return out;
  }

  /** Iterates over received messages until the peer closes (or this connection is closed). */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const it: AsyncIterableIterator<T> = {
      next: () => {
        if (this.#queue.length > 0 && this.#waiters.length === 0) {
          const value = this.#queue.shift()!;
          if (this.#paused) this.#flowControl();
          return Promise.resolve({ value, done: false as const });
        }
        if (this.#waiters.length === 0) {
          const err = this.#takeError();
          if (err !== undefined) return endOrThrow(err);
        }
        // One promise per message, resolved with the iterator result itself.
        return new Promise<IteratorResult<T>>((resolve, reject) =>
          this.#waiters.push({
            resolve: (value: T) => resolve({ value, done: false }),
            reject: (err: unknown) => endOrThrow(err).then(resolve, reject),
            cleanup: noop,
          }),
        );
      },
      return: () => Promise.resolve(DONE),
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  // Sending

  /**
   * Sends one message. Resolves once it is queued below `highWaterMark`
   * (it is written on the next tick with the others of this tick); rejects,
   * having sent nothing, if the codec cannot encode it or it is above
   * `maxMessageSize`, and with `IPCKIT_PEER_CLOSED` once the peer is gone.
   */
  send(value: Out): Promise<void> {
    const err = this.#enqueue(value);
    if (err !== undefined) return Promise.reject(err);
    if (this.stream.writableLength + (this.#len - this.#start) <= this.#hwm) return RESOLVED;
    return new Promise<void>((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }

  /**
   * Sends `value` and resolves with the next message received: one round
   * trip. A message that cannot be sent rejects at once, and then no
   * message is taken for it.
   */
  request(value: Out, options?: FramedRecvOptions): Promise<T> {
    const err = this.#enqueue(value);
    if (err !== undefined) return Promise.reject(err);
    const answer = this.recv(options);
    if (this.stream.writableLength + (this.#len - this.#start) <= this.#hwm) return answer;
    return new Promise<void>((resolve, reject) => this.#drainWaiters.push({ resolve, reject })).then(
      () => answer,
      (e: unknown) => {
        answer.catch(noop);
        throw e;
      },
    );
  }

  /** Encodes `value` into the batch and schedules the flush; returns why it cannot be sent. */
  #enqueue(value: Out): Error | undefined {
    if (this.#sendError !== null) return this.#sendError;
    if (this.#closed || this.stream.writableEnded) return closedError('FramedConnection', 'send');
    try {
      this.#append(this.#codec.encode(value));
    } catch (err) {
      return err instanceof IpckitError ? err : new IpckitError(ErrorCode.ENCODE_FAILED, `could not encode a value: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      process.nextTick(this.#flush);
    }
    return undefined;
  }

  #tooLarge(n: number): IpckitError {
    return new IpckitError(ErrorCode.MESSAGE_TOO_LARGE, `a ${n}-byte message is larger than maxMessageSize (${this.#maxSize})`);
  }

  #append(payload: Uint8Array | string): void {
    if (typeof payload === 'string') {
      const bound = payload.length * 3;
      if (HEADER_SIZE + bound <= this.#batch.length - this.#len && bound <= this.#maxSize) {
        const n = (this.#batch as unknown as Utf8Writer).utf8Write(payload, this.#len + HEADER_SIZE);
        writeHeader(this.#batch, this.#len, n);
        this.#len += HEADER_SIZE + n;
        return;
      }
      const bytes = Buffer.from(payload, 'utf8');
      if (bytes.length > this.#maxSize) throw this.#tooLarge(bytes.length);
      return this.#appendBytes(bytes, true);
    }
    if (payload.length > this.#maxSize) throw this.#tooLarge(payload.length);
    this.#appendBytes(payload, false);
  }

  #appendBytes(bytes: Uint8Array, owned: boolean): void {
    const n = bytes.length;
    if (n >= LARGE) {
      // Its own buffer (a copy unless we made it): the caller may reuse theirs.
      if (this.#batch.length - this.#len < HEADER_SIZE) this.#newBatch();
      writeHeader(this.#batch, this.#len, n);
      this.#len += HEADER_SIZE;
      this.#handOver();
      this.stream.write(owned ? bytes : Buffer.from(bytes));
      return;
    }
    if (HEADER_SIZE + n > this.#batch.length - this.#len) this.#newBatch();
    writeHeader(this.#batch, this.#len, n);
    this.#batch.set(bytes, this.#len + HEADER_SIZE);
    this.#len += HEADER_SIZE + n;
  }

  /** Hands the filled part of the batch to the stream (written in order with later writes). */
  #handOver(): void {
    if (this.#len > this.#start) {
      this.stream.write(this.#batch.subarray(this.#start, this.#len));
      this.#start = this.#len;
    }
  }

  #newBatch(): void {
    this.#handOver();
    this.#batch = Buffer.allocUnsafeSlow(BATCH);
    this.#start = this.#len = 0;
  }

  #doFlush(): void {
    this.#flushScheduled = false;
    if (this.#closed || this.stream.destroyed) return;
    this.#handOver();
    // A nearly full batch is replaced now rather than on the next send.
    if (this.#batch.length - this.#len < 512) this.#newBatch();
    if (this.stream.writableLength <= this.#hwm) this.#onDrain();
  }

  #onDrain(): void {
    if (this.#drainWaiters.length === 0) return;
    if (this.stream.writableLength + (this.#len - this.#start) > this.#hwm) return;
    for (const w of this.#drainWaiters.splice(0)) w.resolve();
  }

  #rejectDrains(err: Error): void {
    for (const w of this.#drainWaiters.splice(0)) w.reject(err);
  }

  /** Flushes what was sent, then ends the writing side (the peer's iteration ends); receiving goes on. */
  async end(): Promise<void> {
    if (this.#closed || this.stream.writableEnded) return;
    this.#flushScheduled = false;
    this.#handOver();
    await new Promise<void>((resolve) => this.stream.end(resolve));
  }

  /** Closes the connection now; unsent messages are dropped, waiting receives reject with `IPCKIT_CLOSED`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Whatever happened before, from now on every call says: closed.
    this.#failure = closedError('FramedConnection', 'recv');
    this.#sendError = closedError('FramedConnection', 'send');
    this.#queue = [];
    this.#raw = [];
    this.stream.destroy();
    this.#pump();
  }

  /** Flushes (`end()`), then closes. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.end();
    } finally {
      this.close();
    }
  }
}

/**
 * Typed messages over a byte-stream connection (see {@link FramedConnection}).
 * The other end must speak the same framing: another `framed()` or a
 * channel-framed local socket, with the same codec.
 */
export function framed<T = unknown, Out = T>(stream: Duplex, options?: FramedOptions<T>): FramedConnection<T, Out> {
  if (stream === null || typeof stream !== 'object' || typeof (stream as Duplex).write !== 'function' || typeof (stream as Duplex).on !== 'function') {
    throw invalidArgument('stream', 'a Duplex stream (a LocalStream, UnixStream, net.Socket...)', stream);
  }
  return new FramedConnection<T, Out>(stream, options);
}
