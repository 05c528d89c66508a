// Interop with peers nobody on the ipckit side wrote: Python's socket module
// (send_fds / recv_fds over stream, seqpacket and datagram sockets) and
// socat, byte-exact in both directions. Skipped, visibly, when python3 or
// socat is not installed.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import {
  connectUnix,
  createDatagramSocket,
  listenSeqpacket,
  listenUnix,
  pipe,
  type ReceivedFd,
  type SeqpacketSocket,
  type UnixStream,
} from '../../src/index.js';
import { exited, text } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';
import { tmpDir } from '../helpers/tmp.js';

checkFdLeaks();
const tmp = tmpDir();
const peer = fileURLToPath(new URL('../../../test/peers/fd_peer.py', import.meta.url));

function has(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
// send_fds / recv_fds arrived in Python 3.9.
const python = has('python3', ['-c', 'import socket, sys; sys.exit(0 if hasattr(socket, "send_fds") else 1)']);
const socat = has('socat', ['-V']);
const noPython = !python && 'python3 (3.9 or later) is not installed';
const noSocat = !socat && 'socat is not installed (apt-get install socat)';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Reads to the end without destroying the stream. */
async function readAll(s: UnixStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s.iterator({ destroyOnReturn: false })) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** `work`, unless the child fails first (then its exit code is the error, not a hang). */
async function unlessFails<T>(child: ChildProcess, work: Promise<T>): Promise<T> {
  const failed = exited(child).then(([code, signal]) => {
    if (code !== 0) throw new Error(`the peer failed (${code ?? signal})`);
    return new Promise<never>(() => {});
  });
  return Promise.race([work, failed]);
}

/** The "msg I SHA" lines a Python peer printed, in order. */
function messageHashes(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('msg '))
    .map((l) => l.split(' ')[2]!);
}

describe('interop with Python (socket.send_fds / recv_fds)', { skip: noPython }, () => {
  it('Python sends a file fd and 1 MiB over a stream socket; both arrive exact', async () => {
    const path = tmp.path('py1');
    const server = listenUnix(path);
    const child = spawn('python3', [peer, 'stream-send', path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out = text(child.stdout);
    const done = exited(child);
    const [conn] = (await unlessFails(child, once(server, 'connection'))) as [UnixStream];
    const fds = once(conn, 'fds') as Promise<[ReceivedFd[]]>;
    const data = readAll(conn);
    const [[file]] = (await fds) as [[ReceivedFd]];
    assert.equal(file.kind, 'file');
    const fh = await file.toFileHandle();
    const content = Buffer.alloc(100);
    const { bytesRead } = await fh.read(content, 0, 100, 0);
    assert.equal(String(content.subarray(0, bytesRead)), 'file content from python');
    await fh.close();
    const bytes = await data;
    assert.equal(String(bytes.subarray(0, 1)), 'F');
    conn.close();
    assert.equal((await done)[0], 0);
    assert.match(await out, new RegExp(`sha256 ${sha(bytes.subarray(1))}`));
    assert.equal(bytes.length, 1 + (1 << 20));
    await server.close();
  });

  it('Python receives a pipe fd from ipckit and writes through it', async () => {
    const path = tmp.path('py2');
    const server = listenUnix(path);
    const child = spawn('python3', [peer, 'stream-recv', path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out = text(child.stdout);
    const done = exited(child);
    const [conn] = (await once(server, 'connection')) as [UnixStream];
    const p = pipe();
    await conn.sendFds([p.writer], 'hello python');
    p.writer.close(); // Python holds the only write end now
    const [echo] = await Promise.all([readAll(conn), done]);
    assert.equal(String(echo), 'hello python');
    let got = '';
    for await (const c of p.reader) got += String(c);
    assert.equal(got, 'written by python');
    assert.match(await out, /^fds 1 /);
    conn.close();
    await server.close();
  });

  it('Python sends 100 seqpacket messages with an fd each; boundaries and bytes exact', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
    const path = tmp.path('py3');
    const server = listenSeqpacket(path);
    const child = spawn('python3', [peer, 'seq-send', path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out = text(child.stdout);
    const [conn] = (await unlessFails(child, once(server, 'connection'))) as [SeqpacketSocket];
    const hashes: string[] = [];
    for await (const m of conn) {
      assert.equal(m.data.length, 1000 * (hashes.length + 1));
      assert.equal(m.fds.length, 1);
      assert.equal(m.fds[0]!.kind, 'fifo');
      for (const f of m.fds) f.close();
      hashes.push(sha(m.data));
    }
    await exited(child);
    assert.deepEqual(hashes, messageHashes(await out));
    assert.equal(hashes.length, 100);
    conn.close();
    await server.close();
  });

  it('Python sends datagrams to a bound ipckit socket; each whole, fds with the right one', async () => {
    const path = tmp.path('py4');
    const s = createDatagramSocket({ bind: path });
    const child = spawn('python3', [peer, 'dgram-send', path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out = text(child.stdout);
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await unlessFails(child, s.recv());
      assert.equal(m.fds.length, i === 2 ? 3 : 0);
      for (const f of m.fds) f.close();
      got.push(sha(m.data));
    }
    await exited(child);
    assert.deepEqual(got, messageHashes(await out));
    s.close();
  });
});

describe('interop with socat', { skip: noSocat }, () => {
  const payload = randomBytes(1 << 20);

  it('socat client to an ipckit listener: 1 MiB exact', async () => {
    const path = tmp.path('so1');
    const file = tmp.path('so1.bin');
    writeFileSync(file, payload);
    const server = listenUnix(path);
    const child = spawn('socat', ['-u', `OPEN:${file}`, `UNIX-CONNECT:${path}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    const done = exited(child);
    const [conn] = (await once(server, 'connection')) as [UnixStream];
    const got = await readAll(conn);
    assert.equal((await done)[0], 0);
    assert.ok(got.equals(payload), `got ${got.length} bytes, sha ${sha(got)}`);
    conn.close();
    await server.close();
  });

  it('an ipckit listener to a socat client: 1 MiB exact', async () => {
    const path = tmp.path('so2');
    const file = tmp.path('so2.bin');
    const server = listenUnix(path);
    server.on('connection', (c: UnixStream) => c.end(payload));
    const child = spawn('socat', ['-u', `UNIX-CONNECT:${path}`, `CREATE:${file}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    assert.equal((await exited(child))[0], 0);
    assert.ok(readFileSync(file).equals(payload));
    await server.close();
  });

  it('an ipckit client to a socat echo listener: 1 MiB there and back, exact, with half-close', async () => {
    const path = tmp.path('so3');
    const child = spawn('socat', ['-d', '-d', `UNIX-LISTEN:${path}`, 'EXEC:cat'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const done = exited(child);
    // socat says when it listens (on stderr); wait for that line.
    const lines = createInterface({ input: child.stderr! });
    for await (const line of lines) if (line.includes('listening on')) break;
    const c = await connectUnix(path);
    c.end(payload);
    const echoed = await readAll(c);
    assert.ok(echoed.equals(payload), `got ${echoed.length} bytes`);
    c.close();
    assert.equal((await done)[0], 0);
  });

  it('socat to an abstract-name listener (Linux)', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
    const name = `ipckit-interop-${process.pid}`;
    const file = tmp.path('so4.bin');
    writeFileSync(file, payload);
    const server = listenUnix({ abstract: name });
    const child = spawn('socat', ['-u', `OPEN:${file}`, `ABSTRACT-CONNECT:${name}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    const done = exited(child);
    const [conn] = (await once(server, 'connection')) as [UnixStream];
    assert.ok((await readAll(conn)).equals(payload));
    assert.equal((await done)[0], 0);
    conn.close();
    await server.close();
  });

  it('socat datagrams to a bound ipckit socket: every block whole, in order', async () => {
    const path = tmp.path('so5');
    const file = tmp.path('so5.bin');
    const small = payload.subarray(0, 100_000);
    writeFileSync(file, small);
    const s = createDatagramSocket({ bind: path });
    // socat sends each block it reads (-b bytes) as one datagram.
    const child = spawn('socat', ['-u', '-b', '4000', `OPEN:${file}`, `UNIX-SENDTO:${path}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    const parts: Buffer[] = [];
    let total = 0;
    while (total < small.length) {
      const m = await unlessFails(child, s.recv());
      assert.ok(m.data.length <= 4000);
      parts.push(m.data);
      total += m.data.length;
    }
    assert.equal((await exited(child))[0], 0);
    assert.ok(Buffer.concat(parts).equals(small));
    s.close();
  });
});
