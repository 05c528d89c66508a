// fd passing (SCM_RIGHTS): every kind of fd arrives as the same object and
// close-on-exec (catalog D26); limits are enforced with nothing leaked and
// other connections unharmed (D27); truncation is detected (D28).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, fstatSync, openSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createFifo, ErrorCode, listenUnix, openFifo, pipe, ReceivedFd, socketPair, type UnixStream } from '../../src/index.js';
import { native } from '../../src/native.js';
import { exited, fixture, text } from '../helpers/children.js';
import { checkFdLeaks, openFds } from '../helpers/fds.js';
import { tmpDir } from '../helpers/tmp.js';

checkFdLeaks();
const tmp = tmpDir();

function identity(fd: number): string {
  const st = fstatSync(fd);
  return `${st.dev}:${st.ino}:${st.rdev}`;
}

async function receiveFds(rx: UnixStream): Promise<ReceivedFd[]> {
  const [fds] = (await once(rx, 'fds')) as [ReceivedFd[]];
  return fds;
}

describe('fd passing over stream sockets', () => {
  // catalog D26 (fd-roundtrip)
  it('a pipe, a socket, a file and a FIFO arrive as the same objects, close-on-exec, 1, 2 and 16 at a time', async () => {
    const [tx, rx] = socketPair('stream');
    rx.on('data', () => {});
    const p = pipe();
    const [s1, s2] = socketPair('stream');
    const file = tmp.path('file');
    writeFileSync(file, 'content');
    const fileFd = openSync(file, 'r');
    createFifo(tmp.path('fifo'));
    const fifo = await openFifo(tmp.path('fifo'), 'r');
    const kinds = [p.reader, s1, fileFd, fifo];
    const sent = kinds.map((k) => (typeof k === 'number' ? k : k.fd));
    for (const count of [1, 2, 16]) {
      const batch = Array.from({ length: count }, (_, i) => sent[i % sent.length]!);
      const arriving = receiveFds(rx);
      await tx.sendFds(batch, `${count}`);
      const got = await arriving;
      assert.equal(got.length, count);
      got.forEach((g, i) => {
        assert.equal(identity(g.fd), identity(batch[i]!), `fd ${i} of ${count} is not the same object`);
        assert.equal(native().getCloexec(g.fd), 1, 'received without close-on-exec');
        assert.notEqual(g.fd, batch[i], 'a new fd number in this process');
      });
      assert.deepEqual(got.slice(0, 4).map((g) => g.kind), ['fifo', 'socket', 'file', 'fifo'].slice(0, Math.min(count, 4)));
      for (const g of got) g.close();
    }
    // The sender's fds are untouched.
    for (const fd of sent) assert.ok(native().statusFlags(fd) >= 0);
    for (const k of [p.reader, p.writer, s1, s2, fifo, tx, rx]) k.close();
    closeSync(fileFd);
  });

  it('253 fds in one message when maxFds allows it', async () => {
    const [tx, rx] = socketPair('stream', { maxFds: 253 });
    rx.on('data', () => {});
    const arriving = receiveFds(rx);
    await tx.sendFds(new Array(253).fill(0), 'many');
    const got = await arriving;
    assert.equal(got.length, 253);
    for (const g of got) g.close();
    tx.close();
    rx.close();
  });

  it('received fds become a PipeReader, a PipeWriter, a net.Socket or a FileHandle that own them', async () => {
    const [tx, rx] = socketPair('stream');
    rx.on('data', () => {});
    const p = pipe();
    const [s1, s2] = socketPair('stream');
    const file = tmp.path('fh');
    writeFileSync(file, 'file content');
    const fileFd = openSync(file, 'r');
    const arriving = receiveFds(rx);
    await tx.sendFds([p.reader, p.writer, s2, fileFd], 'four');
    const [r, w, s, f] = await arriving;
    // The receiver has its own copies now; ours would keep the pipe open.
    p.reader.close();
    p.writer.close();
    s2.close();
    const reader = r!.toPipeReader();
    const writer = w!.toPipeWriter();
    writer.end('via received ends');
    let got = '';
    for await (const c of reader) got += String(c);
    assert.equal(got, 'via received ends');
    const sock = s!.toSocket();
    s1.write('net');
    const [d] = (await once(sock, 'data')) as [Buffer];
    assert.equal(String(d), 'net');
    const sockClosed = once(sock, 'close');
    sock.destroy();
    const fh = await f!.toFileHandle();
    assert.equal(await fh.readFile('utf8'), 'file content');
    await fh.close();
    assert.throws(() => r!.fd, { code: ErrorCode.CLOSED }, 'ownership moved');
    for (const k of [s1, tx, rx]) k.close();
    closeSync(fileFd);
    await sockClosed;
  });

  // catalog D27 (fd-limit-enforced)
  for (const extra of [1, 2, 17]) {
    it(`limit + ${extra} fds: the message is dropped, its fds closed, the connection closed, others unharmed`, async () => {
      const server = listenUnix(tmp.path(`lim${extra}`), { connection: { maxFds: 16 } });
      const conns: UnixStream[] = [];
      server.on('connection', (c: UnixStream) => conns.push(c));
      const { connectUnix } = await import('../../src/index.js');
      const attacker = await connectUnix(tmp.path(`lim${extra}`));
      const victim = await connectUnix(tmp.path(`lim${extra}`));
      while (conns.length < 2) await new Promise((r) => setImmediate(r));
      const [bad, good] = conns as [UnixStream, UnixStream];
      const base = openFds().length;
      const errored = once(bad, 'error');
      const closed = new Promise((r) => bad.once('close', r));
      good.on('data', (d) => good.write(d));
      await attacker.sendFds(new Array(16 + extra).fill(0), 'too many');
      const [err] = (await errored) as [NodeJS.ErrnoException];
      assert.equal(err.code, ErrorCode.TOO_MANY_FDS);
      await closed;
      assert.equal(openFds().length, base - 1, 'no received fd leaked (and the offender is closed)');
      victim.write('still fine');
      const [echo] = (await once(victim, 'data')) as [Buffer];
      assert.equal(String(echo), 'still fine');
      for (const c of [attacker, victim, good]) c.close();
      await server.close();
    });
  }

  it('255 fds split over two sends, each above the limit: both refused, nothing leaked', async () => {
    const [tx, rx] = socketPair('stream', { maxFds: 16 });
    const base = openFds().length;
    const errored = once(rx, 'error');
    const closed = new Promise((r) => rx.once('close', r));
    void tx.sendFds(new Array(128).fill(0), 'a').catch(() => {});
    void tx.sendFds(new Array(127).fill(0), 'b').catch(() => {});
    const [err] = (await errored) as [NodeJS.ErrnoException];
    assert.equal(err.code, ErrorCode.TOO_MANY_FDS);
    await closed;
    assert.equal(openFds().length, base - 1);
    tx.close();
  });

  it('maxFds 0 refuses every fd', async () => {
    const [tx, rx] = socketPair('stream', { maxFds: 0 });
    const errored = once(rx, 'error');
    await tx.sendFds([0], 'x');
    assert.equal(((await errored) as [NodeJS.ErrnoException])[0].code, ErrorCode.TOO_MANY_FDS);
    tx.close();
  });

  // catalog D28 (fd-ctrunc), case a
  it('a receiver with no free fd slot: IPCKIT_FDS_TRUNCATED, not a message with fds missing', async () => {
    const path = tmp.path('trunc');
    const server = listenUnix(path);
    const child = spawn('sh', ['-c', `ulimit -n 64 && exec "${process.execPath}" "${fixture('fd-receiver')}" "${path}" exhaust`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out = text(child.stdout);
    const [conn] = (await once(server, 'connection')) as [UnixStream];
    await once(conn, 'data'); // 'ready': its fd table is full
    await conn.sendFds([0, 1, 2], 'here');
    conn.end();
    const [report] = await Promise.all([out, exited(child)]);
    assert.match(report, /error IPCKIT_FDS_TRUNCATED/);
    assert.doesNotMatch(report, /fds \d/, 'a message was delivered with fds missing');
    conn.close();
    await server.close();
  });

  it('sendFds validates its arguments', async () => {
    const [tx, rx] = socketPair('stream');
    await assert.rejects(tx.sendFds([0], ''), { code: ErrorCode.INVALID_ARGUMENT, message: /at least one byte/ });
    await assert.rejects(tx.sendFds(['x' as never], 'a'), { code: ErrorCode.INVALID_ARGUMENT });
    await assert.rejects(tx.sendFds(new Array(254).fill(0), 'a'), { code: ErrorCode.INVALID_ARGUMENT });
    await assert.rejects(tx.sendFds([987654], 'a'), { code: 'EBADF', message: /fds\[0\] \(987654\) is not an open fd/ });
    // None of it broke the connection.
    const arriving = receiveFds(rx);
    await tx.sendFds([0], 'ok');
    (await arriving).forEach((f) => f.close());
    tx.close();
    rx.close();
  });
});
