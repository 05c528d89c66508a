// Rare conditions a real pipe will not produce on demand, scripted through a
// fake handle (the only fakes in the suite; everything else uses real fds):
// a write that returns 0, EAGAIN after a partial write, a failure to start
// waiting for writability, and an I/O error in the middle of a sequence.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EAGAIN, type FdHandle } from '../../src/internal/handle.js';
import { StreamWriteEngine } from '../../src/internal/stream-io.js';

const EIO = -5;
const ENOMEM = -12;

/** A handle whose write results follow a script; records what it accepted. */
function scripted(results: number[], awaitResult = 0) {
  const accepted: number[] = [];
  let waits = 0;
  const take = (bytes: Uint8Array[], offset: number): number => {
    const r = results.shift();
    if (r === undefined) throw new Error('script exhausted');
    if (r > 0) {
      let left = r;
      for (let i = 0; i < bytes.length && left > 0; i++) {
        const from = i === 0 ? offset : 0;
        const n = Math.min(left, bytes[i]!.length - from);
        for (let j = 0; j < n; j++) accepted.push(bytes[i]![from + j]!);
        left -= n;
      }
    }
    return r;
  };
  const handle = {
    write: (b: Uint8Array, off: number) => take([b], off),
    writev: (bs: Uint8Array[], off: number) => take(bs, off),
    awaitWritable: () => {
      waits++;
      return awaitResult;
    },
  };
  return { handle: handle as unknown as FdHandle, accepted, waits: () => waits };
}

describe('write engine under scripted faults', () => {
  it('partial writes, EAGAIN and a 0-byte write: every byte once, in order, callback once', () => {
    const s = scripted([3, EAGAIN, 0, 2, 5]);
    const engine = new StreamWriteEngine(s.handle);
    const calls: unknown[] = [];
    engine.write([Buffer.from('abcd'), Buffer.from('efg'), Buffer.from('hij')], (err) => calls.push(err));
    // A short write means a full buffer: the engine waits instead of trying
    // again at once (which could only say EAGAIN).
    assert.equal(s.waits(), 1, 'waits after the short write');
    engine.onWritable(); // EAGAIN
    assert.equal(s.waits(), 2);
    engine.onWritable(); // 0 bytes: treated as "no room yet"
    assert.equal(s.waits(), 3);
    engine.onWritable(); // 2 of 7: short again
    assert.equal(s.waits(), 4);
    assert.deepEqual(calls, []);
    engine.onWritable(); // the last 5
    assert.deepEqual(calls, [undefined]);
    assert.equal(Buffer.from(s.accepted).toString(), 'abcdefghij');
    assert.equal(engine.pending, false);
  });

  it('a write taken whole goes straight on to the next buffers', () => {
    const s = scripted([10]);
    const engine = new StreamWriteEngine(s.handle);
    const calls: unknown[] = [];
    engine.write([Buffer.from('abcd'), Buffer.from('efg'), Buffer.from('hij')], (err) => calls.push(err));
    assert.deepEqual(calls, [undefined]);
    assert.equal(s.waits(), 0);
  });

  it('an I/O error mid-sequence fails the write with a Node-shaped error', () => {
    const s = scripted([2, EIO]);
    const engine = new StreamWriteEngine(s.handle);
    const errors: NodeJS.ErrnoException[] = [];
    engine.write([Buffer.from('hello')], (err) => errors.push(err as NodeJS.ErrnoException));
    assert.equal(errors.length, 0, 'waiting after the short write');
    engine.onWritable();
    const error = errors[0];
    assert.equal(errors.length, 1);
    assert.equal(error?.code, 'EIO');
    assert.equal(error?.syscall, 'write');
    assert.equal(error?.errno, EIO);
    assert.match(error!.message, /^EIO: .*, write$/);
  });

  it('failing to wait for writability fails the write instead of hanging', () => {
    const s = scripted([EAGAIN], ENOMEM);
    const engine = new StreamWriteEngine(s.handle);
    let error: NodeJS.ErrnoException | undefined;
    engine.write([Buffer.from('x')], (err) => (error = err as NodeJS.ErrnoException));
    assert.equal(error?.code, 'ENOMEM');
    assert.equal(error?.syscall, 'epoll_ctl');
  });

  it('abort() drops a waiting write without calling back', () => {
    const s = scripted([EAGAIN]);
    const engine = new StreamWriteEngine(s.handle);
    let called = false;
    engine.write([Buffer.from('x')], () => (called = true));
    engine.abort();
    engine.onWritable();
    assert.equal(called, false);
    assert.equal(engine.pending, false);
  });
});
