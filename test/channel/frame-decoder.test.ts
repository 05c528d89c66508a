// The frame decoder: a pure state machine, tested by splitting input at
// every byte offset, by random chunkings (fast-check), and with every kind
// of malformed header.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DecoderState, FrameDecoder, HEADER_SIZE, MAX_MESSAGE_SIZE_CAP, writeHeader } from '../../src/channel/frame.js';
import { ErrorCode } from '../../src/index.js';

function frame(payload: Uint8Array): Buffer {
  const b = Buffer.alloc(HEADER_SIZE + payload.length);
  writeHeader(b, 0, payload.length);
  b.set(payload, HEADER_SIZE);
  return b;
}

function drain(dec: FrameDecoder): Buffer[] {
  const out: Buffer[] = [];
  while (dec.next()) out.push(Buffer.from(dec.frame.subarray(dec.start, dec.end)));
  return out;
}

function decodeChunks(chunks: Uint8Array[], max?: number): Buffer[] {
  const dec = new FrameDecoder(max);
  const out: Buffer[] = [];
  for (const c of chunks) {
    dec.push(Buffer.from(c));
    out.push(...drain(dec));
  }
  assert.equal(dec.partial, false, 'nothing left over');
  return out;
}

const payloads = [Buffer.alloc(0), Buffer.from('a'), Buffer.from('hello, frames'), Buffer.alloc(300, 7), Buffer.alloc(0), Buffer.from([0xa5, 1, 0, 0])];
const stream = Buffer.concat(payloads.map(frame));

describe('FrameDecoder', () => {
  it('decodes a stream split in two at every byte offset', () => {
    for (let i = 0; i <= stream.length; i++) {
      const got = decodeChunks([stream.subarray(0, i), stream.subarray(i)]);
      assert.deepEqual(got, payloads, `split at ${i}`);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const chunks = [...stream].map((b) => Uint8Array.of(b));
    assert.deepEqual(decodeChunks(chunks), payloads);
  });

  it('decodes any payloads under any chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 50 }),
        (ps, cuts) => {
          const s = Buffer.concat(ps.map((p) => frame(p)));
          const chunks: Buffer[] = [];
          let at = 0;
          for (let i = 0; at < s.length; i++) {
            const n = cuts[i % cuts.length]!;
            chunks.push(s.subarray(at, at + n));
            at += n;
          }
          assert.deepEqual(decodeChunks(chunks), ps.map((p) => Buffer.from(p)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a header announcing more than maxMessageSize fails at once, before any allocation', () => {
    const dec = new FrameDecoder(1024);
    const h = Buffer.alloc(HEADER_SIZE);
    writeHeader(h, 0, 0xffffffff);
    dec.push(h);
    assert.throws(() => dec.next(), { code: ErrorCode.MESSAGE_TOO_LARGE });
    assert.equal(dec.state, DecoderState.Failed);
    dec.push(Buffer.alloc(100));
    assert.equal(dec.buffered, 0, 'a failed decoder keeps nothing');
    assert.equal(dec.next(), false);
  });

  it('holds only the bytes received for a large announced frame (no allocation by the header)', () => {
    const dec = new FrameDecoder(MAX_MESSAGE_SIZE_CAP);
    const h = Buffer.alloc(HEADER_SIZE);
    writeHeader(h, 0, MAX_MESSAGE_SIZE_CAP);
    dec.push(h);
    dec.push(Buffer.alloc(10));
    const before = process.memoryUsage().arrayBuffers;
    assert.equal(dec.next(), false);
    assert.equal(dec.needed, MAX_MESSAGE_SIZE_CAP);
    assert.equal(dec.buffered, 10);
    assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20);
  });

  for (const [what, byte, value] of [
    ['magic', 4, 0x00],
    ['kind', 5, 2],
    ['check (low byte)', 6, 0x00],
    ['length (so the check no longer matches)', 1, 0x40],
  ] as const) {
    it(`a corrupted ${what} is a protocol error`, () => {
      const f = frame(Buffer.from('payload'));
      f[byte] = value === f[byte] ? value ^ 1 : value;
      const dec = new FrameDecoder();
      dec.push(f);
      assert.throws(() => dec.next(), { code: ErrorCode.PROTOCOL });
      assert.equal(dec.state, DecoderState.Failed);
    });
  }

  it('a run of zero bytes spliced into a stream is a protocol error at the next header', () => {
    const good = frame(Buffer.from('ok'));
    const dec = new FrameDecoder();
    dec.push(Buffer.concat([good, Buffer.alloc(1024), good]));
    assert.equal(dec.next(), true);
    assert.throws(() => dec.next(), { code: ErrorCode.PROTOCOL });
  });
});
