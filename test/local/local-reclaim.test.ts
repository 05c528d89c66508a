// Socket files: never wider than asked from bind to listen (catalog C16),
// and stale names reclaimed only when safe (catalog C18): a stale file is
// reclaimed, a live listener is never displaced, two servers starting at
// once never displace each other, a successor's file outlives the old
// server's close.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { connect, listen, type LocalStream } from '../../src/index.js';
import { native } from '../../src/native.js';
import { cHelper } from '../helpers/cc.js';
import { exited, fixture } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';
import { lineReader } from '../helpers/lines.js';
import { tmpDir } from '../helpers/tmp.js';

checkFdLeaks();
const tmp = tmpDir();
const root = process.getuid?.() === 0;
let n = 0;
const sock = (): string => tmp.path(`r${n++}`);

/** Leaves a socket file nobody listens on, as a crashed server would. */
function staleSocket(path: string): number {
  const b = native();
  const fd = b.udsSocket(b.UDS_STREAM, false);
  assert.equal(b.udsBind(fd, Buffer.from(path), false, 0o600), 0);
  b.closeFd(fd);
  return lstatSync(path).ino;
}

async function readAll(s: LocalStream): Promise<string> {
  let out = '';
  for await (const c of s.iterator({ destroyOnReturn: false })) out += String(c);
  return out;
}

describe('reclaiming names', () => {
  it('a stale socket file is reclaimed; with reclaimName: false it is EADDRINUSE', async () => {
    const path = sock();
    const stale = staleSocket(path);
    assert.throws(() => listen(path, { reclaimName: false }), { code: 'EADDRINUSE', message: /reclaimName/ });
    assert.equal(lstatSync(path).ino, stale, 'left alone');
    const listener = listen(path);
    listener.once('connection', (c: LocalStream) => c.end('fresh'));
    const c = await connect(path);
    assert.equal(await readAll(c), 'fresh');
    c.close();
    await listener.close();
  });

  it('anything else at the path is left alone: a regular file, another user\'s socket', async () => {
    const path = sock();
    writeFileSync(path, 'precious');
    assert.throws(() => listen(path), { code: 'EADDRINUSE', message: /not a socket/ });
    assert.equal(readFileSync(path, 'utf8'), 'precious');
    if (!root) return;
    const other = sock();
    const ino = staleSocket(other);
    chownSync(other, 65534, 65534);
    assert.throws(() => listen(other), { code: 'EADDRINUSE', message: /another user/ });
    assert.equal(lstatSync(other).ino, ino);
  });

  it("a successor's socket file outlives the old server's close()", async () => {
    const path = sock();
    const old = listen(path);
    rmSync(path); // someone removed the file; a new server takes the name
    const successor = listen(path);
    const ino = lstatSync(path).ino;
    await old.close();
    assert.equal(lstatSync(path).ino, ino, 'the old server did not remove it');
    successor.once('connection', (c: LocalStream) => c.end('successor'));
    const c = await connect(path);
    assert.equal(await readAll(c), 'successor');
    c.close();
    await successor.close();
  });

  // catalog C18 (b)
  it('a live listener of another process is never displaced: 1,000 attempts, all EADDRINUSE, inode unchanged', async () => {
    const path = sock();
    const holder = spawn(process.execPath, [fixture('local-holder'), path], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = lineReader(holder.stdout);
    const ino = Number((await lines.until((l) => l.startsWith('listening '))).split(' ')[1]);
    const codes = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      try {
        const l = listen(path);
        await l.close();
        codes.set('listened', (codes.get('listened') ?? 0) + 1);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code!;
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
    assert.deepEqual([...codes], [['EADDRINUSE', 1000]]);
    assert.equal(lstatSync(path).ino, ino);
    const c = await connect(path);
    assert.equal(await readAll(c), String(holder.pid), 'the holder still answers');
    c.close();
    holder.stdin!.end();
    await exited(holder);
  });

  // catalog C18, two servers starting at once on a stale name
  it('two processes reclaiming the same stale name 500 times: never both, never a hijack', { timeout: 120_000 }, async () => {
    const path = sock();
    const racers = [0, 1].map(() => spawn(process.execPath, [fixture('local-racer'), path], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const done = racers.map((r) => exited(r));
    const readers = racers.map((r) => lineReader(r.stdout));
    const tally = new Map<string, number>();
    try {
      for (let round = 0; round < 500; round++) {
        staleSocket(path);
        for (const r of racers) r.stdin!.write('go\n');
        const answers = await Promise.all(readers.map((r) => r.next()));
        for (const a of answers) tally.set(a, (tally.get(a) ?? 0) + 1);
        assert.ok(answers.includes('won'), `round ${round}: nobody won (${answers.join(', ')})`);
        assert.ok(answers.every((a) => a === 'won' || a === 'lost EADDRINUSE'), `round ${round}: ${answers.join(', ')}`);
      }
    } finally {
      for (const r of racers) r.stdin!.end();
      await Promise.all(done);
    }
    assert.ok((tally.get('won') ?? 0) >= 500, JSON.stringify([...tally]));
  });

  // catalog C16 (perm-atomic-on-bind)
  for (const umask of [0o000, 0o022]) {
    it(`umask ${umask.toString(8).padStart(3, '0')}: an observer never sees the socket wider than 0600, and another user never connects`, async () => {
      const path = sock();
      const watch = cHelper('mode-watch');
      const same = spawn(watch, [path], { stdio: ['pipe', 'pipe', 'inherit'] });
      const watchers = [same];
      if (root) {
        // Another user cannot even reach the private directory; it keeps trying.
        watchers.push(spawn(watch, [path], { uid: 65534, gid: 65534, stdio: ['pipe', 'pipe', 'inherit'] }));
      }
      const readers = watchers.map((w) => lineReader(w.stdout));
      await Promise.all(readers.map((r) => r.until((l) => l === 'ready')));
      const old = process.umask(umask);
      try {
        for (let i = 0; i < 300; i++) {
          const l = listen(path);
          await l.close();
        }
      } finally {
        process.umask(old);
      }
      for (const w of watchers) w.stdin!.end();
      const reports = await Promise.all(readers.map((r) => r.next()));
      await Promise.all(watchers.map((w) => exited(w)));
      const [mine, other] = reports.map((line) => {
        const m = /^seen (\d+) bits (\d+) connects (\d+)$/.exec(line)!;
        return { seen: Number(m[1]), bits: parseInt(m[2]!, 8), connects: Number(m[3]) };
      });
      assert.ok(mine!.seen > 0, 'the observer saw the socket at least once');
      assert.equal(mine!.bits & ~0o600, 0, `observed mode bits ${mine!.bits.toString(8)}`);
      if (other !== undefined) {
        assert.equal(other.connects, 0);
        assert.equal(other.seen, 0, 'the private directory hides the socket from other users');
      }
    });
  }
});
