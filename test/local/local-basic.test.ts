// Local sockets: names in a private directory, raw bytes, permissions, who
// may connect (allow, expectServerUid; catalog C20, C21), waiting for a
// listener, limits, and refusal of unsafe directories (catalog C17).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { connect, ErrorCode, listen, localSocketPath, type LocalStream, type RefusedConnection } from '../../src/index.js';
import { cHelper } from '../helpers/cc.js';
import { exited, fixture } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';
import { lineReader } from '../helpers/lines.js';
import { tmpDir } from '../helpers/tmp.js';

checkFdLeaks();
const tmp = tmpDir();
const root = process.getuid?.() === 0;
const NOBODY = 65534;
let savedXdg: string | undefined;
before(() => {
  // Names of this file live in its own temporary runtime directory.
  savedXdg = process.env.XDG_RUNTIME_DIR;
  process.env.XDG_RUNTIME_DIR = tmp.dir;
});
after(() => {
  if (savedXdg === undefined) delete process.env.XDG_RUNTIME_DIR;
  else process.env.XDG_RUNTIME_DIR = savedXdg;
});
let n = 0;
const name = (): string => `t${n++}`;

async function readAll(s: LocalStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s.iterator({ destroyOnReturn: false })) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** A directory other users can reach and bind in (our temporary directory is private). */
function sharedDir(): string {
  const d = mkdtempSync('/tmp/ik-shared-');
  chmodSync(d, 0o1777);
  return d;
}

describe('local sockets', () => {
  it('listen and connect by name: raw bytes both ways, no framing added', async () => {
    const nm = name();
    const listener = listen(nm);
    listener.on('connection', (c: LocalStream) => c.pipe(c));
    const c = await connect(nm);
    assert.deepEqual(c.peerCredentials(), { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    const bytes = Buffer.from([0, 1, 2, 0xa5, 0xff, 10]);
    c.end(bytes);
    assert.deepEqual(await readAll(c), bytes);
    c.close();
    await listener.close();
  });

  it('the directory is 0700 and the socket 0600 by default; mode is exact; close() removes the file', async () => {
    const nm = name();
    const addr = localSocketPath(nm) as { path: string; dir: string };
    assert.equal(addr.dir, `${tmp.dir}/ipckit`);
    const old = process.umask(0);
    try {
      const listener = listen(nm);
      assert.equal(lstatSync(addr.dir).mode & 0o777, 0o700);
      assert.equal(lstatSync(addr.path).mode & 0o777, 0o600);
      assert.deepEqual(listener.address, addr);
      await listener.close();
      assert.throws(() => lstatSync(addr.path), { code: 'ENOENT' });
      const wider = listen(nm, { mode: 0o660 });
      assert.equal(lstatSync(addr.path).mode & 0o777, 0o660);
      await wider.close();
    } finally {
      process.umask(old);
    }
  });

  it('iterates over connections; connections stay open after the listener closes', async () => {
    const nm = name();
    const listener = listen(nm);
    const clients = await Promise.all([connect(nm), connect(nm), connect(nm)]);
    const got: LocalStream[] = [];
    for await (const conn of listener) {
      got.push(conn);
      if (got.length === 3) break;
    }
    assert.equal(listener.connections, 3);
    await listener.close();
    got[0]!.end('still here');
    assert.equal(String(await readAll(clients[0]!)), 'still here');
    for (const c of [...clients, ...got]) c.close();
  });

  it('wait: true connects once a listener appears; without it, ENOENT; timeout and signal give up', async () => {
    const nm = name();
    await assert.rejects(connect(nm), { code: 'ENOENT' });
    const waiting = connect(nm, { wait: true, timeout: 30_000 });
    const listener = listen(nm);
    const accepted = once(listener, 'connection') as Promise<[LocalStream]>;
    const c = await waiting;
    const [s] = await accepted;
    await assert.rejects(connect(name(), { wait: true, timeout: 30 }), { code: ErrorCode.TIMEOUT });
    const ac = new AbortController();
    const aborted = connect(name(), { wait: true, signal: ac.signal });
    ac.abort(new Error('no longer'));
    await assert.rejects(aborted, { message: 'no longer' });
    for (const x of [c, s]) x.close();
    await listener.close();
  });

  it('maxConnections: beyond it clients wait in the backlog and are delivered as others close', async () => {
    const nm = name();
    const listener = listen(nm, { maxConnections: 2 });
    const delivered: LocalStream[] = [];
    let arrived: () => void = () => {};
    listener.on('connection', (c: LocalStream) => {
      delivered.push(c);
      arrived();
    });
    const next = (): Promise<void> => new Promise((r) => (arrived = r));
    let wait = next();
    const a = await connect(nm);
    await wait;
    wait = next();
    const b = await connect(nm);
    await wait;
    wait = next();
    const c = await connect(nm); // the kernel queues it
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(delivered.length, 2, 'the third waits');
    assert.equal(listener.connections, 2);
    delivered[0]!.close();
    await wait;
    assert.equal(delivered.length, 3);
    for (const x of [a, b, c, ...delivered]) x.close();
    await listener.close();
  });

  it("allow: a function of the peer's credentials; a refused client gets no byte through and the application never sees it", async () => {
    const nm = name();
    const seen: unknown[] = [];
    const listener = listen(nm, { allow: (creds) => creds.pid !== process.pid });
    listener.on('connection', (c) => seen.push(c));
    const refused = once(listener, 'refused') as Promise<[RefusedConnection]>;
    const c = await connect(nm);
    c.write('let me in');
    const [r] = await refused;
    assert.equal(r.reason, 'allow');
    assert.equal(r.credentials?.pid, process.pid);
    // Closed without a word (a reset, since what it wrote was never read).
    const answer = await readAll(c).catch((err: NodeJS.ErrnoException) => err.code);
    assert.ok(answer === 'ECONNRESET' || (Buffer.isBuffer(answer) && answer.length === 0), String(answer));
    assert.deepEqual(seen, []);
    c.close();
    await listener.close();
    assert.throws(() => listen(name(), { allow: 'everyone' as never }), { code: ErrorCode.INVALID_ARGUMENT });
  });

  // catalog C21: a default listener rejects a foreign uid with 0 bytes delivered
  it('the default allows only the same user: a client running as nobody is refused before any byte', { skip: !root && 'needs root to run a client as another user' }, async () => {
    const dir = sharedDir();
    try {
      const path = `${dir}/s`;
      const listener = listen(path, { mode: 0o666 });
      const seen: unknown[] = [];
      listener.on('connection', (c) => seen.push(c));
      const refused = once(listener, 'refused') as Promise<[RefusedConnection]>;
      const child = spawn(cHelper('uds-client'), [path], { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'ignore', 'inherit'] });
      const [r] = await refused;
      assert.equal(r.credentials?.uid, NOBODY);
      assert.equal(r.credentials?.pid, child.pid);
      await exited(child); // it sees its connection closed
      assert.deepEqual(seen, []);
      await listener.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('expectServerUid: a server of another uid gets no byte, and connect() fails with IPCKIT_PEER_REJECTED', { skip: !root && 'needs root to run a server as another user' }, async () => {
    const dir = sharedDir();
    try {
      const path = `${dir}/squat`;
      const squatter = spawn(process.execPath, [fixture('local-squatter'), path], { uid: NOBODY, gid: NOBODY, stdio: ['pipe', 'pipe', 'inherit'] });
      const lines = lineReader(squatter.stdout);
      await lines.until((l) => l === 'bound');
      await assert.rejects(connect(path, { expectServerUid: process.getuid!() }), { code: ErrorCode.PEER_REJECTED, message: /uid 65534/ });
      // A path is not checked unless asked: this one connects (and is told nothing).
      const unchecked = await connect(path);
      assert.equal(unchecked.peerCredentials().uid, NOBODY);
      unchecked.close();
      squatter.stdin!.end();
      assert.equal(await lines.next(), 'received 0');
      await exited(squatter);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // catalog C20 (a): a squatter of our abstract name gets 0 bytes from our client
  it('abstract names (opt-in): a squatter of another uid makes listen EADDRINUSE and gets no byte from a client', { skip: (process.platform !== 'linux' || !root) && 'Linux, as root' }, async () => {
    const nm = { name: name(), abstract: true } as const;
    const own = listen(nm);
    own.once('connection', (c: LocalStream) => c.end('abstract'));
    const c = await connect(nm);
    assert.equal(String(await readAll(c)), 'abstract');
    c.close();
    await own.close();
    const addr = localSocketPath(nm) as { abstract: string };
    const squatter = spawn(process.execPath, [fixture('local-squatter'), `@${addr.abstract}`], { uid: NOBODY, gid: NOBODY, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = lineReader(squatter.stdout);
    await lines.until((l) => l === 'bound');
    assert.throws(() => listen(nm), { code: 'EADDRINUSE' });
    await assert.rejects(connect(nm), { code: ErrorCode.PEER_REJECTED });
    squatter.stdin!.end();
    assert.equal(await lines.next(), 'received 0');
    await exited(squatter);
  });

  it('a name too long for a socket address is IPCKIT_PATH_TOO_LONG, with nothing created', async () => {
    const nm = 'x'.repeat(100);
    const before = readdirSync(`${tmp.dir}/ipckit`).length;
    assert.throws(() => listen(nm), { code: ErrorCode.PATH_TOO_LONG });
    assert.equal(readdirSync(`${tmp.dir}/ipckit`).length, before);
  });

  it('validates its arguments', async () => {
    assert.throws(() => listen('bad name'), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => listen(name(), { mode: 0o1777 }), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => listen(name(), { maxConnections: 0 }), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => listen(name(), { reclaimName: 'yes' as never }), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => listen(name(), { authKey: 'short' }), { code: ErrorCode.INVALID_ARGUMENT, message: /16 bytes/ });
    await assert.rejects(connect(name(), { expectServerUid: -1 }), { code: ErrorCode.INVALID_ARGUMENT });
    await assert.rejects(connect(name(), { wait: 1 as never }), { code: ErrorCode.INVALID_ARGUMENT });
  });
});

// catalog C17 (insecure-dir-refusal)
describe('unsafe directories are refused, with nothing created or removed', () => {
  function listing(dir: string): string[] {
    return readdirSync(dir).sort();
  }

  it('the private directory open to others, or not a directory, or a symlink', async () => {
    const xdg = mkdtempSync('/tmp/ik-xdg-');
    const saved = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = xdg;
    try {
      mkdirSync(`${xdg}/ipckit`, { mode: 0o700 });
      chmodSync(`${xdg}/ipckit`, 0o755);
      assert.throws(() => listen('a'), { code: ErrorCode.INSECURE_PATH, message: /mode 755/ });
      await assert.rejects(connect('a'), { code: ErrorCode.INSECURE_PATH }, 'clients check it too');
      assert.deepEqual(listing(`${xdg}/ipckit`), []);
      rmSync(`${xdg}/ipckit`, { recursive: true });
      const elsewhere = mkdtempSync('/tmp/ik-target-');
      symlinkSync(elsewhere, `${xdg}/ipckit`);
      assert.throws(() => listen('a'), { code: ErrorCode.INSECURE_PATH, message: /symlink/ });
      assert.deepEqual(listing(elsewhere), [], 'nothing created through the symlink');
      rmSync(`${xdg}/ipckit`);
      rmSync(elsewhere, { recursive: true });
      writeFileSync(`${xdg}/ipckit`, 'a file');
      assert.throws(() => listen('a'), { code: ErrorCode.INSECURE_PATH, message: /not a directory/ });
    } finally {
      process.env.XDG_RUNTIME_DIR = saved;
      rmSync(xdg, { recursive: true, force: true });
    }
  });

  it('the private directory owned by another user', { skip: !root && 'needs root to give a directory away' }, async () => {
    const xdg = mkdtempSync('/tmp/ik-xdg-');
    const saved = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = xdg;
    try {
      mkdirSync(`${xdg}/ipckit`, { mode: 0o700 });
      chownSync(`${xdg}/ipckit`, NOBODY, NOBODY);
      assert.throws(() => listen('a'), { code: ErrorCode.INSECURE_PATH, message: /belongs to uid 65534/ });
      assert.deepEqual(listing(`${xdg}/ipckit`), []);
    } finally {
      process.env.XDG_RUNTIME_DIR = saved;
      rmSync(xdg, { recursive: true, force: true });
    }
  });

  it('an explicit path: a directory writable by others without the sticky bit, a symlinked directory, a symlink at the path', async () => {
    const base = mkdtempSync('/tmp/ik-paths-');
    try {
      mkdirSync(`${base}/open`);
      chmodSync(`${base}/open`, 0o777);
      assert.throws(() => listen(`${base}/open/s`), { code: ErrorCode.INSECURE_PATH, message: /sticky/ });
      assert.deepEqual(listing(`${base}/open`), []);
      mkdirSync(`${base}/sticky`);
      chmodSync(`${base}/sticky`, 0o1777);
      const ok = listen(`${base}/sticky/s`);
      await ok.close();
      mkdirSync(`${base}/real`, { mode: 0o700 });
      symlinkSync(`${base}/real`, `${base}/link`);
      assert.throws(() => listen(`${base}/link/s`), { code: ErrorCode.INSECURE_PATH, message: /symlink/ });
      assert.deepEqual(listing(`${base}/real`), []);
      writeFileSync(`${base}/real/target`, 'precious');
      symlinkSync(`${base}/real/target`, `${base}/real/s`);
      assert.throws(() => listen(`${base}/real/s`), { code: ErrorCode.INSECURE_PATH, message: /symlink/ });
      assert.ok(lstatSync(`${base}/real/s`).isSymbolicLink(), 'the symlink is left alone');
      assert.deepEqual(listing(`${base}/real`), ['s', 'target']);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
