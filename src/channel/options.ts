/**
 * Channel options and their defaults, shared by every way of making an end.
 * @module
 */
import { invalidArgument, validateInteger, validateOptions } from '../internal/validate.js';
import { native } from '../native.js';
import { resolveCodec, type Codec, type CodecName } from './codec.js';
import { DEFAULT_MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE_CAP } from './frame.js';
import type { ReceiverConfig } from './receiver.js';
import { resolveValidator, type ValidateOption } from './schema.js';
import type { SenderConfig } from './sender.js';

/** Options of a channel end. */
export interface ChannelOptions<T> {
  /**
   * How values become bytes: `'json'`, `'structured'` (V8 serializer, for
   * trusted peers only), `'bytes'`, or `{ encode, decode }`.
   * @default 'json'
   */
  readonly codec?: CodecName | Codec<T>;
  /**
   * Checks every received value before delivery: a function returning the
   * value (or a promise of it) or throwing, or a Standard Schema (zod,
   * valibot, ...). A failure closes the channel with `IPCKIT_VALIDATION_FAILED`.
   */
  readonly validate?: ValidateOption<T>;
  /**
   * Largest message payload in bytes, checked on the sender before anything
   * is written and on the receiver from the frame header before anything is
   * allocated. At most 128 MiB.
   * @default 16777216 (16 MiB)
   */
  readonly maxMessageSize?: number;
  /**
   * Bytes a sender queues before `send()` waits, and bytes a receiver reads
   * ahead before it stops reading the pipe.
   * @default 1048576 (1 MiB)
   */
  readonly highWaterMark?: number;
  /**
   * The sender's fd is written by several processes: each write is then
   * atomic (at most PIPE_BUF bytes, whole frames only), so messages from
   * different processes never interleave; larger messages are refused with
   * `IPCKIT_MESSAGE_TOO_LARGE`.
   * @default false
   */
  readonly shared?: boolean;
}

/** Bytes a sender queues before `send()` waits (and `trySend()` refuses): 1 MiB. */
export const DEFAULT_HIGH_WATER_MARK = 1 << 20;

/** @internal */
export interface ResolvedOptions<T> {
  readonly sender: SenderConfig<T>;
  readonly receiver: ReceiverConfig<T>;
}

/** @internal Validates options and fills in defaults. */
export function resolveOptions<T>(options: unknown): ResolvedOptions<T> {
  const o = validateOptions<ChannelOptions<T>>(options);
  const codec = resolveCodec<T>(o.codec);
  const validate = resolveValidator<T>(o.validate);
  const maxMessageSize =
    o.maxMessageSize === undefined ? DEFAULT_MAX_MESSAGE_SIZE : validateInteger(o.maxMessageSize, 'options.maxMessageSize', 0, MAX_MESSAGE_SIZE_CAP);
  const highWaterMark = o.highWaterMark === undefined ? DEFAULT_HIGH_WATER_MARK : validateInteger(o.highWaterMark, 'options.highWaterMark', 1, 0x7fffffff);
  if (o.shared !== undefined && typeof o.shared !== 'boolean') throw invalidArgument('options.shared', 'a boolean', o.shared);
  const shared = o.shared === true;
  return {
    sender: { codec, maxMessageSize, highWaterMark, shared, pipeBuf: native().PIPE_BUF },
    receiver: { codec, validate, maxMessageSize, highWaterMark },
  };
}
