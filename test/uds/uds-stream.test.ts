// Unix stream sockets: connections, addresses, half-close (catalog C25),
// path length (C19), abstract names (C20), connect/close churn (C23).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstatSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { connectUnix, ErrorCode, listenUnix, pipe, socketPair, type ReceivedFd, type UnixStream } from '../../src/index.js';
import { collectGarbage, exited, fixture, memScale } from '../helpers/children.js';
import { checkFdLeaks, openFds } from '../helpers/fds.js';
import { tmpDir } from '../helpers/tmp.js';

checkFdLeaks();
const tmp = tmpDir();
let n = 0;
const sock = (): string => tmp.path(`s${n++}`);

/** Reads to the end without destroying the stream (for await would), so it can still write. */
async function readAll(s: UnixStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s.iterator({ destroyOnReturn: false })) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('stream sockets', () => {
  it('connects, echoes, and reports addresses and peer credentials', async () => {
    const path = sock();
    const server = listenUnix(path);
    server.on('connection', (c: UnixStream) => c.pipe(c));
    const c = await connectUnix(path);
    assert.deepEqual(c.remoteAddress, { path });
    assert.equal(c.localAddress, undefined, 'a connecting socket is unnamed');
    assert.deepEqual(server.address, { path });
    assert.deepEqual(c.peerCredentials(), { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    c.end('ping');
    assert.equal(String(await readAll(c)), 'ping');
    await server.close();
    assert.throws(() => lstatSync(path), { code: 'ENOENT' }, 'close() removed the socket file');
  });

  // catalog C25 (half-close-semantics)
  it('end() after 1 MiB: the peer reads all of it, then the end, and can still answer (100 trials)', async () => {
    const path = sock();
    const server = listenUnix(path);
    server.on('connection', async (c: UnixStream) => {
      const got = await readAll(c); // ends when the client shut down its side
      c.end(`${got.length}`);
    });
    const payload = Buffer.alloc(1 << 20, 7);
    for (let i = 0; i < 100; i++) {
      const c = await connectUnix(path);
      c.end(payload);
      assert.equal(String(await readAll(c)), String(1 << 20));
      const err = await new Promise<NodeJS.ErrnoException | null | undefined>((resolve) => c.write('late', resolve));
      assert.equal(err?.code, 'ERR_STREAM_WRITE_AFTER_END');
      c.close();
    }
    await server.close();
  });

  it('connect errors: ENOENT, ECONNREFUSED for a regular file, EADDRINUSE when something is there', async () => {
    await assert.rejects(connectUnix(tmp.path('missing')), { code: 'ENOENT', syscall: 'connect' });
    const file = sock();
    writeFileSync(file, 'x');
    await assert.rejects(connectUnix(file), { code: 'ECONNREFUSED' });
    assert.throws(() => listenUnix(file), { code: 'EADDRINUSE', syscall: 'bind' });
    const path = sock();
    const server = listenUnix(path);
    assert.throws(() => listenUnix(path), { code: 'EADDRINUSE' });
    await server.close();
  });

  it('close() removes only its own socket file, never a successor\'s', async () => {
    const path = sock();
    const first = listenUnix(path);
    renameSync(path, `${path}.moved`); // someone replaced the file...
    const second = listenUnix(path); // ...and a successor now listens there
    await first.close();
    assert.ok(lstatSync(path).isSocket(), "the successor's file is still there");
    const c = await connectUnix(path);
    second.once('connection', (s: UnixStream) => s.end('successor'));
    assert.equal(String(await readAll(c)), 'successor');
    c.close();
    await second.close();
  });

  it('options.mode: the socket file gets exactly the mode asked, under umask 000 and 022', async () => {
    for (const umask of [0o000, 0o022, 0o077]) {
      const old = process.umask(umask);
      try {
        for (const mode of [0o600, 0o640, 0o660, 0o666, 0o700]) {
          const path = sock();
          const server = listenUnix(path, { mode });
          assert.equal(lstatSync(path).mode & 0o7777, mode, `mode ${mode.toString(8)} under umask ${umask.toString(8)}`);
          await server.close();
        }
        // Without a mode, the umask decides, as for any file.
        const path = sock();
        const server = listenUnix(path);
        assert.equal(lstatSync(path).mode & 0o777, 0o777 & ~umask);
        await server.close();
      } finally {
        process.umask(old);
      }
    }
  });

  it("fds that nobody listens for are closed at once (no 'fds' listener)", async () => {
    const [a, b] = socketPair('stream');
    const base = openFds().length;
    const data = once(b, 'data');
    await a.sendFds([0, 1, 2], 'x');
    await data;
    assert.equal(openFds().length, base);
    a.close();
    b.close();
  });

  // catalog C19 (path-length)
  it('a path of exactly 107 bytes works; 108 and 200 are IPCKIT_PATH_TOO_LONG and nothing is created', async () => {
    const dir = tmp.dir;
    const exact = `${dir}/${'p'.repeat(107 - dir.length - 1)}`;
    assert.equal(Buffer.byteLength(exact), 107);
    const server = listenUnix(exact);
    const c = await connectUnix(exact);
    c.close();
    await server.close();
    const before = readdirSync(dir);
    for (const len of [108, 200]) {
      const p = `${dir}/${'q'.repeat(len - dir.length - 1)}`;
      assert.throws(() => listenUnix(p), { code: ErrorCode.PATH_TOO_LONG });
      await assert.rejects(connectUnix(p), { code: ErrorCode.PATH_TOO_LONG });
    }
    assert.deepEqual(readdirSync(dir), before, 'no file was created');
  });

  // catalog C20 (abstract-squat), part a: the name is taken first
  it('abstract names: listen and connect; a name taken first is EADDRINUSE, also when another user took it', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
    const name = `ipckit-test-${process.pid}-${n++}`;
    const server = listenUnix({ abstract: name });
    assert.deepEqual(server.address, { abstract: name });
    server.once('connection', (s: UnixStream) => s.end('abstract'));
    const c = await connectUnix({ abstract: name });
    assert.equal(String(await readAll(c)), 'abstract');
    c.close();
    assert.throws(() => listenUnix({ abstract: name }), { code: 'EADDRINUSE' });
    await server.close();
    if (process.getuid?.() !== 0) return;
    const squat = `ipckit-squat-${process.pid}`;
    const attacker = spawn(process.execPath, [fixture('abstract-squatter'), squat], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
    const out = attacker.stdout!;
    let line = '';
    out.on('data', (d) => (line += String(d)));
    while (!line.includes('bound')) await once(out, 'data');
    assert.throws(() => listenUnix({ abstract: squat }), { code: 'EADDRINUSE' });
    const into = await connectUnix({ abstract: squat });
    assert.equal(into.peerCredentials().uid, 65534, 'peer credentials unmask the squatter');
    into.close();
    attacker.kill();
    await exited(attacker);
  });

  // catalog C23 (connect-close-churn)
  it('15,000 connect/close cycles, then 1,000 listen/close cycles: no fd, no file left behind, memory flat after a warm-up', { timeout: 120_000 }, async () => {
    const path = sock();
    const base = new Set(openFds());
    const server = listenUnix(path);
    let accepted = 0;
    server.on('connection', (s: UnixStream) => {
      accepted++;
      s.close();
    });
    const cycles = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const c = await connectUnix(path);
        c.close();
      }
    };
    // Memory is measured after a warm-up: some Node versions (24) grow the
    // heap's reserve once, by tens of MiB, and then stay flat.
    await cycles(5_000);
    collectGarbage();
    const rss0 = process.memoryUsage().rss;
    await cycles(10_000);
    while (accepted < 15_000) await new Promise((r) => setImmediate(r));
    await server.close();
    for (let i = 0; i < 1000; i++) await listenUnix(tmp.path(`churn${i % 7}`)).close();
    assert.deepEqual(
      openFds().filter((fd) => !base.has(fd)),
      [],
      'no fd was left behind',
    );
    assert.deepEqual(
      readdirSync(tmp.dir).filter((f) => f.startsWith('churn') || f === path),
      [],
    );
    collectGarbage();
    const grown = process.memoryUsage().rss - rss0;
    assert.ok(grown < 32 * 1024 * 1024 * memScale, `RSS grew ${grown}`);
  });

  it('every method after close throws IPCKIT_CLOSED', async () => {
    const [a, b] = socketPair('stream');
    a.close();
    a.close();
    const closed = { code: ErrorCode.CLOSED };
    assert.throws(() => a.fd, closed);
    assert.throws(() => a.peerCredentials(), closed);
    assert.throws(() => a.localAddress, closed);
    assert.throws(() => a.ref(), closed);
    assert.throws(() => a.unref(), closed);
    await assert.rejects(a.sendFds([0], 'x'), closed);
    await assert.rejects(a.peerClosed(), closed);
    b.close();
    const server = listenUnix(sock());
    await server.close();
    await server.close();
    assert.throws(() => server.fd, closed);
    assert.equal(server.address, undefined);
  });

  it('a server only accepts while someone takes connections (for await or a listener)', async () => {
    const path = sock();
    const server = listenUnix(path, { backlog: 4 });
    const c = await connectUnix(path); // queued by the kernel; not yet accepted
    const it = server[Symbol.asyncIterator]();
    const { value: s } = await it.next();
    (s as UnixStream).end('hi');
    assert.equal(String(await readAll(c)), 'hi');
    c.close();
    (s as UnixStream).close();
    await server.close();
    assert.deepEqual(await it.next(), { value: undefined, done: true });
  });
});

describe('UnixStream.readInto', () => {
  const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

  it('reads 8 MiB exactly into one reused buffer, then 0 at the end, and the stream ends', async () => {
    const [a, b] = socketPair('stream');
    const payload = Buffer.alloc(8 << 20);
    for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE(i, i);
    a.end(payload);
    const buf = Buffer.alloc(100_000);
    const parts: Buffer[] = [];
    const ended = once(b, 'end');
    for (let n; (n = await b.readInto(buf)) > 0; ) parts.push(Buffer.from(buf.subarray(0, n)));
    assert.ok(Buffer.concat(parts).equals(payload));
    assert.equal(await b.readInto(buf), 0, 'the end stays the end');
    await ended;
    a.close();
    b.close();
  });

  it('returns what the stream had read ahead first, then reads directly; offset and length are honoured', async () => {
    const [a, b] = socketPair('stream');
    a.write('early');
    while (b.readableLength === 0) await turn(); // it reads ahead on its own
    const buf = Buffer.alloc(16, '.');
    assert.equal(await b.readInto(buf, { offset: 2, length: 3 }), 3);
    assert.equal(String(buf), '..ear...........');
    assert.equal(await b.readInto(buf, { offset: 0, length: 2 }), 2);
    assert.equal(String(buf.subarray(0, 2)), 'ly');
    const pending = b.readInto(buf);
    a.write('later');
    assert.equal(await pending, 5);
    assert.equal(String(buf.subarray(0, 5)), 'later');
    a.close();
    b.close();
  });

  it("fds that arrive are emitted as 'fds' before the read resolves", async () => {
    const [a, b] = socketPair('stream');
    const buf = Buffer.alloc(64);
    const seen: string[] = [];
    b.on('fds', (fds: ReceivedFd[]) => {
      seen.push(`fds ${fds.length}`);
      for (const f of fds) f.close();
    });
    const reading = b.readInto(buf).then((n) => seen.push(`read ${n}`));
    const p = pipe();
    await a.sendFds([p.reader], 'f');
    await reading;
    assert.deepEqual(seen, ['fds 1', 'read 1']);
    for (const x of [a, b, p.reader, p.writer]) x.close();
  });

  it('goes back to reading ahead once the stream API is used again', async () => {
    const [a, b] = socketPair('stream');
    const buf = Buffer.alloc(4);
    a.write('abcd');
    assert.equal(await b.readInto(buf), 4);
    a.end('rest of it');
    let got = '';
    for await (const c of b.iterator({ destroyOnReturn: false })) got += String(c);
    assert.equal(got, 'rest of it');
    a.close();
    b.close();
  });

  it('IPCKIT_BUSY while flowing or while another readInto waits; IPCKIT_CLOSED when closed while waiting', async () => {
    const [a, b] = socketPair('stream');
    const buf = Buffer.alloc(8);
    const waiting = b.readInto(buf);
    await assert.rejects(b.readInto(buf), { code: ErrorCode.BUSY, message: /another readInto/ });
    b.close();
    await assert.rejects(waiting, { code: ErrorCode.CLOSED });
    await assert.rejects(b.readInto(buf), { code: ErrorCode.CLOSED });
    const [c, d] = socketPair('stream');
    d.on('data', () => {});
    await assert.rejects(d.readInto(buf), { code: ErrorCode.BUSY, message: /flowing/ });
    await assert.rejects(c.readInto('x' as never), { code: ErrorCode.INVALID_ARGUMENT });
    await assert.rejects(c.readInto(buf, { offset: 9 }), { code: ErrorCode.INVALID_ARGUMENT });
    for (const x of [a, c, d]) x.close();
  });

  it('a message over the fd limit during readInto rejects with IPCKIT_TOO_MANY_FDS and cuts the peer off', async () => {
    const [a, b] = socketPair('stream', { maxFds: 1 });
    const buf = Buffer.alloc(8);
    const base = openFds().length;
    const closed = new Promise((r) => b.once('close', r));
    b.on('error', () => {});
    const reading = b.readInto(buf);
    await a.sendFds([0, 1], 'xy');
    await assert.rejects(reading, { code: ErrorCode.TOO_MANY_FDS });
    await closed;
    assert.equal(openFds().length, base - 1, 'the fds were closed, and the connection');
    a.close();
  });
});
