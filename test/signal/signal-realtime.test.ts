// Realtime signals (Linux): subscribing by every name form, sigqueue's
// value and sender (from C and from sendSignal), and catalog G36(b): 1,000 SIGRTMIN sent as fast as
// possible to a process whose event loop is blocked all arrive.
import assert from 'node:assert/strict';
import { execFileSync, spawn as nodeSpawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode, onSignal, sendSignal, signalNumber, signals, type SignalInfo } from '../../src/index.js';
import { native } from '../../src/native.js';
import { exited, fixture, text, timeScale } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';
import { lineReader } from '../helpers/lines.js';

checkFdLeaks();

const b = native();
const linux = process.platform === 'linux' ? false : 'realtime signals exist only on Linux';

describe('realtime signals', { skip: linux }, () => {
  it('subscribes by SIGRTMIN, SIGRTMIN+n, SIGRTMAX-n, SIGRTMAX and number; each send is one delivery', async () => {
    const names = ['SIGRTMIN', 'SIGRTMIN+3', 'SIGRTMAX-2', 'SIGRTMAX'] as const;
    const before = names.map((n) => b.signalDescribe(signalNumber(n)));
    const it = signals([...names, b.SIGRTMIN + 1]);
    const sent = [...names, 'SIGRTMIN+1', 'SIGRTMIN+3', 'SIGRTMIN+3'];
    for (const n of sent) process.kill(process.pid, signalNumber(n as never));
    const seen: string[] = [];
    for await (const info of it) {
      seen.push(info.signal);
      if (seen.length === sent.length) break;
    }
    // Realtime signals queue: none merged, even the repeated ones. (The
    // order is the kernel's: lowest number first among those pending.)
    assert.deepEqual(seen.sort(), sent.sort());
    assert.deepEqual(names.map((n) => b.signalDescribe(signalNumber(n))), before);
  });

  it('carries sigqueue\'s value and sender (SI_QUEUE)', async (t) => {
    if (spawnSync('gcc', ['--version']).status !== 0) return t.skip('gcc is not installed: no way to call sigqueue(3) from here');
    const dir = mkdtempSync(join(tmpdir(), 'ipckit-'));
    try {
      writeFileSync(
        join(dir, 'q.c'),
        '#include <signal.h>\n#include <stdlib.h>\nint main(int c, char** v) { union sigval s; s.sival_int = atoi(v[3]);\n' +
          '  return sigqueue(atoi(v[1]), atoi(v[2]), s) == 0 ? 0 : 1; }\n',
      );
      execFileSync('gcc', ['-o', join(dir, 'q'), join(dir, 'q.c')]);
      const signo = signalNumber('SIGRTMIN+4');
      const got: SignalInfo[] = [];
      let bothArrived!: () => void;
      const done = new Promise<void>((resolve) => (bothArrived = resolve));
      const sub = onSignal(signo, (info) => {
        got.push(info);
        if (got.length === 2) bothArrived();
      });
      const q1 = nodeSpawn(join(dir, 'q'), [String(process.pid), String(signo), '4242']);
      const q2 = nodeSpawn(join(dir, 'q'), [String(process.pid), String(signo), '-7']);
      assert.deepEqual(await exited(q1), [0, null]);
      assert.deepEqual(await exited(q2), [0, null]);
      await done;
      sub.close();
      got.sort((x, y) => y.value - x.value);
      assert.deepEqual(got, [
        { signal: 'SIGRTMIN+4', signo, code: -1, pid: q1.pid, uid: process.getuid!(), value: 4242 },
        { signal: 'SIGRTMIN+4', signo, code: -1, pid: q2.pid, uid: process.getuid!(), value: -7 },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sendSignal(pid, sig, { value }) queues the value with the signal; one delivery per send', async () => {
    const signo = signalNumber('SIGRTMIN+5');
    const got: SignalInfo[] = [];
    let all!: () => void;
    const done = new Promise<void>((resolve) => (all = resolve));
    const sub = onSignal(signo, (info) => {
      got.push(info);
      if (got.length === 3) all();
    });
    for (const value of [0x7fffffff, -0x80000000, 5]) sendSignal(process.pid, 'SIGRTMIN+5', { value });
    await done;
    sub.close();
    const me = { signal: 'SIGRTMIN+5', signo, code: -1, pid: process.pid, uid: process.getuid!() };
    assert.deepEqual(
      got.sort((x, y) => x.value - y.value),
      [-0x80000000, 5, 0x7fffffff].map((value) => ({ ...me, value })),
    );
  });

  it('sendSignal with a value: refuses groups and non-integers, reports ESRCH like kill', () => {
    const invalid = (err: unknown): boolean => (err as { code?: string }).code === ErrorCode.INVALID_ARGUMENT;
    assert.throws(() => sendSignal({ group: process.pid }, 'SIGRTMIN', { value: 1 }), invalid);
    assert.throws(() => sendSignal(process.pid, 'SIGRTMIN', { value: 1.5 }), invalid);
    assert.throws(() => sendSignal(process.pid, 'SIGRTMIN', { value: 2 ** 31 }), invalid);
    assert.throws(() => sendSignal(process.pid, 'SIGRTMIN', { value: '1' as never }), invalid);
    assert.throws(() => sendSignal(process.pid, 'SIGRTMIN', 5 as never), invalid);
    assert.throws(() => sendSignal(0x7ffffff0, 'SIGRTMIN', { value: 1 }), (err: unknown) => {
      const e = err as NodeJS.ErrnoException;
      return e.code === 'ESRCH' && e.syscall === 'sigqueue';
    });
  });

  /** Sends n SIGRTMIN to a receiver whose event loop is blocked until they are all sent; returns its report. */
  async function blockedBurst(n: number, watchdog: AbortSignal): Promise<{ count: number; dropped: number; capacity: number }> {
    // A receiver that never reports must not outlive a timed-out test.
    const receiver = nodeSpawn(process.execPath, [fixture('signal-receiver'), 'count', 'SIGRTMIN', 'SIGRTMIN+1', 'blocked'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      signal: watchdog,
      killSignal: 'SIGKILL',
    });
    const lines = lineReader(receiver.stdout);
    assert.equal(await lines.next(), 'ready');
    const sender = nodeSpawn(process.execPath, [fixture('signal-sender'), String(receiver.pid), 'SIGRTMIN', String(n), '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      signal: watchdog,
      killSignal: 'SIGKILL',
    });
    const [sent, [code]] = await Promise.all([text(sender.stdout), exited(sender)]);
    assert.equal(code, 0);
    assert.equal(JSON.parse(sent).sent, n);
    receiver.stdin!.end('report\n');
    const report = JSON.parse(await lines.next()) as { count: number; dropped: number; capacity: number };
    assert.deepEqual(await exited(receiver), [0, null]);
    return report;
  }

  // catalog G36(b)
  it('1,000 SIGRTMIN sent as fast as possible to a process with a blocked event loop: all 1,000 arrive', { timeout: 120_000 * timeScale }, async (t) => {
    const report = await blockedBurst(1000, t.signal);
    t.diagnostic(`${report.count} of 1000 SIGRTMIN delivered; ${report.dropped} dropped; pipe ${report.capacity} bytes`);
    // 1,000 records fit the kernel's default pipe: it was not enlarged.
    assert.deepEqual(report, { count: 1000, dropped: 0, capacity: defaultPipeCapacity() });
  });

  it('more deliveries than the pipe holds, with the loop blocked: the pipe grows once to 1 MiB, the rest are counted as dropped, none lost silently', { timeout: 120_000 * timeScale }, async (t) => {
    const N = 40_000; // above the 32,768 records a 1 MiB pipe holds
    const limit = /^Max pending signals\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    if (limit !== undefined && limit !== 'unlimited' && Number(limit) < 2 * N) {
      return t.skip(`RLIMIT_SIGPENDING is ${limit} here; the sender could hit it`);
    }
    const report = await blockedBurst(N, t.signal);
    t.diagnostic(`${report.count} delivered, ${report.dropped} dropped of ${N}; pipe ${report.capacity} bytes`);
    assert.ok(report.dropped > 0, 'the pipe filled');
    assert.equal(report.count + report.dropped, N);
    assert.equal(report.count, report.capacity / b.SIGNAL_RECORD_SIZE, 'every record the pipe held was delivered');
    // Root may always enlarge a pipe; another user only to pipe-max-size and within the per-user budget.
    if (process.getuid!() === 0) assert.equal(report.capacity, 1 << 20);
    else assert.ok(report.capacity > defaultPipeCapacity(), 'the pipe was enlarged');
  });
});

/** The capacity the kernel gives a new pipe of this user. */
function defaultPipeCapacity(): number {
  const fds = new Int32Array(2);
  assert.equal(b.pipe(fds), 0);
  const capacity = b.pipeCapacity(fds[1]!);
  b.closeFd(fds[0]!);
  b.closeFd(fds[1]!);
  return capacity;
}

describe('signal pipes and the per-user pipe budget', { skip: linux }, () => {
  it('100 subscribed slots keep the default pipe size: another user\'s new pipes do not shrink', async (t) => {
    if (process.getuid!() !== 0) return t.skip('needs root, to run a child as user 65534 (nobody) with its own pipe budget');
    const soft = Number(readFileSync('/proc/sys/fs/pipe-user-pages-soft', 'utf8'));
    if (soft === 0) return t.skip('pipe-user-pages-soft is 0 here: no per-user pipe budget');
    const child = nodeSpawn(process.execPath, [fixture('signal-budget'), '100'], { stdio: ['ignore', 'pipe', 'pipe'], uid: 65534, gid: 65534 });
    const [out, err, status] = await Promise.all([text(child.stdout), text(child.stderr), exited(child)]);
    assert.deepEqual(status, [0, null], err);
    const r = JSON.parse(out) as { uid: number; before: number; after: number; capacities: number[] };
    assert.equal(r.uid, 65534);
    if (r.before < 65536) return t.skip(`user 65534 is already past its pipe budget here (a new pipe gets ${r.before} bytes)`);
    t.diagnostic(`a new pipe of user 65534: ${r.before} bytes before, ${r.after} after 100 subscribed slots (pipe-user-pages-soft ${soft})`);
    assert.deepEqual(r.capacities, [r.before], 'each slot\'s pipe has the default size');
    assert.equal(r.after, r.before);
  });
});
