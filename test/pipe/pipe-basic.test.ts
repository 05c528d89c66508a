// Pipes: data in, the same data out; the synchronous and direct-read paths;
// ownership transfer; capacity; argument errors.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_PIPE_CAPACITY, dupStderr, dupStdin, dupStdout, ErrorCode, IpckitError, pipe, PipeReader, PipeWriter } from '../../src/index.js';
import { native } from '../../src/native.js';
import { exited, fixture, text } from '../helpers/children.js';
import { checkFdLeaks, fdTarget } from '../helpers/fds.js';

checkFdLeaks();

async function readAll(reader: PipeReader): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of reader) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('pipe()', () => {
  it('carries bytes from writer to reader and ends when the writer ends', async () => {
    const { reader, writer } = pipe();
    writer.write('hello ');
    writer.end(Buffer.from('world'));
    assert.equal(String(await readAll(reader)), 'hello world');
    assert.equal(reader.destroyed, true, 'the reader releases its fd at the end');
    assert.equal(writer.destroyed, true, 'the writer releases its fd after end()');
  });

  it('creates both ends close-on-exec, as a pipe of the default capacity', () => {
    const { reader, writer } = pipe();
    const b = native();
    assert.equal(b.getCloexec(reader.fd), 1);
    assert.equal(b.getCloexec(writer.fd), 1);
    assert.match(fdTarget(reader.fd), /^pipe:\[\d+\]$/);
    assert.equal(fdTarget(reader.fd), fdTarget(writer.fd));
    assert.equal(reader.getCapacity(), DEFAULT_PIPE_CAPACITY);
    reader.close();
    writer.close();
  });

  it('leaves the open file descriptions blocking (per-call non-blocking I/O)', async () => {
    const b = native();
    if (!b.PIPE_NOWAIT) return; // kernels without RWF_NOWAIT on pipes use O_NONBLOCK
    const { reader, writer } = pipe();
    writer.write('x');
    await once(reader, 'readable');
    assert.equal(b.statusFlags(reader.fd) & fsConstants.O_NONBLOCK, 0);
    assert.equal(b.statusFlags(writer.fd) & fsConstants.O_NONBLOCK, 0);
    reader.close();
    writer.close();
  });

  it('honours an explicit capacity and capacity 0 (kernel default)', () => {
    const a = pipe({ capacity: 200_000 });
    assert.equal(a.writer.getCapacity(), 262144, 'rounded up to a power-of-two number of pages');
    assert.equal(a.reader.setCapacity(65536), 65536);
    assert.equal(a.writer.getCapacity(), 65536);
    a.reader.close();
    a.writer.close();
    const k = pipe({ capacity: 0 });
    assert.equal(k.reader.getCapacity(), 65536);
    k.reader.close();
    k.writer.close();
  });

  it('throws EPERM for a capacity above pipe-max-size (unprivileged), closing what it made', async (t) => {
    // root may exceed pipe-max-size, so run the check as nobody when we are root.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const child = spawn(process.execPath, [fixture('pipe-unprivileged')], { ...asNobody, stdio: ['ignore', 'pipe', 'pipe'] });
    const [out, err] = await Promise.all([text(child.stdout), text(child.stderr), exited(child)]);
    if (/EACCES|permission denied/i.test(err)) return t.skip('the compiled tests are not readable by an unprivileged user here');
    assert.deepEqual(JSON.parse(out), { uid: process.getuid?.() === 0 ? 65534 : process.getuid?.(), explicit: 'EPERM', defaultCapacity: DEFAULT_PIPE_CAPACITY });
  });

  it('setCapacity below the bytes in the pipe fails with EBUSY', () => {
    const { reader, writer } = pipe({ capacity: 262144 });
    writer.writeSync(Buffer.alloc(100_000));
    assert.throws(() => writer.setCapacity(65536), { code: 'EBUSY', syscall: 'fcntl' });
    reader.close();
    writer.close();
  });

  it('moves a large buffer in pieces no larger than maxChunk, in order', async () => {
    const { reader, writer } = pipe({ reader: { maxChunk: 4096 } });
    const data = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 0xff;
    const got: Buffer[] = [];
    reader.on('data', (c: Buffer) => {
      assert.ok(c.length <= 4096);
      got.push(c);
    });
    writer.end(data);
    await once(reader, 'end');
    assert.ok(Buffer.concat(got).equals(data));
  });

  it('writes 3,000 corked chunks (more than IOV_MAX in one writev) in order', async () => {
    const { reader, writer } = pipe();
    const expected: string[] = [];
    writer.cork();
    for (let i = 0; i < 3000; i++) {
      expected.push(`${i},`);
      writer.write(`${i},`);
    }
    writer.uncork();
    writer.end();
    assert.equal(String(await readAll(reader)), expected.join(''));
  });

  it('rejects bad options with IPCKIT_INVALID_ARGUMENT', () => {
    for (const bad of [{ capacity: -1 }, { capacity: 1.5 }, { capacity: '1' }, 'x', null]) {
      assert.throws(() => pipe(bad as never), { code: ErrorCode.INVALID_ARGUMENT, name: 'IpckitError' });
    }
    assert.throws(() => pipe({ reader: { maxChunk: 0 } }), { code: ErrorCode.INVALID_ARGUMENT });
  });
});

describe('readSync / writeSync', () => {
  it('block until done and report end of stream as 0', () => {
    const { reader, writer } = pipe();
    assert.equal(writer.writeSync(Buffer.from('abc')), 3);
    const buf = Buffer.alloc(10);
    assert.equal(reader.readSync(buf), 3);
    assert.equal(String(buf.subarray(0, 3)), 'abc');
    writer.close();
    assert.equal(reader.readSync(buf), 0);
    reader.close();
  });

  it('writeSync of more than the capacity completes once a reader drains it', async () => {
    const { reader, writer } = pipe({ capacity: 65536 });
    const data = Buffer.alloc(1 << 20, 1);
    // This thread blocks in writeSync, so a child drains the pipe.
    const child = spawn('sh', ['-c', 'cat >/dev/null'], { stdio: [reader, 'ignore', 'inherit'] });
    reader.close();
    assert.equal(writer.writeSync(data), data.length);
    writer.close();
    await once(child, 'close');
  });

  it('readSync times out with IPCKIT_TIMEOUT', () => {
    const { reader, writer } = pipe();
    const t0 = performance.now();
    assert.throws(() => reader.readSync(Buffer.alloc(1), { timeout: 30 }), { code: ErrorCode.TIMEOUT });
    assert.ok(performance.now() - t0 >= 29);
    reader.close();
    writer.close();
  });

  it('writeSync times out with IPCKIT_TIMEOUT and reports bytesWritten', () => {
    const { reader, writer } = pipe({ capacity: 65536 });
    const err = (() => {
      try {
        writer.writeSync(Buffer.alloc(100_000), { timeout: 20 });
      } catch (e) {
        return e as IpckitError & { bytesWritten: number };
      }
      return undefined;
    })();
    assert.ok(err instanceof IpckitError);
    assert.equal(err.code, ErrorCode.TIMEOUT);
    assert.equal(err.bytesWritten, 65536);
    reader.close();
    writer.close();
  });

  it('readSync returns bytes the stream already buffered first', async () => {
    const { reader, writer } = pipe();
    writer.write('first');
    await once(reader, 'readable'); // now buffered inside the Readable
    writer.write('second');
    const buf = Buffer.alloc(64);
    assert.equal(reader.readSync(buf), 5);
    assert.equal(String(buf.subarray(0, 5)), 'first');
    const n = reader.readSync(buf);
    assert.equal(String(buf.subarray(0, n)), 'second');
    reader.close();
    writer.close();
  });

  it('writeSync refuses to overtake queued stream writes (IPCKIT_BUSY)', () => {
    const { reader, writer } = pipe({ capacity: 65536 });
    writer.write(Buffer.alloc(200_000)); // more than fits: the rest stays queued
    assert.throws(() => writer.writeSync(Buffer.from('x')), { code: ErrorCode.BUSY });
    reader.close();
    writer.destroy();
  });

  it('validate their arguments', () => {
    const { reader, writer } = pipe();
    assert.throws(() => reader.readSync('x' as never), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => reader.readSync(Buffer.alloc(1), { timeout: -1 }), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => writer.writeSync(42 as never), { code: ErrorCode.INVALID_ARGUMENT });
    reader.close();
    writer.close();
  });
});

describe('readInto', () => {
  it('reads into the caller buffer, waits without blocking, and reports the end as 0', async () => {
    const { reader, writer } = pipe();
    const buf = Buffer.alloc(16);
    const pending = reader.readInto(buf, { offset: 2, length: 8 });
    writer.write('0123456789');
    assert.equal(await pending, 8);
    assert.equal(String(buf.subarray(2, 10)), '01234567');
    assert.equal(await reader.readInto(buf), 2);
    writer.end();
    assert.equal(await reader.readInto(buf), 0);
    reader.close();
  });

  it('is exclusive: a second call or a flowing stream gives IPCKIT_BUSY', async () => {
    const { reader, writer } = pipe();
    const first = reader.readInto(Buffer.alloc(4));
    await assert.rejects(reader.readInto(Buffer.alloc(4)), { code: ErrorCode.BUSY });
    writer.write('abcd');
    assert.equal(await first, 4);
    reader.on('data', () => {});
    await assert.rejects(reader.readInto(Buffer.alloc(4)), { code: ErrorCode.BUSY });
    reader.close();
    writer.close();
  });

  it('can be aborted, and rejects with IPCKIT_CLOSED when the reader closes', async () => {
    const { reader, writer } = pipe();
    const ac = new AbortController();
    const p = reader.readInto(Buffer.alloc(4), { signal: ac.signal });
    ac.abort(new Error('stop'));
    await assert.rejects(p, /stop/);
    const q = reader.readInto(Buffer.alloc(4));
    reader.close();
    await assert.rejects(q, { code: ErrorCode.CLOSED });
    writer.close();
  });
});

describe('ownership: fromFd, intoFd, tryClone', () => {
  it('intoFd gives the fd away open; fromFd adopts it back', async () => {
    const { reader, writer } = pipe();
    const fd = writer.intoFd();
    assert.equal(writer.destroyed, true);
    assert.equal(native().statusFlags(fd) >= 0, true, 'still open');
    const again = PipeWriter.fromFd(fd);
    again.end('via adopted fd');
    assert.equal(String(await readAll(reader)), 'via adopted fd');
  });

  it('fromFd makes an adopted fd close-on-exec', () => {
    const { reader, writer } = pipe();
    const fd = reader.intoFd();
    assert.equal(native().setCloexec(fd, false), 0); // as an fd inherited by a non-Node program arrives
    const adopted = PipeReader.fromFd(fd);
    assert.equal(native().getCloexec(fd), 1);
    adopted.close();
    writer.close();
  });

  it('a child adopts the end it was given as fd 3', async () => {
    const { reader, writer } = pipe();
    const child = spawn(process.execPath, [fixture('adopt-inherited')], { stdio: ['ignore', 'pipe', 'inherit', reader] });
    reader.close();
    writer.end('through fd 3');
    const [out] = await Promise.all([text(child.stdout), exited(child)]);
    assert.deepEqual(JSON.parse(out), { cloexec: 1, data: 'through fd 3' });
  });

  it('fromFd refuses an fd with the wrong access mode, or a closed fd, without adopting it', () => {
    const { reader, writer } = pipe();
    assert.throws(() => PipeWriter.fromFd(reader.fd), { code: ErrorCode.INVALID_ARGUMENT, message: /not open for writing/ });
    assert.throws(() => PipeReader.fromFd(writer.fd), { code: ErrorCode.INVALID_ARGUMENT, message: /not open for reading/ });
    assert.equal(native().statusFlags(reader.fd) >= 0, true, 'not closed by the failed adoption');
    const fd = openSync('/dev/null', 'r');
    closeSync(fd);
    assert.throws(() => PipeReader.fromFd(fd), { code: 'EBADF', syscall: 'fcntl' });
    for (const bad of [-1, 1.5, '3', null, 2 ** 31]) {
      assert.throws(() => PipeReader.fromFd(bad as never), { code: ErrorCode.INVALID_ARGUMENT });
    }
    reader.close();
    writer.close();
  });

  it('tryClone: the reader ends only after the original and the clone have closed', async () => {
    const { reader, writer } = pipe();
    const clone = writer.tryClone();
    assert.notEqual(clone.fd, writer.fd);
    assert.equal(native().getCloexec(clone.fd), 1);
    writer.end('a');
    await once(writer, 'close');
    clone.write('b');
    let ended = false;
    reader.on('end', () => (ended = true));
    const chunks: string[] = [];
    reader.on('data', (c) => chunks.push(String(c)));
    await new Promise((r) => setImmediate(r));
    assert.equal(ended, false, 'the clone still holds the pipe open');
    clone.end();
    await once(reader, 'end');
    assert.equal(chunks.join(''), 'ab');
  });

  it('intoFd refuses while data is buffered (IPCKIT_BUSY)', async () => {
    const { reader, writer } = pipe();
    writer.write('pending');
    await once(reader, 'readable');
    assert.throws(() => reader.intoFd(), { code: ErrorCode.BUSY });
    reader.close();
    writer.close();
  });
});

describe('dupStdin / dupStdout / dupStderr', () => {
  it('return close-on-exec duplicates that leave fds 0-2 open when closed', () => {
    for (const end of [dupStdin(), dupStdout(), dupStderr()]) {
      assert.ok(end.fd > 2);
      assert.equal(native().getCloexec(end.fd), 1);
      end.close();
    }
    for (const fd of [0, 1, 2]) assert.ok(native().statusFlags(fd) >= 0, `fd ${fd} still open`);
  });
});
