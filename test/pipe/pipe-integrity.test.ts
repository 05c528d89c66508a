// Nothing lost, nothing duplicated: large transfers between processes with
// a stopped reader, full-duplex floods, random short writes, a signal storm,
// and exit right after writing (catalog A1, A2, A3, A4, A6).
import assert from 'node:assert/strict';
import { spawn as nodeSpawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { pipe, spawn } from '../../src/index.js';
import { exited, fixture, text } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';

checkFdLeaks();

function rand(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

describe('integrity', () => {
  // catalog A1 (pipe-1GiB-sigstop)
  it('1 GiB parent to child, reader SIGSTOPped 10 times: sha256 equal, no writer error', { timeout: 120_000 }, async () => {
    const TOTAL = 1024 * 1024 * 1024;
    const block = randomBytes(8 * 1024 * 1024);
    const { reader, writer } = pipe();
    const child = spawn(process.execPath, [fixture('sha256-reader')], { stdio: ['ignore', 'pipe', 'inherit', reader] });
    const report = text(child.stdout);
    const hash = createHash('sha256');
    let writerError: unknown;
    writer.on('error', (e) => (writerError = e));

    // The stop/continue schedule runs while the data flows; the last 64 MiB
    // are held back until it is done, so every stop lands mid-transfer.
    let stops = 0;
    const schedule = (async () => {
      for (let i = 0; i < 10; i++) {
        await delay(rand(10, 60));
        child.kill('SIGSTOP');
        await delay(rand(50, 500));
        child.kill('SIGCONT');
        stops++;
      }
    })();
    let sent = 0;
    let offset = 0;
    const write = (n: number): boolean => {
      const piece = block.subarray(offset, offset + n);
      offset = (offset + n) % block.length;
      hash.update(piece);
      sent += n;
      return writer.write(piece);
    };
    while (sent < TOTAL - 64 * 1024 * 1024) {
      if (!write(Math.min(rand(1, 4) * 1024 * 1024 - rand(0, 4096), TOTAL - 64 * 1024 * 1024 - sent, block.length - offset))) {
        await once(writer, 'drain');
      }
    }
    await schedule;
    while (sent < TOTAL) if (!write(Math.min(1024 * 1024, TOTAL - sent, block.length - offset))) await once(writer, 'drain');
    writer.end();
    const [out, [code]] = await Promise.all([report, exited(child)]);
    assert.equal(code, 0);
    assert.equal(writerError, undefined);
    assert.equal(stops, 10);
    assert.deepEqual(JSON.parse(out), { bytes: TOTAL, sha256: hash.digest('hex') });
  });

  // catalog A2 (full-duplex-no-deadlock), over pipes
  it('both sides queue 64 MiB before reading: no deadlock, 64 MiB each way (3 rounds)', { timeout: 60_000 }, async () => {
    for (let round = 0; round < 3; round++) {
      const down = pipe({ capacity: 65536 });
      const up = pipe({ capacity: 65536 });
      const child = spawn(process.execPath, [fixture('duplex-flood'), String(64 << 20)], {
        stdio: ['ignore', 'pipe', 'inherit', down.reader, up.writer],
      });
      const chunk = Buffer.alloc(1 << 20, 0xa5);
      for (let i = 0; i < 64; i++) down.writer.write(chunk);
      down.writer.end();
      let got = 0;
      up.reader.on('data', (c: Buffer) => (got += c.length));
      const [out] = await Promise.all([text(child.stdout), once(up.reader, 'end'), exited(child)]);
      assert.equal(Number(out), 64 << 20, 'child received');
      assert.equal(got, 64 << 20, 'parent received');
    }
  });

  // catalog A3 (short-write-eagain-fuzz), scaled to 3,000 writes
  it('3,000 writes of random size to a slow reader of random sizes: same bytes, every callback, bounded queue', { timeout: 60_000 }, async () => {
    const HWM = 256 * 1024;
    const { reader, writer } = pipe({ capacity: 65536, writer: { highWaterMark: HWM } });
    const sentHash = createHash('sha256');
    const gotHash = createHash('sha256');
    let callbacks = 0;
    let largest = 0;
    let peakQueued = 0;
    const errors: unknown[] = [];
    writer.on('error', (e) => errors.push(e));

    const consume = (async () => {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = await reader.readInto(buf, { length: rand(1, buf.length) });
        if (n === 0) return;
        gotHash.update(buf.subarray(0, n));
        if (Math.random() < 0.02) await delay(rand(1, 5));
        else if (Math.random() < 0.3) await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 3000; i++) {
      const size = Math.max(1, Math.floor(Math.exp(Math.random() * Math.log(1 << 20))));
      largest = Math.max(largest, size);
      const data = randomBytes(size);
      sentHash.update(data);
      const ok = writer.write(data, (err) => {
        if (err) errors.push(err);
        callbacks++;
      });
      peakQueued = Math.max(peakQueued, writer.writableLength);
      if (!ok) await once(writer, 'drain');
    }
    writer.end();
    await consume;
    await finished(writer);
    assert.deepEqual(errors, []);
    assert.equal(callbacks, 3000);
    assert.ok(peakQueued <= HWM + largest, `peak queue ${peakQueued} > ${HWM} + ${largest}`);
    assert.equal(gotHash.digest('hex'), sentHash.digest('hex'));
    reader.close();
  });

  // catalog A4 (eintr-storm), for pipe I/O
  it('20,000 SIGUSR1 (one every 100 µs) during async and blocking pipe I/O: no EINTR reaches the API, data intact', { timeout: 120_000 }, async () => {
    const child = nodeSpawn(process.execPath, [fixture('eintr-storm'), '20000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out = await text(child.stdout);
    const [code] = await exited(child);
    assert.equal(code, 0, out);
    const r = JSON.parse(out) as { errors: string[]; signals: number; rounds: number; ok: boolean };
    assert.deepEqual(r.errors, []);
    assert.equal(r.ok, true, 'every round delivered its data intact');
    assert.ok(r.signals >= 20000, `the storm stopped early: ${r.signals} signals in ${r.rounds} rounds`);
  });

  // catalog A6 (flush-before-exit)
  it('a child that writes 4 MiB, awaits the writer and exits delivers all of it (20/20)', { timeout: 60_000 }, async () => {
    const BYTES = 4 * 1024 * 1024;
    const expected = Buffer.alloc(BYTES);
    for (let i = 0; i < BYTES; i++) expected[i] = (i * 31 + (i >>> 11)) & 0xff;
    const want = createHash('sha256').update(expected).digest('hex');
    for (let run = 0; run < 20; run++) {
      const { reader, writer } = pipe();
      const child = spawn(process.execPath, [fixture('write-then-exit'), String(BYTES), 'flush'], { stdio: ['ignore', 'inherit', 'inherit', writer] });
      const hash = createHash('sha256');
      let n = 0;
      reader.on('data', (c: Buffer) => {
        n += c.length;
        hash.update(c);
      });
      await Promise.all([once(reader, 'end'), exited(child)]);
      assert.equal(n, BYTES, `run ${run}`);
      assert.equal(hash.digest('hex'), want);
    }
  });

  it('a child that exits without awaiting its writer says so on stderr instead of losing data silently', async () => {
    const { reader, writer } = pipe({ capacity: 65536 });
    const child = spawn(process.execPath, [fixture('write-then-exit'), String(4 << 20), 'exit'], { stdio: ['ignore', 'inherit', 'pipe', writer] });
    let n = 0;
    reader.on('data', (c: Buffer) => (n += c.length));
    const [err] = await Promise.all([text(child.stderr), once(reader, 'end'), exited(child)]);
    assert.ok(n < 4 << 20);
    assert.match(err, /ipckit: PipeWriter \(fd 3\) was not flushed before exit: \d+ bytes? not written/);
  });
});
