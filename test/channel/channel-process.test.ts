// Channels between processes: a million messages in order, request and
// response, flush before exit, backpressure with a paused receiver, a
// sender killed mid-frame, several processes sharing one sender.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { channel, duplexChannel, ErrorCode, isChannelEnd, pipe, Receiver, spawn } from '../../src/index.js';
import { exited, fixture, memScale, timeScale } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';

checkFdLeaks();

function child(args: string[], channels: Record<string, never> | Record<string, unknown>, stdio: unknown[] = ['ignore', 'pipe', 'inherit']) {
  return spawn(process.execPath, [fixture('channel-child'), ...args], { stdio: stdio as never, channels: channels as never });
}

describe('channels between processes', () => {
  it('1,000,000 messages from a child arrive in order, none lost or duplicated', { timeout: 120_000 }, async () => {
    const [tx, rx] = channel<{ i: number }>();
    const c = child(['count', '1000000'], { out: tx });
    let expected = 0;
    for (;;) {
      let batch: { i: number }[];
      try {
        batch = await rx.recvMany();
      } catch (err) {
        assert.ok(isChannelEnd(err), String(err));
        break;
      }
      for (const m of batch) {
        assert.equal(m.i, expected, 'out of order, lost or duplicated');
        expected++;
      }
    }
    assert.equal(expected, 1_000_000);
    assert.deepEqual(await exited(c), [0, null]);
    rx.close();
  });

  it('request/response with a child over a duplex channel handed over by name', async () => {
    const [mine, theirs] = duplexChannel<{ q: number }, { a: number }>();
    const c = child(['echo'], { rpc: theirs });
    for (let q = 0; q < 200; q++) assert.deepEqual(await mine.request({ q }), { a: q * 2 });
    await mine.close();
    assert.deepEqual(await exited(c), [0, null]);
  });

  // catalog A6 (flush-before-exit), for channels
  it('a child that sends 4 MiB, awaits close() and exits delivers everything (20/20)', { timeout: 60_000 }, async () => {
    for (let run = 0; run < 20; run++) {
      const [tx, rx] = channel<Uint8Array>({ codec: 'bytes' });
      const c = child(['bulk', String(4 << 20)], { out: tx });
      let bytes = 0;
      let n = 0;
      for await (const m of rx) {
        assert.ok(m.every((b) => b === (n & 0xff)), 'a message was corrupted');
        bytes += m.length;
        n++;
      }
      assert.equal(bytes, 4 << 20, `run ${run}`);
      assert.deepEqual(await exited(c), [0, null]);
      rx.close();
    }
  });

  // catalog B14 (bounded-backpressure)
  it('a paused receiver holds the sender to its high-water mark, then everything arrives in order', { timeout: 60_000 }, async () => {
    const N = 4096;
    const SIZE = 64 * 1024; // 256 MiB in all
    const [tx, rx] = channel<Uint8Array>({ codec: 'bytes' });
    const c = child(['blocked', String(N), String(SIZE)], { out: tx });
    const lines = c.stdout!;
    let out = '';
    lines.on('data', (d) => (out += String(d)));
    // Take nothing until the sender reports that send() had to wait.
    while (!out.includes('blocked')) await once(lines, 'data');
    let i = 0;
    for await (const m of rx) {
      assert.equal(new DataView(m.buffer, m.byteOffset).getUint32(0), i, 'out of order');
      i++;
    }
    await exited(c);
    assert.equal(i, N);
    const stats = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { maxQueued: number; rssGrowth: number };
    assert.ok(stats.maxQueued <= (1 << 20) + SIZE + 8, `queued ${stats.maxQueued}`);
    assert.ok(stats.rssGrowth < (2 * (1 << 20) + (16 << 20)) * memScale, `sender RSS grew ${stats.rssGrowth}`);
    rx.close();
  });

  // catalog C24 (abrupt-peer-death), over a channel
  it('SIGKILL of a sender in the middle of a frame: only whole messages, then IPCKIT_INCOMPLETE_MESSAGE (10 trials)', { timeout: 60_000 }, async () => {
    for (let trial = 0; trial < 10; trial++) {
      const { reader, writer } = pipe();
      const announced = 1 << 20;
      const sent = Math.floor(Math.random() * (announced - 1));
      const c = spawn(process.execPath, [fixture('channel-child'), 'partial', String(announced), String(sent)], { stdio: ['ignore', 'pipe', 'inherit', writer] });
      const rx = Receiver.fromFd<Uint8Array>(reader.intoFd(), { codec: 'bytes' });
      let out = '';
      c.stdout!.on('data', (d) => (out += String(d)));
      while (!out.includes('written')) await once(c.stdout!, 'data');
      const killedAt = performance.now();
      c.kill('SIGKILL');
      await assert.rejects(rx.recv(), { code: ErrorCode.INCOMPLETE_MESSAGE });
      const ms = performance.now() - killedAt;
      assert.ok(ms < 100 * timeScale, `detected after ${ms.toFixed(1)} ms`);
      await assert.rejects(rx.recv(), { code: ErrorCode.CHANNEL_CLOSED });
      await exited(c);
      rx.close();
    }
  });

  it('a Sender killed at a random moment while streaming: every delivered message is whole', { timeout: 60_000 }, async () => {
    for (let trial = 0; trial < 5; trial++) {
      const [tx, rx] = channel<Uint8Array>({ codec: 'bytes' });
      const c = child(['checksummed'], { out: tx });
      let out = '';
      c.stdout!.on('data', (d) => (out += String(d)));
      while (!out.includes('sending')) await once(c.stdout!, 'data');
      // The kill lands wherever the sender happens to be (the randomness is the scenario).
      setTimeout(() => c.kill('SIGKILL'), Math.random() * 20);
      let n = 0;
      let end: unknown;
      for (;;) {
        let m: Uint8Array;
        try {
          m = await rx.recv();
        } catch (err) {
          end = err;
          break;
        }
        assert.equal(m.length, 1 << 20);
        assert.equal(new DataView(m.buffer, m.byteOffset).getUint32(0), n);
        assert.equal(m[m.length - 1], n & 0xff, 'a partial message was delivered');
        n++;
      }
      const code = (end as { code?: string }).code;
      assert.ok(code === ErrorCode.INCOMPLETE_MESSAGE || code === ErrorCode.CHANNEL_CLOSED, String(end));
      await exited(c);
      rx.close();
    }
  });

  it('8 processes sharing one sender fd (shared: true): no message torn or interleaved', { timeout: 60_000 }, async () => {
    const [tx, rx] = channel<{ id: number; i: number; pad: string }>();
    const fd = tx.fd;
    const N = 2000;
    const kids = Array.from({ length: 8 }, (_, id) =>
      spawn(process.execPath, [fixture('channel-child'), 'shared', String(id), String(N)], { stdio: ['ignore', 'inherit', 'inherit', fd] }),
    );
    await tx.close();
    const next = new Array<number>(8).fill(0);
    let total = 0;
    for await (const m of rx) {
      assert.equal(m.pad.length, 3000);
      assert.equal(m.i, next[m.id], `process ${m.id}: out of order`);
      next[m.id]!++;
      total++;
    }
    assert.equal(total, 8 * N);
    for (const k of kids) assert.deepEqual(await exited(k), [0, null]);
    rx.close();
  });

  it('a shared sender refuses a message that cannot be written atomically', async () => {
    const [tx, rx] = channel<string>({ shared: true });
    await assert.rejects(tx.send('x'.repeat(5000)), { code: ErrorCode.MESSAGE_TOO_LARGE, message: /PIPE_BUF/ });
    await tx.send('fits');
    assert.equal(await rx.recv(), 'fits');
    rx.close();
    await tx.close();
  });
});

describe('channels and worker threads', () => {
  it('ends handed to a worker with intoFd() carry 100,000 values there and a reply back', async () => {
    const { Worker } = await import('node:worker_threads');
    const [toWorker, workerRx] = channel<number>();
    const [workerTx, fromWorker] = channel<{ sum: number; count: number }>();
    // Each end is a virgin fd here: nothing read ahead, nothing queued.
    const w = new Worker(fixture('worker-channel'), { workerData: { rx: workerRx.intoFd(), tx: workerTx.intoFd() } });
    const exit = once(w, 'exit'); // listen now: the worker may be gone before we await it
    let expected = 0;
    for (let i = 0; i < 100_000; i++) {
      expected += i;
      await toWorker.send(i);
    }
    await toWorker.close();
    assert.deepEqual(await fromWorker.recv(), { sum: expected, count: 100_000 });
    fromWorker.close();
    assert.equal((await exit)[0], 0);
  });

  it('intoFd() refuses to hand over an end that would lose data (IPCKIT_BUSY)', async () => {
    const [tx, rx] = channel<number>();
    await tx.send(1);
    await tx.send(2);
    assert.throws(() => tx.intoFd(), { code: ErrorCode.BUSY }, 'queued');
    assert.equal(await rx.recv(), 1); // 2 arrived in the same read: it is buffered now
    assert.throws(() => rx.intoFd(), { code: ErrorCode.BUSY }, 'read ahead');
    rx.close();
    await tx.close();
  });
});
