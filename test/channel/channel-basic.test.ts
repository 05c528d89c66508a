// Channels in one process: codecs, validation, ordering, the end of a
// channel, close semantics, timeouts without loss, backpressure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import * as v from 'valibot';
import { z } from 'zod';
import { channel, duplexChannel, ErrorCode, IpckitError, isChannelEnd, Receiver, Sender } from '../../src/index.js';
import { checkFdLeaks } from '../helpers/fds.js';

checkFdLeaks();

async function all<T>(rx: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of rx) out.push(x);
  return out;
}

describe('channel: sending and receiving', () => {
  it('delivers values in order and ends when the sender closes', async () => {
    const [tx, rx] = channel<{ i: number }>();
    for (let i = 0; i < 1000; i++) await tx.send({ i });
    await tx.close();
    const got = await all(rx);
    assert.deepEqual(
      got.map((x) => x.i),
      Array.from({ length: 1000 }, (_, i) => i),
    );
    await assert.rejects(rx.recv(), (err: IpckitError) => err.code === ErrorCode.CHANNEL_CLOSED && isChannelEnd(err));
    rx.close();
  });

  it('tryRecv, recvMany, recvSync and sendSync see the same stream', async () => {
    const [tx, rx] = channel<number>();
    assert.equal(rx.tryRecv(), undefined);
    await tx.send(1);
    await tx.send(2);
    await tx.send(3);
    tx.sendSync(4); // flushes 1-3 first, in order
    assert.equal(rx.recvSync(), 1);
    assert.equal(rx.tryRecv(), 2);
    assert.deepEqual(await rx.recvMany(), [3, 4]);
    await tx.send(5);
    assert.deepEqual(await rx.recvMany({ max: 1 }), [5]);
    await tx.close();
    assert.throws(() => rx.recvSync(), { code: ErrorCode.CHANNEL_CLOSED });
    assert.throws(() => rx.tryRecv(), { code: ErrorCode.CHANNEL_CLOSED });
    rx.close();
  });

  it('recv() waits for a value sent later; recvSync() times out with IPCKIT_TIMEOUT', async () => {
    const [tx, rx] = channel<string>();
    const p = rx.recv();
    setImmediate(() => void tx.send('later'));
    assert.equal(await p, 'later');
    assert.throws(() => rx.recvSync({ timeout: 20 }), { code: ErrorCode.TIMEOUT });
    rx.close();
    await tx.close();
  });

  it('a recv() given up (timeout, abort) loses nothing: the value goes to the next recv()', async () => {
    const [tx, rx] = channel<string>();
    await assert.rejects(rx.recv({ timeout: 5 }), { code: ErrorCode.TIMEOUT });
    const ac = new AbortController();
    const p = rx.recv({ signal: ac.signal });
    ac.abort(new Error('stop waiting'));
    await assert.rejects(p, /stop waiting/);
    await tx.send('kept');
    assert.equal(await rx.recv(), 'kept');
    rx.close();
    await tx.close();
  });

  it('several pending recv() calls are served in order', async () => {
    const [tx, rx] = channel<number>();
    const ps = [rx.recv(), rx.recv(), rx.recv()];
    await tx.send(1);
    await tx.send(2);
    await tx.send(3);
    assert.deepEqual(await Promise.all(ps), [1, 2, 3]);
    rx.close();
    await tx.close();
  });

  it('clones share one queue: frames from clones never interleave', async () => {
    const [tx, rx] = channel<string>({ codec: 'json', capacity: 65536 });
    const a = tx.clone();
    const b = tx.clone();
    const big = (c: string): string => c.repeat(200_000); // each far larger than the pipe
    const sends = [a.send(big('a')), b.send(big('b')), a.send(big('c')), tx.send(big('d'))];
    const got = [await rx.recv(), await rx.recv(), await rx.recv(), await rx.recv()];
    await Promise.all(sends);
    assert.deepEqual(
      got.map((s) => s[0]),
      ['a', 'b', 'c', 'd'],
    );
    for (const s of got) assert.equal(new Set(s).size, 1, 'a frame mixed with another');
    await a.close();
    await b.close();
    assert.equal(rx.tryRecv(), undefined, 'one clone still open: not the end yet');
    await tx.close();
    await assert.rejects(rx.recv(), { code: ErrorCode.CHANNEL_CLOSED });
    rx.close();
  });

  it('close() flushes what is queued before closing the pipe', async () => {
    const [tx, rx] = channel<number[]>({ capacity: 65536 });
    const payload = Array.from({ length: 10_000 }, (_, i) => i);
    for (let i = 0; i < 50; i++) void tx.send(payload); // ~2.5 MB queued, far more than the pipe
    const closing = tx.close();
    const got = await all(rx);
    await closing;
    assert.equal(got.length, 50);
    rx.close();
  });

  it('a duplex channel carries requests and responses both ways', async () => {
    const [client, server] = duplexChannel<{ q: number }, { a: number }>();
    const serving = (async () => {
      for await (const req of server as AsyncIterable<{ q: number }>) await server.send({ a: req.q * 2 });
      await server.close();
    })();
    assert.deepEqual(await client.request({ q: 21 }), { a: 42 });
    assert.deepEqual(await client.request({ q: 5 }), { a: 10 });
    await client.close();
    await serving;
  });
});

describe('channel: codecs', () => {
  it('json round-trips any JSON value (property)', async () => {
    const [tx, rx] = channel<unknown>();
    await fc.assert(
      // Values with a __proto__ or constructor key are refused by design
      // (tested in channel-limits); every other JSON value round-trips.
      fc.asyncProperty(
        fc.jsonValue().filter((v) => !/"(__proto__|constructor)":/.test(JSON.stringify(v))),
        async (value) => {
          await tx.send(value);
          assert.deepEqual(await rx.recv(), JSON.parse(JSON.stringify(value)));
        },
      ),
      { numRuns: 300 },
    );
    rx.close();
    await tx.close();
  });

  it('structured round-trips Map, Set, Date, BigInt, typed arrays and cycles (property + cases)', async () => {
    const [tx, rx] = channel<unknown>({ codec: 'structured' });
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    await tx.send(cyclic);
    const back = (await rx.recv()) as Record<string, unknown>;
    assert.equal(back.self, back);
    const rich = { m: new Map([[1, 'a']]), s: new Set([2n]), d: new Date(0), f: new Float64Array([1.5]), u: undefined };
    await tx.send(rich);
    assert.deepEqual(await rx.recv(), rich);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue(), fc.bigInt(), fc.date({ noInvalidDate: true }), fc.uint8Array(), fc.dictionary(fc.string(), fc.bigInt())),
        async (value) => {
          await tx.send(value);
          // What the structured clone algorithm gives back (a null-prototype
          // object comes back as a plain one, for instance).
          assert.deepEqual(await rx.recv(), deserialize(serialize(value)));
        },
      ),
      { numRuns: 200 },
    );
    rx.close();
    await tx.close();
  });

  it('bytes round-trips any Uint8Array (property), and refuses other values', async () => {
    const [tx, rx] = channel({ codec: 'bytes' });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 100_000 }), async (value) => {
        await tx.send(value);
        assert.deepEqual(Buffer.from(await rx.recv()), Buffer.from(value));
      }),
      { numRuns: 200 },
    );
    await assert.rejects(tx.send('text' as never), { code: ErrorCode.ENCODE_FAILED });
    rx.close();
    await tx.close();
  });

  it('a custom codec is used both ways; its failures are typed', async () => {
    const codec = {
      encode: (n: number) => Uint8Array.of(n),
      decode: (b: Uint8Array) => {
        if (b[0] === 255) throw new Error('no 255 here');
        return b[0]!;
      },
    };
    const [tx, rx] = channel<number>({ codec });
    await tx.send(7);
    assert.equal(await rx.recv(), 7);
    await tx.send(255);
    await assert.rejects(rx.recv(), { code: ErrorCode.DECODE_FAILED, message: /no 255 here/ });
    await assert.rejects(rx.recv(), { code: ErrorCode.CHANNEL_CLOSED }, 'the channel closed after a decode failure');
    rx.close();
    await tx.close();
    const [tx2, rx2] = channel<number>({ codec: { encode: () => 42 as never, decode: () => 0 } });
    await assert.rejects(tx2.send(1), { code: ErrorCode.ENCODE_FAILED });
    rx2.close();
    await tx2.close();
  });

  it('json refuses values it cannot encode, and nothing is sent', async () => {
    const [tx, rx] = channel<unknown>();
    await assert.rejects(tx.send(undefined), { code: ErrorCode.ENCODE_FAILED });
    await assert.rejects(tx.send(() => 1), { code: ErrorCode.ENCODE_FAILED });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(tx.send(cyclic), { code: ErrorCode.ENCODE_FAILED });
    await tx.send('ok');
    assert.equal(await rx.recv(), 'ok');
    rx.close();
    await tx.close();
  });
});

describe('channel: validation', () => {
  const schemaCases = [
    ['a function', (x: unknown) => {
      if (typeof (x as { n?: unknown }).n !== 'number') throw new Error('n must be a number');
      return x as { n: number };
    }],
    ['an async function', async (x: unknown) => {
      if (typeof (x as { n?: unknown }).n !== 'number') throw new Error('n must be a number');
      return x as { n: number };
    }],
    ['a zod schema', z.object({ n: z.number() })],
    ['a valibot schema', v.object({ n: v.number() })],
  ] as const;
  for (const [name, validate] of schemaCases) {
    it(`checks every received value with ${name}; a failure closes the channel`, async () => {
      const [tx, rx] = channel<{ n: number }>({ validate: validate as never });
      await tx.send({ n: 1 });
      assert.deepEqual(await rx.recv(), { n: 1 });
      await (tx as unknown as Sender<unknown>).send({ n: 'one' });
      await tx.send({ n: 2 });
      const err = await rx.recv().then(
        () => assert.fail('an invalid value was delivered'),
        (e: IpckitError & { issues?: unknown[] }) => e,
      );
      assert.equal(err.code, ErrorCode.VALIDATION_FAILED);
      if (name.includes('schema')) assert.ok(Array.isArray(err.issues) && err.issues.length > 0);
      await assert.rejects(rx.recv(), { code: ErrorCode.CHANNEL_CLOSED }, 'nothing after the invalid value');
      rx.close();
      await tx.close();
    });
  }

  it('recvSync refuses an asynchronous validator (IPCKIT_BUSY) without losing the value', async () => {
    const [tx, rx] = channel<number>({ validate: async (x) => x as number });
    tx.sendSync(1); // send() would flush on the next tick, after recvSync() blocked
    assert.throws(() => rx.recvSync(), { code: ErrorCode.BUSY });
    assert.equal(await rx.recv(), 1);
    rx.close();
    await tx.close();
  });

  it('the zod schema types the channel', async () => {
    const [tx, rx] = channel({ validate: z.object({ id: z.number(), tags: z.array(z.string()) }) });
    await tx.send({ id: 1, tags: ['a'] });
    const got = await rx.recv();
    const id: number = got.id; // compile-time check: inferred from the schema
    assert.equal(id, 1);
    rx.close();
    await tx.close();
  });
});

describe('channel: backpressure and the other side going away', () => {
  it('send() waits above the high-water mark and resumes as the receiver drains', async () => {
    const [tx, rx] = channel<string>({ highWaterMark: 100_000, capacity: 65536 });
    const chunk = 'x'.repeat(10_000);
    let pending: Promise<void> | undefined;
    let sent = 0;
    for (; sent < 1000; sent++) {
      const p = tx.send(chunk);
      let settled = false;
      void p.then(() => (settled = true));
      await new Promise((r) => setImmediate(r));
      if (!settled) {
        pending = p;
        break;
      }
    }
    assert.ok(pending, 'send() never applied backpressure');
    assert.ok(tx.bufferedBytes <= 100_000 + 10_008 + 10_008, `queued ${tx.bufferedBytes}`);
    let received = 0;
    while (received <= sent) {
      await rx.recv();
      received++;
    }
    await pending;
    await tx.close();
    rx.close();
  });

  it('trySend() refuses (queues nothing) above the high-water mark; ready() says when to retry', async () => {
    const [tx, rx] = channel<string>({ highWaterMark: 50_000, capacity: 65536 });
    let accepted = 0;
    while (tx.trySend('y'.repeat(5000))) accepted++;
    const before = tx.bufferedBytes;
    assert.equal(tx.trySend('z'), false);
    assert.equal(tx.bufferedBytes, before, 'a refused trySend queues nothing');
    const ready = tx.ready();
    for (let i = 0; i < accepted; i++) await rx.recv();
    await ready;
    assert.equal(tx.trySend('z'), true);
    assert.equal(await rx.recv(), 'z');
    rx.close();
    await tx.close();
  });

  it('sending after the receiver closed rejects with IPCKIT_CHANNEL_CLOSED (cause EPIPE), never killing the process', async () => {
    const [tx, rx] = channel<number>();
    rx.close();
    await tx.send(1).catch(() => {}); // may be accepted into the queue before the write fails
    await new Promise((r) => setImmediate(r));
    const err = await tx.send(2).then(
      () => assert.fail('send succeeded'),
      (e: IpckitError) => e,
    );
    assert.equal(err.code, ErrorCode.CHANNEL_CLOSED);
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'EPIPE');
    assert.throws(() => tx.sendSync(3), { code: ErrorCode.CHANNEL_CLOSED });
    await tx.close();
  });

  it('a sender learns the receiver is gone without sending (peerClosed)', async () => {
    const [tx, rx] = channel();
    const gone = tx.peerClosed();
    rx.close();
    await gone;
    await tx.close();
  });
});

describe('channel: keeping the process alive', () => {
  it('an open channel nobody waits on lets the process exit; a waiting recv() keeps it alive', async () => {
    const { spawn } = await import('node:child_process');
    const { exited, text } = await import('../helpers/children.js');
    const src = JSON.stringify(new URL('../../src/index.js', import.meta.url).href);
    const idle = spawn(process.execPath, ['--input-type=module', '-e', `import { channel } from ${src}; const [tx, rx] = channel(); await tx.send(1); console.log('left open');`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [out, [code]] = await Promise.all([text(idle.stdout), exited(idle)]);
    assert.equal(code, 0);
    assert.equal(out.trim(), 'left open');
    const waiting = spawn(process.execPath, ['--input-type=module', '-e', `import { channel } from ${src}; const [tx, rx] = channel(); setTimeout(() => tx.send('late'), 50); console.log(await rx.recv());`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [out2] = await Promise.all([text(waiting.stdout), exited(waiting)]);
    assert.equal(out2.trim(), 'late', 'the process exited while recv() waited');
  });
});

describe('channel: after close', () => {
  it('every Sender and Receiver method throws or rejects with IPCKIT_CLOSED', async () => {
    const [tx, rx] = channel<number>();
    await tx.close();
    await tx.close(); // idempotent
    rx.close();
    rx.close();
    const closed = { code: ErrorCode.CLOSED };
    assert.throws(() => tx.fd, closed);
    await assert.rejects(tx.send(1), closed);
    assert.throws(() => tx.sendSync(1), closed);
    assert.throws(() => tx.trySend(1), closed);
    assert.throws(() => tx.clone(), closed);
    await assert.rejects(tx.ready(), closed);
    await assert.rejects(tx.peerClosed(), closed);
    assert.throws(() => rx.fd, closed);
    await assert.rejects(rx.recv(), closed);
    assert.throws(() => rx.recvSync(), closed);
    assert.throws(() => rx.tryRecv(), closed);
    await assert.rejects(rx.recvMany(), closed);
    assert.throws(() => rx.ref(), closed);
    assert.throws(() => rx.unref(), closed);
  });

  it('recv() calls waiting when the receiver closes reject with IPCKIT_CLOSED', async () => {
    const [tx, rx] = channel();
    const p = rx.recv();
    rx.close();
    await assert.rejects(p, { code: ErrorCode.CLOSED });
    await tx.close();
  });

  it('bad options are IPCKIT_INVALID_ARGUMENT', () => {
    for (const bad of [
      { codec: 'yaml' },
      { codec: { encode: 1 } },
      { validate: 42 },
      { maxMessageSize: -1 },
      { maxMessageSize: 200 * 1024 * 1024 },
      { highWaterMark: 0 },
      { shared: 'yes' },
      { capacity: -5 },
    ]) {
      assert.throws(() => channel(bad as never), { code: ErrorCode.INVALID_ARGUMENT }, JSON.stringify(bad));
    }
    assert.throws(() => Receiver.fromFd(-1), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => Sender.fromFd(1.5), { code: ErrorCode.INVALID_ARGUMENT });
  });
});
