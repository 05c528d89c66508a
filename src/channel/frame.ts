/**
 * The channel wire format and its decoder: a pure state machine with named
 * states and hard limits, fed arbitrary chunks of a byte stream. It is used
 * by pipe channels and by framed local-socket connections alike.
 *
 * ## Wire format
 *
 * Every message is one frame: an 8-byte header, then `length` payload bytes.
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 4 | payload length, unsigned little-endian |
 * | 4 | 1 | magic, `0xA5` |
 * | 5 | 1 | kind, `1` (a message); other values are reserved |
 * | 6 | 2 | check, little-endian: `(length ^ (length >>> 16) ^ 0x4B49) & 0xFFFF` |
 *
 * The payload is the codec's output (UTF-8 JSON, V8 serialization, raw
 * bytes, or a custom codec's bytes). The magic and the check make a
 * corrupted or interleaved stream a protocol error at the next header
 * instead of a stream of wrong messages.
 *
 * @module
 */
import { ErrorCode, IpckitError } from '../errors.js';

export const HEADER_SIZE = 8;
export const MAGIC = 0xa5;
export const KIND_MESSAGE = 1;

/** The default limit on one message's payload. */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
/** No configuration may raise the limit above this (as D-Bus and Chromium). */
export const MAX_MESSAGE_SIZE_CAP = 128 * 1024 * 1024;

export function headerCheck(length: number): number {
  return (length ^ (length >>> 16) ^ 0x4b49) & 0xffff;
}

/** Writes a frame header for `length` payload bytes at `offset`. */
export function writeHeader(buf: Uint8Array, offset: number, length: number): void {
  buf[offset] = length & 0xff;
  buf[offset + 1] = (length >>> 8) & 0xff;
  buf[offset + 2] = (length >>> 16) & 0xff;
  buf[offset + 3] = length >>> 24;
  buf[offset + 4] = MAGIC;
  buf[offset + 5] = KIND_MESSAGE;
  const check = headerCheck(length);
  buf[offset + 6] = check & 0xff;
  buf[offset + 7] = check >>> 8;
}

/** The decoder's states. */
export const enum DecoderState {
  /** Waiting for (the rest of) an 8-byte header. */
  Header = 0,
  /** Header accepted; waiting for the payload's bytes. */
  Payload = 1,
  /** A protocol error or an oversized frame was seen: nothing more is decoded. */
  Failed = 2,
}

/**
 * Turns a byte stream, pushed in chunks of any size, into frames.
 *
 * `next()` returns true when a complete frame is available in `frame`,
 * `start`, `end` (a view into a received chunk when the frame lies in one,
 * otherwise a buffer assembled from the pieces). Memory held is never more
 * than the bytes received: a header's length is checked against the limit
 * before anything is allocated, and a large frame's pieces are joined only
 * once all of them have arrived.
 *
 * Errors (thrown by `next()`, after which the state is `Failed`):
 * `IPCKIT_MESSAGE_TOO_LARGE` for a length above `maxMessageSize`;
 * `IPCKIT_PROTOCOL` for a header with a wrong magic, kind or check.
 */
export class FrameDecoder {
  readonly maxMessageSize: number;
  state: DecoderState = DecoderState.Header;
  /** Set by next(): the frame's bytes are frame[start..end). */
  frame: Buffer = EMPTY;
  start = 0;
  end = 0;

  #chunks: Buffer[] = [];
  #offset = 0; // read position in #chunks[0]
  #buffered = 0; // bytes in #chunks not yet consumed
  #length = 0; // payload length once the header is in
  #header = Buffer.alloc(HEADER_SIZE);

  constructor(maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE) {
    this.maxMessageSize = maxMessageSize;
  }

  /** Bytes received and not yet returned as frames. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Bytes the frame being decoded needs in all (0 before its header is read). */
  get needed(): number {
    return this.state === DecoderState.Payload ? this.#length : 0;
  }

  /** True when a frame has started (header or part of a payload) but not ended. */
  get partial(): boolean {
    return this.#buffered > 0 || this.state === DecoderState.Payload;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.state === DecoderState.Failed) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** Advances to the next complete frame; false when more bytes are needed. */
  next(): boolean {
    if (this.state === DecoderState.Header) {
      if (this.#buffered < HEADER_SIZE) return false;
      // Read the header in place when it lies in one chunk (the common case).
      let h = this.#chunks[0]!;
      let o = this.#offset;
      const inPlace = h.length - o >= HEADER_SIZE;
      if (!inPlace) {
        h = this.#take(HEADER_SIZE, true);
        o = 0;
      }
      const length = (h[o]! | (h[o + 1]! << 8) | (h[o + 2]! << 16) | (h[o + 3]! << 24)) >>> 0;
      if (h[o + 4] !== MAGIC || h[o + 5] !== KIND_MESSAGE || (h[o + 6]! | (h[o + 7]! << 8)) !== headerCheck(length)) {
        this.#fail();
        throw new IpckitError(
          ErrorCode.PROTOCOL,
          `malformed frame header (magic ${hex(h[o + 4]!)}, kind ${h[o + 5]}); the stream is corrupt or was written by something else`,
        );
      }
      if (length > this.maxMessageSize) {
        this.#fail();
        throw new IpckitError(ErrorCode.MESSAGE_TOO_LARGE, `a frame announced ${length} bytes, above maxMessageSize (${this.maxMessageSize})`);
      }
      if (inPlace) {
        // Fast path: the whole frame is in this chunk.
        const start = o + HEADER_SIZE;
        if (h.length - start >= length) {
          this.frame = h;
          this.start = start;
          this.end = start + length;
          this.#buffered -= HEADER_SIZE + length;
          if (start + length === h.length) {
            this.#chunks.shift();
            this.#offset = 0;
          } else {
            this.#offset = start + length;
          }
          return true;
        }
        this.#advance(HEADER_SIZE);
      }
      this.#length = length;
      this.state = DecoderState.Payload;
    }
    if (this.state !== DecoderState.Payload || this.#buffered < this.#length) return false;
    const length = this.#length;
    const first = this.#chunks[0];
    if (length === 0) {
      this.frame = EMPTY;
      this.start = this.end = 0;
    } else if (first !== undefined && first.length - this.#offset >= length) {
      this.frame = first;
      this.start = this.#offset;
      this.end = this.#offset + length;
      this.#advance(length);
    } else {
      this.frame = this.#take(length, false);
      this.start = 0;
      this.end = length;
    }
    this.state = DecoderState.Header;
    return true;
  }

  /** Drops everything buffered (the channel is closing). */
  clear(): void {
    this.#chunks = [];
    this.#offset = 0;
    this.#buffered = 0;
  }

  #fail(): void {
    this.state = DecoderState.Failed;
    this.clear();
  }

  #advance(n: number): void {
    this.#offset += n;
    this.#buffered -= n;
    const first = this.#chunks[0]!;
    if (this.#offset === first.length) {
      this.#chunks.shift();
      this.#offset = 0;
    }
  }

  /** Removes n bytes from the front; `scratch` reuses the header buffer. */
  #take(n: number, scratch: boolean): Buffer {
    const out = scratch ? this.#header : Buffer.allocUnsafeSlow(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks[0]!;
      const m = Math.min(n - filled, c.length - this.#offset);
      out.set(c.subarray(this.#offset, this.#offset + m), filled);
      filled += m;
      this.#advance(m);
    }
    return out;
  }
}

const EMPTY = Buffer.alloc(0);

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}
