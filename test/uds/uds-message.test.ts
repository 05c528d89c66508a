// Datagram and seqpacket sockets: whole messages whatever their size, fds
// per message, sender addresses, backpressure with nothing dropped, and the
// errors of each way a message can fail.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fstatSync, lstatSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  connectSeqpacket,
  createDatagramSocket,
  ErrorCode,
  listenSeqpacket,
  pipe,
  socketPair,
  type SeqpacketSocket,
  type UnixMessage,
} from '../../src/index.js';
import { native } from '../../src/native.js';
import { checkFdLeaks, openFds } from '../helpers/fds.js';
import { tmpDir } from '../helpers/tmp.js';

checkFdLeaks();
const tmp = tmpDir();
let n = 0;
const sock = (): string => tmp.path(`m${n++}`);

/** A message whose bytes say its index and size, so reordering, truncation or mixing shows. */
function message(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let k = 0; k < size; k++) b[k] = (i * 31 + k) & 0xff;
  return b;
}

function checkMessage(m: UnixMessage, i: number, size: number): void {
  assert.equal(m.data.length, size, `message ${i}: ${m.data.length} bytes, sent ${size}`);
  assert.ok(m.data.equals(message(i, size)), `message ${i}: bytes differ`);
}

// Sizes from empty to well past 64 KiB (a receive sized at 64 KiB would truncate).
const SIZES = [0, 1, 100, 4096, 65535, 65536, 65537, 150_000];

describe('datagram sockets', () => {
  it('keeps message boundaries and never truncates, from 0 bytes to 150 kB', async () => {
    const [a, b] = socketPair('dgram');
    for (let i = 0; i < SIZES.length * 4; i++) {
      const size = SIZES[i % SIZES.length]!;
      const got = b.recv();
      await a.send(message(i, size));
      checkMessage(await got, i, size);
    }
    a.close();
    b.close();
  });

  it('many queued messages of mixed sizes arrive whole and in order (batched reads), with tryRecv and recvMany', async () => {
    const [a, b] = socketPair('dgram');
    const sizes = Array.from({ length: 300 }, (_, i) => (i % 37 === 0 ? 70_000 : i % 5 === 0 ? 0 : (i * 131) % 3000));
    // Sent before anything is read, so that reads find many messages waiting.
    const sends = sizes.map((size, i) => a.send(message(i, size)));
    let i = 0;
    const first = await b.recv();
    checkMessage(first, i++, sizes[0]!);
    while (i < sizes.length) {
      const batch = await b.recvMany({ max: 50 });
      assert.ok(batch.length >= 1 && batch.length <= 50);
      for (const m of batch) {
        checkMessage(m, i, sizes[i]!);
        i++;
      }
      const more = b.tryRecv();
      if (more !== undefined) checkMessage(more, i, sizes[i++]!);
    }
    await Promise.all(sends);
    assert.equal(b.tryRecv(), undefined, 'nothing more');
    a.close();
    b.close();
    assert.throws(() => b.tryRecv(), { code: ErrorCode.CLOSED });
  });

  it('a message larger than the socket can ever hold is refused with EMSGSIZE, not cut', async () => {
    const [a, b] = socketPair('dgram');
    await assert.rejects(a.send(Buffer.alloc(8 << 20)), { code: 'EMSGSIZE' });
    // The socket still works, and nothing partial arrived.
    await a.send('after');
    assert.equal(String((await b.recv()).data), 'after');
    assert.equal(b.queuedMessages, 0);
    a.close();
    b.close();
  });

  it('bound sockets: sendTo, the sender address, replies, and abstract names', async () => {
    const server = createDatagramSocket({ bind: sock() });
    const client = createDatagramSocket({ bind: sock() });
    const anonymous = createDatagramSocket();
    await client.sendTo(server.localAddress!, 'from a bound socket');
    const m1 = await server.recv();
    assert.equal(String(m1.data), 'from a bound socket');
    assert.deepEqual(m1.from, client.localAddress);
    await server.sendTo(m1.from!, 'reply');
    assert.equal(String((await client.recv()).data), 'reply');
    await anonymous.sendTo(server.localAddress!, 'from nowhere');
    const m2 = await server.recv();
    assert.equal(m2.from, undefined, 'an unbound sender has no address to answer');
    if (process.platform === 'linux') {
      const name = { abstract: `ipckit-test-${process.pid}-${n++}` };
      const abs = createDatagramSocket({ bind: name });
      assert.deepEqual(abs.localAddress, name);
      await client.sendTo(name, 'to an abstract name');
      const m3 = await abs.recv();
      assert.equal(String(m3.data), 'to an abstract name');
      assert.deepEqual(m3.from, client.localAddress);
      abs.close();
    }
    for (const s of [server, client, anonymous]) s.close();
  });

  it('connect() sets the default destination; send() without one fails clearly', async () => {
    const server = createDatagramSocket({ bind: sock() });
    const c = createDatagramSocket({ connect: server.localAddress! });
    assert.deepEqual(c.remoteAddress, server.localAddress);
    await c.send('connected');
    assert.equal(String((await server.recv()).data), 'connected');
    const lone = createDatagramSocket();
    await assert.rejects(lone.send('x'), { code: 'ENOTCONN' });
    for (const s of [server, c, lone]) s.close();
  });

  it('fds travel with their own message, each message with its own', async () => {
    const [a, b] = socketPair('dgram');
    const p = pipe();
    const file = tmp.path('f');
    writeFileSync(file, 'x');
    const counts = [0, 1, 3, 0, 16, 2];
    for (let i = 0; i < counts.length; i++) {
      const fds = Array.from({ length: counts[i]! }, (_, k) => (k % 2 === 0 ? p.reader : p.writer));
      await a.send(`m${i}`, { fds });
    }
    for (let i = 0; i < counts.length; i++) {
      const m = await b.recv();
      assert.equal(String(m.data), `m${i}`);
      assert.equal(m.fds.length, counts[i]);
      m.fds.forEach((f, k) => {
        const want = fstatSync(k % 2 === 0 ? p.reader.fd : p.writer.fd);
        const st = fstatSync(f.fd);
        assert.equal(`${st.dev}:${st.ino}`, `${want.dev}:${want.ino}`);
        assert.equal(native().getCloexec(f.fd), 1);
        f.close();
      });
    }
    p.reader.close();
    p.writer.close();
    a.close();
    b.close();
  });

  it('a datagram over the fd limit is dropped (fds closed) and reported; the next one arrives', async () => {
    const [a, b] = socketPair('dgram', { maxFds: 2 });
    const base = openFds().length;
    await a.send('too many', { fds: [0, 0, 0] });
    await a.send('fine', { fds: [0] });
    await assert.rejects(b.recv(), { code: ErrorCode.TOO_MANY_FDS });
    const m = await b.recv();
    assert.equal(String(m.data), 'fine');
    assert.equal(openFds().length, base + 1, 'only the accepted fd is open');
    m.fds[0]!.close();
    a.close();
    b.close();
  });

  it('backpressure on a connected pair: 20,000 messages to a reader that stalls, none lost or reordered', async () => {
    // highWaterMark 1: the receiver stops reading after one queued message,
    // so the kernel queue fills and the sender must wait for room.
    const [a, b] = socketPair('dgram', { highWaterMark: 1 });
    const total = 20_000;
    let sent = 0;
    const sending = (async () => {
      const batch: Promise<void>[] = [];
      for (let i = 0; i < total; i++) {
        batch.push(a.send(message(i, 1000)));
        if (batch.length === 500) {
          await Promise.all(batch.splice(0));
          sent = i + 1;
        }
      }
      await Promise.all(batch);
      sent = total;
    })();
    // Let the sender run into the full queue before reading anything.
    while (sent === 0 && b.queuedMessages === 0) await new Promise((r) => setImmediate(r));
    for (let i = 0; i < total; i++) checkMessage(await b.recv(), i, 1000);
    await sending;
    a.close();
    b.close();
  });

  it('backpressure on sendTo (no connection to poll): retried until delivered, in order', async () => {
    const server = createDatagramSocket({ bind: sock(), highWaterMark: 1 });
    const client = createDatagramSocket();
    const total = 3000;
    const sends = Array.from({ length: total }, (_, i) => client.sendTo(server.localAddress!, message(i, 200)));
    for (let i = 0; i < total; i++) checkMessage(await server.recv(), i, 200);
    await Promise.all(sends);
    client.close();
    server.close();
  });

  it('sendTo errors name the address: no such file, nobody behind a stale file, too long', async () => {
    const s = createDatagramSocket();
    const gone = sock();
    createDatagramSocket({ bind: gone }).close(); // close() removes its file
    await assert.rejects(s.sendTo(gone, 'x'), { code: 'ENOENT', message: new RegExp(gone) });
    // A stale socket file: bound, then closed without removing it.
    const stale = sock();
    const b = native();
    const fd = b.udsSocket(b.UDS_DGRAM, false);
    assert.equal(b.udsBind(fd, Buffer.from(stale), false, -1), 0);
    b.closeFd(fd);
    await assert.rejects(s.sendTo(stale, 'x'), { code: 'ECONNREFUSED', message: new RegExp(stale) });
    await assert.rejects(s.sendTo('/'.padEnd(200, 'x'), 'x'), { code: ErrorCode.PATH_TOO_LONG });
    // The socket is fine after all that.
    const ok = createDatagramSocket({ bind: sock() });
    await s.sendTo(ok.localAddress!, 'fine');
    assert.equal(String((await ok.recv()).data), 'fine');
    ok.close();
    s.close();
  });

  it('recv: timeout and abort give up without losing the message that comes later', async () => {
    const [a, b] = socketPair('dgram');
    await assert.rejects(b.recv({ timeout: 5 }), { code: ErrorCode.TIMEOUT });
    const ac = new AbortController();
    const aborted = b.recv({ signal: ac.signal });
    ac.abort(new Error('stop'));
    await assert.rejects(aborted, { message: 'stop' });
    await a.send('later');
    assert.equal(String((await b.recv()).data), 'later');
    a.close();
    b.close();
  });

  it('close: waiting receives and queued sends reject IPCKIT_CLOSED; queued fds are closed; the bound file is removed', async () => {
    const path = sock();
    const s = createDatagramSocket({ bind: path });
    const waiting = s.recv();
    s.close();
    await assert.rejects(waiting, { code: ErrorCode.CLOSED });
    await assert.rejects(s.recv(), { code: ErrorCode.CLOSED });
    await assert.rejects(s.sendTo(path, 'x'), { code: ErrorCode.CLOSED });
    assert.throws(() => s.fd, { code: ErrorCode.CLOSED });
    assert.throws(() => lstatSync(path), { code: 'ENOENT' });
    s.close(); // idempotent

    // An iteration in progress ends when the socket is closed.
    const [x, y] = socketPair('dgram');
    const seen: string[] = [];
    const loop = (async () => {
      for await (const m of y) {
        seen.push(String(m.data));
        if (seen.length === 1) y.close();
      }
    })();
    await x.send('one');
    await loop;
    assert.deepEqual(seen, ['one']);
    x.close();

    const [a, b] = socketPair('dgram');
    const base = openFds().length;
    await a.send('with fds', { fds: [0, 1] });
    while (b.queuedMessages === 0) await new Promise((r) => setImmediate(r));
    assert.equal(openFds().length, base + 2);
    b.close();
    assert.equal(openFds().length, base - 1, 'the queued message took its fds with it');
    a.close();
  });

  it('validates its arguments', async () => {
    const s = createDatagramSocket();
    await assert.rejects(s.sendTo(42 as never, 'x'), { code: ErrorCode.INVALID_ARGUMENT });
    await assert.rejects(s.sendTo(sock(), 42 as never), { code: ErrorCode.INVALID_ARGUMENT });
    await assert.rejects(s.sendTo(sock(), 'x', { fds: 'no' as never }), { code: ErrorCode.INVALID_ARGUMENT });
    await assert.rejects(s.recv({ timeout: -2 }), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => createDatagramSocket({ mode: 0o600 }), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => createDatagramSocket({ bind: { abstract: '' } }), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => socketPair('dgram', { maxFds: 254 }), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => socketPair('raw' as never), { code: ErrorCode.INVALID_ARGUMENT });
    s.close();
  });

  it('bind mode is exact, whatever the umask', async () => {
    for (const umask of [0o000, 0o022, 0o077]) {
      const old = process.umask(umask);
      try {
        for (const mode of [0o600, 0o660, 0o666]) {
          const path = sock();
          const s = createDatagramSocket({ bind: path, mode });
          assert.equal(lstatSync(path).mode & 0o7777, mode);
          s.close();
        }
      } finally {
        process.umask(old);
      }
    }
  });
});

describe('seqpacket sockets', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  it('listen, connect: boundaries kept from 0 bytes to 150 kB, credentials, addresses, end', async () => {
    const path = sock();
    const server = listenSeqpacket(path);
    const accepted = new Promise<SeqpacketSocket>((resolve) => server.once('connection', resolve));
    const c = await connectSeqpacket(path);
    const s = await accepted;
    assert.deepEqual(s.peerCredentials(), { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    assert.deepEqual(c.remoteAddress, { path });
    for (let i = 0; i < SIZES.length; i++) await c.send(message(i, SIZES[i]!));
    c.end();
    let i = 0;
    for await (const m of s) {
      checkMessage(m, i, SIZES[i]!);
      i++;
    }
    assert.equal(i, SIZES.length, 'the iteration ended after every message, at the end');
    await assert.rejects(s.recv(), { code: ErrorCode.PEER_CLOSED });
    assert.throws(() => s.tryRecv(), { code: ErrorCode.PEER_CLOSED });
    await assert.rejects(s.recvMany(), { code: ErrorCode.PEER_CLOSED });
    c.close();
    s.close();
    await server.close();
  });

  it('fds per message, and a connection that breaks the fd limit is cut off', async () => {
    const [a, b] = socketPair('seqpacket', { maxFds: 4 });
    const p = pipe();
    await a.send('two', { fds: [p.reader, p.writer] });
    const m = await b.recv();
    assert.equal(m.fds.length, 2);
    for (const f of m.fds) f.close();
    await a.send('five', { fds: [0, 0, 0, 0, 0] });
    await assert.rejects(b.recv(), { code: ErrorCode.TOO_MANY_FDS });
    await assert.rejects(b.recv(), { code: ErrorCode.TOO_MANY_FDS }, 'the connection stays failed');
    await assert.rejects(a.send('more'), (err: NodeJS.ErrnoException) => err.code === 'EPIPE' || err.code === 'ECONNRESET');
    for (const x of [p.reader, p.writer, a, b]) x.close();
  });

  it('backpressure: 20,000 messages to a stalled peer all arrive in order', async () => {
    const [a, b] = socketPair('seqpacket', { highWaterMark: 1 });
    const total = 20_000;
    const sends = Array.from({ length: total }, (_, i) => a.send(message(i, 500)));
    for (let i = 0; i < total; i++) checkMessage(await b.recv(), i, 500);
    await Promise.all(sends);
    a.close();
    b.close();
  });

  it('a message waiting for room can be abandoned with a signal; it is not sent', async () => {
    const [a, b] = socketPair('seqpacket', { highWaterMark: 1 });
    const ac = new AbortController();
    const sends: Promise<void>[] = [];
    // Fill the peer's queue until a send has to wait.
    for (let i = 0; i < 1000; i++) sends.push(a.send(message(i, 60_000)));
    const abandoned = a.send('abandoned', { signal: ac.signal });
    ac.abort(new Error('gave up'));
    await assert.rejects(abandoned, { message: 'gave up' });
    sends.push(a.send('last'));
    for (let i = 0; i < 1000; i++) checkMessage(await b.recv(), i, 60_000);
    assert.equal(String((await b.recv()).data), 'last', 'the abandoned message never went out');
    await Promise.all(sends);
    a.close();
    b.close();
  });

  it('a peer that dies mid-stream: every whole message first, then IPCKIT_PEER_CLOSED', async () => {
    const [a, b] = socketPair('seqpacket');
    const hashes: string[] = [];
    for (let i = 0; i < 100; i++) {
      const m = message(i, 1000 + i);
      hashes.push(createHash('sha256').update(m).digest('hex'));
      await a.send(m);
    }
    a.close();
    const got: string[] = [];
    for await (const m of b) got.push(createHash('sha256').update(m.data).digest('hex'));
    assert.deepEqual(got, hashes);
    b.close();
  });
});
