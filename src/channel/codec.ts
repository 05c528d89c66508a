/**
 * Codecs: how a channel turns values into frame payloads and back.
 *
 * - `'json'` (the default): UTF-8 JSON. Refuses objects with a `__proto__`
 *   or `constructor` key (prototype pollution), however escaped.
 * - `'structured'`: the V8 serializer (Map, Set, Date, BigInt, typed arrays,
 *   cycles). A crafted payload can crash or confuse the deserializer, so use
 *   it only with peers you trust as much as your own code.
 * - `'bytes'`: `Uint8Array` in, `Uint8Array` out, no transformation.
 * - a custom `{ encode, decode }`.
 *
 * @module
 */
import { deserialize, serialize } from 'node:v8';
import { ErrorCode, IpckitError } from '../errors.js';
import { invalidArgument } from '../internal/validate.js';

/** A custom codec. `encode` may return a string, sent as UTF-8. */
export interface Codec<T> {
  encode(value: T): Uint8Array | string;
  decode(bytes: Uint8Array): T;
}

/** The codecs built into ipckit. */
export type CodecName = 'json' | 'structured' | 'bytes';

/** @internal What the sender and receiver use. */
export interface ResolvedCodec<T> {
  readonly name: string;
  /** Encodes to bytes or to a string (written as UTF-8 straight into the frame). */
  encode(value: T): Uint8Array | string;
  decode(frame: Buffer, start: number, end: number): T;
}

type Utf8Slicer = { utf8Slice(start: number, end: number): string };

function utf8(frame: Buffer, start: number, end: number): string {
  // Buffer#utf8Slice skips toString()'s argument handling: measurable at a
  // million messages a second.
  return (frame as unknown as Utf8Slicer).utf8Slice(start, end);
}

const SUSPICIOUS = /__proto__|constructor|\\u/;

function refuseKey(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor') {
    throw new IpckitError(ErrorCode.DECODE_FAILED, `refused a JSON object with a "${key}" key (prototype pollution)`);
  }
  return value;
}

const jsonCodec: ResolvedCodec<unknown> = {
  name: 'json',
  encode(value) {
    const text = JSON.stringify(value);
    if (text === undefined) {
      throw new IpckitError(ErrorCode.ENCODE_FAILED, `a ${typeof value} cannot be encoded as JSON`);
    }
    return text;
  },
  decode(frame, start, end) {
    const text = utf8(frame, start, end);
    // Fast path: without these substrings no key can be __proto__ or
    // constructor (a key spelled with \u escapes contains "\u").
    return SUSPICIOUS.test(text) ? JSON.parse(text, refuseKey) : JSON.parse(text);
  },
};

const structuredCodec: ResolvedCodec<unknown> = {
  name: 'structured',
  encode: (value) => serialize(value),
  // A fresh copy at offset 0: some Node releases mis-handled a non-zero
  // byteOffset in the deserializer (nodejs/node#55269).
  decode: (frame, start, end) => deserialize(Buffer.from(frame.subarray(start, end))),
};

const bytesCodec: ResolvedCodec<Uint8Array> = {
  name: 'bytes',
  encode(value) {
    if (!(value instanceof Uint8Array)) {
      throw new IpckitError(ErrorCode.ENCODE_FAILED, `the 'bytes' codec sends Uint8Arrays; got ${value === null ? 'null' : typeof value}`);
    }
    return value;
  },
  // A plain view: cheaper to make than a Buffer, and what the type promises.
  decode: (frame, start, end) => new Uint8Array(frame.buffer, frame.byteOffset + start, end - start),
};

/** @internal */
export function resolveCodec<T>(value: unknown): ResolvedCodec<T> {
  if (value === undefined || value === 'json') return jsonCodec as ResolvedCodec<T>;
  if (value === 'structured') return structuredCodec as ResolvedCodec<T>;
  if (value === 'bytes') return bytesCodec as unknown as ResolvedCodec<T>;
  if (typeof value === 'object' && value !== null) {
    const c = value as Partial<Codec<T>>;
    if (typeof c.encode === 'function' && typeof c.decode === 'function') {
      const encode = c.encode.bind(c);
      const decode = c.decode.bind(c);
      return {
        name: 'custom',
        encode(v) {
          const out = encode(v);
          if (typeof out !== 'string' && !(out instanceof Uint8Array)) {
            throw new IpckitError(ErrorCode.ENCODE_FAILED, 'a custom codec\'s encode() must return a Uint8Array or a string');
          }
          return out;
        },
        decode: (frame, start, end) => decode(frame.subarray(start, end)),
      };
    }
  }
  throw invalidArgument('options.codec', "'json', 'structured', 'bytes' or an object with encode() and decode()", value);
}
