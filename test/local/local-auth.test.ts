// The shared-key handshake of local sockets: both sides prove the key
// before any application byte; every way of failing it is refused, bounded
// in time and memory, and reported.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { connect, connectUnix, ErrorCode, listen, type LocalStream, type RefusedConnection, type UnixStream } from '../../src/index.js';
import { checkFdLeaks } from '../helpers/fds.js';
import { tmpDir } from '../helpers/tmp.js';

checkFdLeaks();
const tmp = tmpDir();
const KEY = 'correct horse battery staple';
let n = 0;
const sock = (): string => tmp.path(`a${n++}`);

async function readAll(s: UnixStream): Promise<string> {
  let out = '';
  for await (const c of s.iterator({ destroyOnReturn: false })) out += String(c);
  return out;
}

/** Reads exactly n bytes from a stream in paused mode. */
async function take(s: UnixStream, count: number): Promise<Buffer> {
  for (;;) {
    const b = s.read(count) as Buffer | null;
    if (b !== null) return b;
    await once(s, 'readable');
  }
}

describe('authKey handshake', () => {
  it('both sides hold the key: the connection is delivered, marked authenticated, and carries bytes both ways', async () => {
    const path = sock();
    const listener = listen(path, { authKey: KEY });
    listener.on('connection', (c: LocalStream) => {
      assert.equal(c.authenticated, true);
      c.pipe(c);
    });
    const c = await connect(path, { authKey: KEY });
    assert.equal(c.authenticated, true);
    c.end('after the handshake');
    assert.equal(await readAll(c), 'after the handshake');
    c.close();
    await listener.close();
  });

  it('a client with the wrong key: connect() rejects with IPCKIT_AUTH_FAILED, the listener reports it, the application never sees it', async () => {
    const path = sock();
    const listener = listen(path, { authKey: KEY });
    const seen: unknown[] = [];
    listener.on('connection', (c) => seen.push(c));
    const refused = once(listener, 'refused') as Promise<[RefusedConnection]>;
    await assert.rejects(connect(path, { authKey: 'not the key at all, sorry' }), { code: ErrorCode.AUTH_FAILED, message: /server does not hold the key|closed/ });
    const [r] = await refused;
    assert.equal(r.reason, 'auth');
    assert.equal(r.credentials?.pid, process.pid);
    assert.deepEqual(seen, []);
    await listener.close();
  });

  it('a server with the wrong key is caught by the client before it sends anything else', async () => {
    const path = sock();
    const listener = listen(path, { authKey: 'the server has another key!' });
    listener.on('connection', () => assert.fail('no connection may be delivered'));
    const refused = once(listener, 'refused');
    await assert.rejects(connect(path, { authKey: KEY }), { code: ErrorCode.AUTH_FAILED, message: /server does not hold the key/ });
    await refused;
    await listener.close();
  });

  it('a client that never speaks is dropped after handshakeTimeout', async () => {
    const path = sock();
    const listener = listen(path, { authKey: KEY, handshakeTimeout: 50 });
    listener.on('connection', () => assert.fail('no connection may be delivered'));
    const refused = once(listener, 'refused') as Promise<[RefusedConnection]>;
    const silent = await connect(path); // no key: it does not start the handshake
    const [r] = await refused;
    assert.equal(r.reason, 'timeout');
    assert.equal(r.error?.name, 'IpckitError');
    assert.equal(await readAll(silent), '', 'closed on it');
    silent.close();
    await listener.close();
  });

  it('a server that does not authenticate: the client gives up (timeout, or the server closing)', async () => {
    const path = sock();
    const plain = listen(path); // no key
    // Takes the hello as data and answers nothing (closing once the client gives up).
    plain.on('connection', (c: LocalStream) => c.resume().on('end', () => c.end()));
    await assert.rejects(connect(path, { authKey: KEY, handshakeTimeout: 50 }), { code: ErrorCode.TIMEOUT });
    plain.removeAllListeners('connection');
    plain.on('connection', (c: LocalStream) => c.destroy());
    await assert.rejects(connect(path, { authKey: KEY }), { code: ErrorCode.AUTH_FAILED, message: /closed/ });
    await plain.close();
  });

  it('garbage instead of a handshake, even a megabyte of it: refused at once, reading no more than the handshake', async () => {
    const path = sock();
    const listener = listen(path, { authKey: KEY });
    listener.on('connection', () => assert.fail('no connection may be delivered'));
    const refused = once(listener, 'refused') as Promise<[RefusedConnection]>;
    const junk = await connectUnix(path);
    junk.on('error', () => {}); // the server resets the connection
    junk.write(Buffer.alloc(1 << 20, 0x41));
    const [r] = await refused;
    assert.equal(r.reason, 'auth');
    assert.match(r.error!.message, /does not speak/);
    junk.close();
    await listener.close();
  });

  it('bytes a client sends right after its proof are the first application bytes, intact', async () => {
    const path = sock();
    const listener = listen(path, { authKey: KEY });
    const delivered = once(listener, 'connection') as Promise<[LocalStream]>;
    // A hand-made client, pipelining its first request behind the proof.
    const raw = await connectUnix(path);
    const nc = Buffer.alloc(32, 7);
    raw.write(Buffer.concat([Buffer.from([0x49, 0x50, 0x4b, 1]), nc]));
    const reply = await take(raw, 4 + 32 + 32);
    const ns = reply.subarray(4, 36);
    const expected = createHmac('sha256', KEY).update('ipckit server').update(nc).update(ns).digest();
    assert.ok(reply.subarray(36).equals(expected), 'the server proved the key');
    const proof = createHmac('sha256', KEY).update('ipckit client').update(nc).update(ns).digest();
    raw.write(Buffer.concat([proof, Buffer.from('first request')]));
    assert.deepEqual(await take(raw, 1), Buffer.from([1]));
    const [conn] = await delivered;
    assert.equal(String(await take(conn, 'first request'.length)), 'first request');
    raw.close();
    conn.close();
    await listener.close();
  });

  it("the 'structured' codec needs a trusted peer: an authKey or trusted: true", async () => {
    assert.throws(() => listen(sock(), { codec: 'structured' }), { code: ErrorCode.INVALID_ARGUMENT, message: /trusted/ });
    await assert.rejects(connect(sock(), { codec: 'structured' }), { code: ErrorCode.INVALID_ARGUMENT });
    const path = sock();
    const listener = listen<Map<string, number>>(path, { codec: 'structured', authKey: KEY });
    listener.on('connection', async (conn) => {
      for await (const m of conn) await conn.send(new Map([...m].map(([k, v]) => [k, v * 2])));
      conn.close();
    });
    const c = await connect<Map<string, number>>(path, { codec: 'structured', authKey: KEY });
    assert.deepEqual(await c.request(new Map([['a', 1]])), new Map([['a', 2]]));
    c.close();
    await listener.close();
    const trusted = listen(sock(), { codec: 'structured', trusted: true });
    await trusted.close();
  });
});
