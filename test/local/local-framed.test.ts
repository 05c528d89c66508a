// Framed connections: typed messages over stream sockets, in order and
// whole; hostile and broken input (oversized headers, garbage, bad JSON, a
// peer dying mid-frame: catalog C24) gives typed errors with bounded memory
// and no partial message; backpressure; request/response.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, createConnection, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { connect, ErrorCode, framed, listen, socketPair, type FramedConnection } from '../../src/index.js';
import { cHelper } from '../helpers/cc.js';
import { timeScale } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';
import { tmpDir } from '../helpers/tmp.js';

checkFdLeaks();
const tmp = tmpDir();
let n = 0;
const sock = (): string => tmp.path(`f${n++}`);

/** A frame header of the wire format (docs/channels.md). */
function header(length: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(length >>> 0, 0);
  h[4] = 0xa5;
  h[5] = 1;
  h.writeUInt16LE(((length >>> 0) ^ (length >>> 16) ^ 0x4b49) & 0xffff, 6);
  return h;
}

function pair<T>(options?: Parameters<typeof framed>[1]): [FramedConnection<T>, FramedConnection<T>] {
  const [a, b] = socketPair('stream');
  return [framed<T>(a, options as never), framed<T>(b, options as never)];
}

describe('framed connections', () => {
  it('20,000 messages each way arrive whole, in order, none lost or duplicated', async () => {
    const [a, b] = pair<{ seq: number; text: string }>();
    const total = 20_000;
    const sent = createHash('sha256');
    const sending = (async () => {
      for (let seq = 0; seq < total; seq++) {
        const m = { seq, text: 'x'.repeat(seq % 300) };
        sent.update(JSON.stringify(m));
        await a.send(m);
      }
      await a.end();
    })();
    const got = createHash('sha256');
    let next = 0;
    for await (const m of b) {
      assert.equal(m.seq, next++);
      got.update(JSON.stringify(m));
    }
    await sending;
    assert.equal(next, total);
    assert.equal(got.digest('hex'), sent.digest('hex'));
    a.close();
    b.close();
  });

  it('request(): pipelined requests get their own answers, in order', async () => {
    const [client, server] = pair<number>();
    (async () => {
      for await (const x of server) await server.send(x * x);
    })();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => client.request(i)));
    assert.deepEqual(answers, Array.from({ length: 200 }, (_, i) => i * i));
    client.close();
    server.close();
  });

  it('a request that cannot be sent takes no message: the next one goes to the next receive', async () => {
    const [client, server] = pair<unknown>();
    await assert.rejects(client.request(10n), { code: ErrorCode.ENCODE_FAILED });
    await server.send('first');
    assert.equal(await client.recv({ timeout: 5000 * timeScale }), 'first');
    client.close();
    await assert.rejects(client.request(1), { code: ErrorCode.CLOSED });
    server.close();
  });

  it('large messages (8 MiB, bytes codec) both ways, and maxMessageSize enforced on both sides', async () => {
    const [a, b] = pair<Uint8Array>({ codec: 'bytes' });
    const big = Buffer.alloc(8 << 20);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
    const arriving = b.recv();
    await a.send(big);
    big.fill(0); // the sender copied it: changing ours now changes nothing
    const got = Buffer.from(await arriving);
    for (let i = 0; i < got.length; i += 4 << 10) assert.equal(got.readUInt32LE(i), i);
    a.close();
    b.close();

    const [small, large] = (() => {
      const [x, y] = socketPair('stream');
      return [framed<Uint8Array>(x, { codec: 'bytes', maxMessageSize: 1000 }), framed<Uint8Array>(y, { codec: 'bytes', maxMessageSize: 1 << 20 })];
    })();
    await assert.rejects(small.send(Buffer.alloc(1001)), { code: ErrorCode.MESSAGE_TOO_LARGE });
    await small.send(Buffer.from('fits'));
    assert.equal(Buffer.from(await large.recv()).toString(), 'fits', 'the refused message wrote nothing');
    await large.send(Buffer.alloc(500));
    await large.send(Buffer.alloc(2000));
    assert.equal((await small.recv()).length, 500, 'messages before the bad one still arrive');
    await assert.rejects(small.recv(), { code: ErrorCode.MESSAGE_TOO_LARGE });
    await assert.rejects(small.recv(), { code: ErrorCode.MESSAGE_TOO_LARGE }, 'the connection stays failed');
    assert.equal(small.closed, true);
    small.close();
    large.close();
  });

  it('a header claiming 4 GiB is refused from the header, without allocating', async () => {
    const [raw, other] = socketPair('stream');
    const conn = framed(other);
    const before = process.memoryUsage().arrayBuffers;
    raw.write(Buffer.concat([header(0xffffffff), Buffer.alloc(1000)]));
    await assert.rejects(conn.recv(), { code: ErrorCode.MESSAGE_TOO_LARGE, message: /4294967295/ });
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 << 20, 'no buffer for the claimed size');
    raw.close();
    conn.close();
  });

  it('garbage is IPCKIT_PROTOCOL; bad JSON and prototype keys are IPCKIT_DECODE_FAILED', async () => {
    for (const [bytes, code] of [
      [Buffer.from('GET / HTTP/1.1\r\n\r\n'), ErrorCode.PROTOCOL],
      [Buffer.concat([header(5), Buffer.from('{oops')]), ErrorCode.DECODE_FAILED],
      [Buffer.concat([header(28), Buffer.from('{"__proto__":{"polluted":1}}')]), ErrorCode.DECODE_FAILED],
    ] as const) {
      const [raw, other] = socketPair('stream');
      raw.on('error', () => {});
      const conn = framed(other);
      raw.write(bytes);
      await assert.rejects(conn.recv(), { code });
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      raw.close();
      conn.close();
    }
  });

  it('validate: failures close the connection; async validators keep the order', async () => {
    const [a, b] = socketPair('stream');
    const tx = framed<number>(a);
    const rx = framed<number>(b, {
      validate: async (v) => {
        if (typeof v !== 'number') throw new Error('not a number');
        await new Promise((r) => setImmediate(r));
        return v;
      },
    });
    for (const v of [1, 2, 3]) await tx.send(v);
    await (tx as unknown as FramedConnection<unknown>).send('four');
    await tx.send(5);
    assert.deepEqual([await rx.recv(), await rx.recv(), await rx.recv()], [1, 2, 3]);
    await assert.rejects(rx.recv(), { code: ErrorCode.VALIDATION_FAILED });
    tx.close();
    rx.close();
  });

  it('backpressure: send() waits while the peer does not read, and nothing is lost', async () => {
    const [a, b] = socketPair('stream');
    const tx = framed<Uint8Array>(a, { codec: 'bytes', highWaterMark: 64 << 10 });
    const rx = framed<Uint8Array>(b, { codec: 'bytes' });
    b.pause(); // the receiving stream reads nothing for now
    const chunk = Buffer.alloc(16 << 10, 1);
    let resolved = 0;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) sends.push(tx.send(chunk).then(() => void resolved++));
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    assert.ok(resolved < 200, `only some sends may complete while nothing is read (${resolved})`);
    b.resume();
    let count = 0;
    while (count < 200) count += (await rx.recvMany()).length;
    await Promise.all(sends);
    assert.equal(count, 200);
    tx.close();
    rx.close();
  });

  it('end: the peer iterates to the end; afterwards sends are refused, recv gives IPCKIT_PEER_CLOSED; timeout and abort', async () => {
    const [a, b] = pair<string>();
    await assert.rejects(b.recv({ timeout: 5 }), { code: ErrorCode.TIMEOUT });
    const ac = new AbortController();
    const aborted = b.recv({ signal: ac.signal });
    ac.abort(new Error('enough'));
    await assert.rejects(aborted, { message: 'enough' });
    await a.send('last words');
    await a.end();
    const got: string[] = [];
    for await (const m of b) got.push(m);
    assert.deepEqual(got, ['last words']);
    await assert.rejects(b.recv(), { code: ErrorCode.PEER_CLOSED });
    assert.throws(() => b.tryRecv(), { code: ErrorCode.PEER_CLOSED });
    await assert.rejects(a.send('more'), { code: ErrorCode.CLOSED });
    await b.send('reply after their end'); // half-close: b can still answer
    assert.equal(await a.recv(), 'reply after their end');
    a.close();
    b.close();
    await assert.rejects(b.send('x'), { code: ErrorCode.CLOSED });
    await assert.rejects(b.recv(), { code: ErrorCode.CLOSED });
  });

  it('works over a net.Socket too', async () => {
    const path = sock();
    const server = createServer((s: Socket) => {
      const conn = framed<string>(s);
      (async () => {
        for await (const m of conn) await conn.send(m.toUpperCase());
        conn.close();
      })();
    });
    server.listen(path);
    await once(server, 'listening');
    const c = framed<string>(createConnection(path));
    assert.equal(await c.request('net'), 'NET');
    c.close();
    await new Promise((r) => server.close(r));
  });

  it('framed() and codecs validate their arguments', () => {
    assert.throws(() => framed(42 as never), { code: ErrorCode.INVALID_ARGUMENT });
    const [a, b] = socketPair('stream');
    assert.throws(() => framed(a, { codec: 'yaml' as never }), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => framed(a, { maxMessageSize: 1 << 30 }), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => framed(a, { codec: 'structured' }), { code: ErrorCode.INVALID_ARGUMENT, message: /trusted/ });
    framed(a, { codec: 'structured', trusted: true }).close();
    b.close();
  });

  it('listen and connect with a codec: a request/response service in a few lines', async () => {
    const path = sock();
    const listener = listen<{ a: number; b: number }, number>(path, { codec: 'json' });
    (async () => {
      for await (const conn of listener) {
        (async () => {
          for await (const { a, b } of conn) await conn.send(a + b);
          conn.close();
        })();
      }
    })();
    const c = await connect<number, { a: number; b: number }>(path, { codec: 'json' });
    assert.equal(await c.request({ a: 2, b: 3 }), 5);
    c.close();
    await listener.close();
  });

  // catalog C24 (abrupt-peer-death)
  it('a peer killed at a random byte of a frame, 1,000 times: every whole message, then IPCKIT_INCOMPLETE_MESSAGE, never a partial one', { timeout: 120_000 }, async () => {
    const killer = cHelper('frame-killer');
    const path = sock();
    const listener = listen<Uint8Array>(path, { codec: 'bytes' });
    const conns = listener[Symbol.asyncIterator]();
    const latencies: number[] = [];
    for (let trial = 0; trial < 1000; trial++) {
      const complete = trial % 4;
      const partial = trial % 108; // 0: dies between frames
      const child = spawn(killer, [path, String(complete), String(partial)], { stdio: 'ignore' });
      const died = once(child, 'exit').then(() => performance.now());
      const { value: conn } = await conns.next();
      const messages: Uint8Array[] = [];
      let error: IpckitError | undefined;
      for (;;) {
        try {
          messages.push(await conn!.recv());
        } catch (err) {
          error = err as IpckitError;
          break;
        }
      }
      const detected = performance.now();
      latencies.push(detected - (await died));
      assert.equal(messages.length, complete, `trial ${trial}: whole messages only`);
      for (const m of messages) assert.equal(m.length, 100);
      assert.equal(error?.code, partial === 0 ? ErrorCode.PEER_CLOSED : ErrorCode.INCOMPLETE_MESSAGE, `trial ${trial}`);
      conn!.close();
    }
    await listener.close();
    latencies.sort((x, y) => x - y);
    const median = latencies[latencies.length >> 1]!;
    assert.ok(median < 100 * timeScale, `median detection ${median.toFixed(1)} ms`);
  });
});

type IpckitError = Error & { code: string };
