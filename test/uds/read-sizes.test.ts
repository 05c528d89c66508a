// Stream reads switch between two paths: small arrivals are read into a
// shared scratch area and copied into an exact-size Buffer; after a large
// read, the next readiness asks the kernel how much is there and reads into
// Buffers of its own. These tests walk both ways across the switch, for a
// pipe and for a stream socket, and check that every byte arrives once, in
// order, and that a small chunk never pins a large allocation.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Readable, Writable } from 'node:stream';
import { pipe, socketPair } from '../../src/index.js';
import { checkFdLeaks } from '../helpers/fds.js';

checkFdLeaks();

// Sizes on either side of the switch (16 KiB) and of one read piece (64 KiB).
const SIZES = [100, 300_000, 7, 70_000, 1, 16_384, 16_383, 65_536, 65_537, 2, 16_385, 5, 1_000_000, 3, 64];

/**
 * Writes each piece only after the reader has received everything before it,
 * so each piece arrives in readinesses of its own.
 */
async function walk(reader: Readable, writer: Writable): Promise<void> {
  const total = SIZES.reduce((a, b) => a + b, 0);
  const data = randomBytes(total);
  const got: Buffer[] = [];
  let received = 0;
  let wanted = 0;
  let wake: (() => void) | undefined;
  let small = 0;
  reader.on('data', (chunk: Buffer) => {
    got.push(chunk);
    received += chunk.length;
    if (chunk.length < 1024) {
      small++;
      assert.equal(chunk.buffer.byteLength, chunk.length, `a ${chunk.length}-byte chunk holds on to ${chunk.buffer.byteLength} bytes`);
    }
    if (received >= wanted) wake?.();
  });
  let at = 0;
  for (const size of SIZES) {
    wanted = at + size;
    const arrived = new Promise<void>((resolve) => (wake = resolve));
    writer.write(data.subarray(at, at + size));
    await arrived;
    assert.equal(received, wanted, 'no more than was written');
    at += size;
  }
  writer.end();
  await new Promise((resolve) => reader.once('end', resolve));
  assert.ok(Buffer.concat(got).equals(data), 'the same bytes, once each, in order');
  assert.ok(small >= 6, `small pieces arrived as small chunks (${small})`);
}

describe('stream read sizes', () => {
  it('a pipe: large and small pieces alternate, every byte arrives once and in order', async () => {
    const { reader, writer } = pipe();
    await walk(reader, writer);
  });

  it('a stream socket: large and small pieces alternate, every byte arrives once and in order', async () => {
    const [a, b] = socketPair('stream');
    await walk(a, b);
    a.destroy();
    b.destroy();
  });
});
