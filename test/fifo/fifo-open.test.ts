// FIFOs: creation with an exact mode, opening that never blocks, refusal
// of what is not a FIFO of ours (catalog F34), atomic records (F35).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createFifo, ErrorCode, openFifo, type PipeReader, type PipeWriter } from '../../src/index.js';
import { native } from '../../src/native.js';
import { exited, fixture, SOAK, text, timeScale } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';

checkFdLeaks();

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ipckit-fifo-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(dir, `f${n++}`);

describe('createFifo', () => {
  it('creates a FIFO with exactly 0600 by default, and exactly the mode asked, whatever the umask', () => {
    const old = process.umask(0o077);
    try {
      const a = fresh();
      createFifo(a);
      assert.ok(lstatSync(a).isFIFO());
      assert.equal(lstatSync(a).mode & 0o7777, 0o600);
      const b = fresh();
      createFifo(b, { mode: 0o640 }); // the umask alone would give 0600
      assert.equal(lstatSync(b).mode & 0o7777, 0o640);
    } finally {
      process.umask(old);
    }
    const old2 = process.umask(0);
    try {
      const c = fresh();
      createFifo(c);
      assert.equal(lstatSync(c).mode & 0o7777, 0o600, 'umask 000 does not widen the default');
    } finally {
      process.umask(old2);
    }
  });

  it('changes the mode only through an fd, never the path (strace)', async (t) => {
    const probe = spawn('strace', ['-V'], { stdio: 'ignore' });
    const [code] = await exited(probe).catch(() => [1]);
    if (code !== 0) return t.skip('strace is not installed');
    const path = fresh();
    const child = spawn('strace', ['-f', '-e', 'trace=chmod,fchmodat,fchmod,mknodat,mknod', process.execPath, fixture('make-fifo'), path, String(0o640)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env },
    });
    const [err] = await Promise.all([text(child.stderr), exited(child)]);
    assert.match(err, /mknod(at)?\(.*S_IFIFO\|0640/);
    assert.doesNotMatch(err, /\b(chmod|fchmodat)\(/, 'a path-based chmod happened');
  });

  it('refuses a path that exists (EEXIST) and bad arguments', () => {
    const p = fresh();
    writeFileSync(p, 'x');
    assert.throws(() => createFifo(p), { code: 'EEXIST', syscall: 'mkfifo', path: p });
    assert.throws(() => createFifo(''), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => createFifo(fresh(), { mode: 0o10000 }), { code: ErrorCode.INVALID_ARGUMENT });
  });
});

describe('openFifo', () => {
  it('a reader opens at once; a writer waits for a reader without lagging the event loop (F34 d, e)', async () => {
    const p = fresh();
    createFifo(p);
    const lag = monitorEventLoopDelay({ resolution: 1 });
    lag.enable();
    // The writer waits: there is no reader yet.
    let writer: PipeWriter | undefined;
    const opening = openFifo(p, 'w').then((w) => (writer = w));
    const reader = await openFifo(p, 'r');
    await opening;
    lag.disable();
    assert.ok(lag.max / 1e6 < 10 * timeScale, `event loop lag ${(lag.max / 1e6).toFixed(1)} ms`);
    writer!.end('through the fifo');
    let got = '';
    for await (const c of reader) got += String(c);
    assert.equal(got, 'through the fifo');
  });

  it('a reader opened before any writer waits for one instead of ending at once', async () => {
    const p = fresh();
    createFifo(p);
    const reader = await openFifo(p, 'r');
    const buf = Buffer.alloc(16);
    const pending = reader.readInto(buf);
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'no false end of stream before a writer came');
    const w = await openFifo(p, 'w');
    w.end('late');
    assert.equal(await pending, 4);
    assert.equal(await reader.readInto(buf), 0, 'the end, once the writer left');
    reader.close();
  });

  it('a writer gives up with IPCKIT_TIMEOUT, or when aborted', async () => {
    const p = fresh();
    createFifo(p);
    await assert.rejects(openFifo(p, 'w', { timeout: 30 }), { code: ErrorCode.TIMEOUT });
    const ac = new AbortController();
    const opening = openFifo(p, 'w', { signal: ac.signal });
    ac.abort(new Error('never mind'));
    await assert.rejects(opening, /never mind/);
  });

  it('refuses a symlink to a FIFO (ELOOP), a regular file, and a missing path (F34 a, b)', async () => {
    const target = fresh();
    createFifo(target);
    const link = fresh();
    symlinkSync(target, link);
    await assert.rejects(openFifo(link, 'r'), { code: 'ELOOP', syscall: 'open', path: link });
    const file = fresh();
    writeFileSync(file, 'not a fifo');
    await assert.rejects(openFifo(file, 'r'), { code: ErrorCode.NOT_FIFO });
    await assert.rejects(openFifo(file, 'w'), { code: ErrorCode.NOT_FIFO });
    await assert.rejects(openFifo(fresh(), 'r'), { code: 'ENOENT' });
    await assert.rejects(openFifo(dir, 'r'), { code: ErrorCode.NOT_FIFO });
  });

  it('refuses a FIFO owned by another user unless allowed (F34 c)', { skip: process.getuid?.() === 0 ? false : 'making a FIFO owned by another user needs root' }, async () => {
    const p = fresh();
    createFifo(p, { mode: 0o666 });
    const { chownSync } = await import('node:fs');
    chownSync(p, 65534, 65534);
    await assert.rejects(openFifo(p, 'r'), { code: ErrorCode.FOREIGN_OWNER });
    const r: PipeReader = await openFifo(p, 'r', { allowForeignOwner: true });
    r.close();
  });

  it('leaves no fd behind when refusing', async () => {
    const before = readdirSync('/proc/self/fd').length;
    const file = fresh();
    writeFileSync(file, 'x');
    for (let i = 0; i < 20; i++) await openFifo(file, 'r').catch(() => {});
    assert.equal(readdirSync('/proc/self/fd').length, before);
  });
});

describe('atomic records (F35)', () => {
  // 20,000 records per writer here; the catalog's 100,000 under `npm run soak`.
  const N = SOAK ? 100_000 : 20_000;
  it(`8 writer processes x ${N.toLocaleString('en')} records of PIPE_BUF bytes into one FIFO: none torn or interleaved`, { timeout: SOAK ? 1_200_000 : 120_000 }, async () => {
    const p = fresh();
    createFifo(p);
    const reader = await openFifo(p, 'r');
    const size = native().PIPE_BUF;
    const kids = Array.from({ length: 8 }, (_, id) =>
      spawn(process.execPath, [fixture('fifo-records'), p, String(id), String(N), 'record'], { stdio: ['ignore', 'ignore', 'inherit'] }),
    );
    const counts = new Array<number>(8).fill(0);
    let rest: Buffer = Buffer.alloc(0);
    let torn = 0;
    for await (const chunk of reader) {
      let buf: Buffer = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      while (buf.length >= size) {
        const id = buf[0]!;
        const seq = buf.readUInt32LE(1);
        if (id >= 8 || seq !== counts[id] || buf[size - 1] !== id) torn++;
        else counts[id]!++;
        buf = buf.subarray(size);
      }
      rest = buf;
    }
    for (const k of kids) assert.deepEqual(await exited(k), [0, null]);
    assert.equal(torn, 0);
    assert.deepEqual(counts, new Array(8).fill(N));
  });

  it('writeRecord refuses a record above PIPE_BUF, writing nothing', async () => {
    const p = fresh();
    createFifo(p);
    const reader = await openFifo(p, 'r');
    const writer = await openFifo(p, 'w');
    await assert.rejects(writer.writeRecord(Buffer.alloc(native().PIPE_BUF + 1)), { code: ErrorCode.MESSAGE_TOO_LARGE });
    await writer.writeRecord(Buffer.from('ok'));
    writer.end();
    let got = '';
    for await (const c of reader) got += String(c);
    assert.equal(got, 'ok');
  });

  it('control: 2 x PIPE_BUF writes from several processes do tear, which is why the limit exists', { timeout: 120_000 }, async () => {
    const p = fresh();
    createFifo(p);
    const reader = await openFifo(p, 'r');
    // One page: every write above PIPE_BUF must be split, so with several
    // writers another one's bytes get in between.
    reader.setCapacity(4096);
    const size = 2 * native().PIPE_BUF;
    const kids = Array.from({ length: 8 }, (_, id) =>
      spawn(process.execPath, [fixture('fifo-records'), p, String(id), '5000', 'big'], { stdio: ['ignore', 'ignore', 'inherit'] }),
    );
    let rest: Buffer = Buffer.alloc(0);
    let torn = 0;
    for await (const chunk of reader) {
      let buf: Buffer = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      while (buf.length >= size) {
        if (buf[size - 1] !== buf[0]) torn++;
        buf = buf.subarray(size);
      }
      rest = buf;
    }
    for (const k of kids) await exited(k);
    assert.ok(torn > 0, 'expected torn records from writes above PIPE_BUF');
  });
});
