// Hostile and boundary input on a channel: oversized headers (catalog B9),
// a corrupted stream (B12), size boundaries (B13), codec safety (B15).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { HEADER_SIZE, writeHeader } from '../../src/channel/frame.js';
import { channel, ErrorCode, pipe, PipeWriter, Receiver } from '../../src/index.js';
import { native } from '../../src/native.js';
import { exited, fixture, memScale, text, timeScale } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';

checkFdLeaks();

/** A receiver whose other end is a raw pipe writer we control byte by byte. */
function rawChannel<T>(options?: Parameters<typeof Receiver.fromFd<T>>[1]): { raw: PipeWriter; rx: Receiver<T> } {
  const { reader, writer } = pipe();
  return { raw: writer, rx: Receiver.fromFd<T>(reader.intoFd(), options) };
}

function frameOf(payload: Buffer): Buffer {
  const b = Buffer.alloc(HEADER_SIZE + payload.length);
  writeHeader(b, 0, payload.length);
  payload.copy(b, HEADER_SIZE);
  return b;
}

describe('channel limits and hostile input', () => {
  // catalog B9 (frame-too-large)
  it('a header claiming 0xFFFFFFFF bytes: IPCKIT_MESSAGE_TOO_LARGE at once, no memory taken, other channels unaffected', async () => {
    const healthy = channel<number>();
    const rss0 = process.memoryUsage().rss;
    const victims = Array.from({ length: 100 }, () => rawChannel<unknown>());
    const header = Buffer.alloc(HEADER_SIZE);
    writeHeader(header, 0, 0xffffffff);
    const started = performance.now();
    const results = await Promise.all(
      victims.map(async ({ raw, rx }) => {
        const p = rx.recv().then(
          () => 'delivered',
          (e: { code: string }) => e.code,
        );
        raw.write(header);
        raw.write(Buffer.alloc(4096, 1)); // followed by junk that must never be kept
        return p;
      }),
    );
    const ms = performance.now() - started;
    assert.deepEqual(new Set(results), new Set([ErrorCode.MESSAGE_TOO_LARGE]));
    assert.ok(ms < 100 * timeScale, `100 rejections took ${ms.toFixed(1)} ms`);
    const growth = process.memoryUsage().rss - rss0;
    assert.ok(growth < 10 * 1024 * 1024 * memScale, `RSS grew ${growth} bytes over 100 channels`);
    await healthy[0].send(7);
    assert.equal(await healthy[1].recv(), 7, 'another channel kept working');
    for (const { raw, rx } of victims) {
      raw.close();
      rx.close();
    }
    healthy[1].close();
    await healthy[0].close();
  });

  // catalog B12 (stream-corruption)
  for (const [what, corrupt] of [
    ['1,024 zero bytes spliced in', (good: Buffer) => Buffer.concat([Buffer.alloc(1024), good])],
    ['a flipped kind byte', (good: Buffer) => {
      const b = Buffer.from(good);
      b[5] = 0x02;
      return b;
    }],
  ] as const) {
    it(`${what} after 10 good messages: IPCKIT_PROTOCOL, nothing delivered after it`, async () => {
      const { raw, rx } = rawChannel<string>();
      for (let i = 0; i < 10; i++) raw.write(frameOf(Buffer.from(JSON.stringify(`m${i}`))));
      raw.write(corrupt(frameOf(Buffer.from(JSON.stringify('after')))));
      raw.write(frameOf(Buffer.from(JSON.stringify('later'))));
      for (let i = 0; i < 10; i++) assert.equal(await rx.recv(), `m${i}`);
      const t0 = performance.now();
      await assert.rejects(rx.recv(), { code: ErrorCode.PROTOCOL });
      assert.ok(performance.now() - t0 < 10 * timeScale);
      await assert.rejects(rx.recv(), { code: ErrorCode.CHANNEL_CLOSED });
      raw.close();
      rx.close();
    });
  }

  // catalog B13 (size-boundaries)
  it('every size up to the limit arrives byte-exact and in order; limit + 1 is refused before a byte is written', { timeout: 60_000 }, async () => {
    const MAX = 256 * 1024;
    const PIPE_BUF = native().PIPE_BUF;
    const sizes = [0, 1, PIPE_BUF - 1, PIPE_BUF, 65535, 65536, 65537, MAX - 1, MAX];
    const [tx, rx] = channel<Uint8Array>({ codec: 'bytes', maxMessageSize: MAX });
    const plan: number[] = [];
    for (let i = 0; i < 3000; i++) plan.push(i % 2 ? sizes[i % sizes.length]! : Math.floor(Math.random() * (MAX + 1)));
    const sending = (async () => {
      for (let i = 0; i < plan.length; i++) {
        const m = new Uint8Array(plan[i]!);
        for (let j = 0; j < m.length; j += 997) m[j] = (i + j) & 0xff;
        await tx.send(m);
      }
    })();
    for (let i = 0; i < plan.length; i++) {
      const m = await rx.recv();
      assert.equal(m.length, plan[i], `message ${i}`);
      for (let j = 0; j < m.length; j += 997) assert.equal(m[j], (i + j) & 0xff);
    }
    await sending;
    // limit + 1: refused by the sender, and the pipe stays empty
    await assert.rejects(tx.send(new Uint8Array(MAX + 1)), { code: ErrorCode.MESSAGE_TOO_LARGE });
    assert.throws(() => tx.sendSync(new Uint8Array(MAX + 1)), { code: ErrorCode.MESSAGE_TOO_LARGE });
    assert.equal(tx.trySend(new Uint8Array(1)), true);
    assert.equal((await rx.recv()).length, 1, 'the refused messages left no bytes behind');
    rx.close();
    await tx.close();
  });

  it('the default limit is 16 MiB: exactly 16 MiB passes, one byte more is refused', { timeout: 60_000 }, async () => {
    const [tx, rx] = channel({ codec: 'bytes' });
    const big = new Uint8Array(16 * 1024 * 1024).fill(3);
    const p = tx.send(big);
    const got = await rx.recv();
    await p;
    assert.equal(got.length, big.length);
    assert.ok(got[0] === 3 && got[got.length - 1] === 3);
    await assert.rejects(tx.send(new Uint8Array(16 * 1024 * 1024 + 1)), { code: ErrorCode.MESSAGE_TOO_LARGE });
    rx.close();
    await tx.close();
  });

  // catalog B15 (codec-safety)
  it('the JSON codec refuses __proto__ and constructor keys, however spelled, and pollutes nothing', async () => {
    const hostile = [
      '{"__proto__":{"polluted":1}}',
      '{"a":{"constructor":{"prototype":{"polluted":1}}}}',
      '{"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":1}}',
      '[{"x":1},{"__proto__":null}]',
    ];
    for (const text of hostile) {
      const { raw, rx } = rawChannel<unknown>();
      raw.write(frameOf(Buffer.from(text)));
      await assert.rejects(rx.recv(), { code: ErrorCode.DECODE_FAILED }, text);
      raw.close();
      rx.close();
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    // The words as values (not keys) are fine.
    const { raw, rx } = rawChannel<unknown>();
    raw.write(frameOf(Buffer.from('{"note":"__proto__ and constructor are just words here","u":"\\u00e9"}')));
    assert.deepEqual(await rx.recv(), { note: '__proto__ and constructor are just words here', u: 'é' });
    raw.close();
    rx.close();
  });

  it('the structured codec survives 20,000 mutated serializations in a child (errors, never a crash)', { timeout: 120_000 }, async () => {
    const child = spawn(process.execPath, [fixture('v8-fuzz'), '20000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [out, [code, signal]] = await Promise.all([text(child.stdout), exited(child)]);
    assert.equal(signal, null, 'the deserializer crashed the process');
    assert.equal(code, 0);
    const r = JSON.parse(out) as { runs: number; values: number; errors: number };
    assert.equal(r.values + r.errors, r.runs);
    assert.ok(r.errors > 0);
  });

  it('a stream ending mid-header or mid-payload is IPCKIT_INCOMPLETE_MESSAGE, never a partial value', async () => {
    for (const cut of [3, HEADER_SIZE, HEADER_SIZE + 5]) {
      const { raw, rx } = rawChannel<unknown>();
      raw.end(frameOf(Buffer.from('"a complete message"')).subarray(0, cut));
      await assert.rejects(rx.recv(), { code: ErrorCode.INCOMPLETE_MESSAGE }, `cut at ${cut}`);
      rx.close();
    }
  });
});
