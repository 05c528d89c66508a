// Subscribing to signals: onSignal and its Disposable, onceSignal, the
// signals() iterator, names and numbers, what keeps a process alive, a
// throwing handler, kill from a shell, sendSignal to a process and a group.
import assert from 'node:assert/strict';
import { spawn as nodeSpawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  ErrorCode,
  isSystemError,
  onceSignal,
  onSignal,
  sendSignal,
  signalName,
  signalNumber,
  signals,
  type SignalInfo,
} from '../../src/index.js';
import { native } from '../../src/native.js';
import { exited, fixture, text, timeScale } from '../helpers/children.js';
import { checkFdLeaks, fdTarget, openFds } from '../helpers/fds.js';
import { lineReader } from '../helpers/lines.js';

// Node 24's test runner turns on diagnostic reports for SIGUSR2 in each
// test process; these tests raise SIGUSR2 themselves, so turn them off.
process.report.reportOnSignal = false;

checkFdLeaks();

const b = native();
const WAIT = 20_000 * timeScale; // a generous bound on "the signal arrives", never reached when things work
const disposition = (n: number): string => String(b.signalDescribe(n));
// What SIGUSR2 was before anything here subscribed: the default, or a
// handler the test runner installed (Node 24's does).
const initialUsr2 = disposition(12);
/** SIGUSR2 is back to how the process started (a default action may come back with SA_RESTORER set). */
function usr2AsAtStart(): void {
  const now = disposition(12);
  if (initialUsr2.startsWith('default ')) assert.match(now, /^default /);
  else assert.equal(now, initialUsr2);
}

function invalid(message: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.equal((err as { code?: string }).code, ErrorCode.INVALID_ARGUMENT, String(err));
    assert.match((err as Error).message, message);
    return true;
  };
}

describe('onSignal', () => {
  it('calls the handler with the sender, and stops after close(); the disposition comes back', async () => {
    const before = disposition(12);
    const got: SignalInfo[] = [];
    const sub = onSignal('SIGUSR2', (info) => got.push(info));
    assert.match(disposition(12), /^ipckit /);
    assert.deepEqual(sub.signals, ['SIGUSR2']);
    const first = onceSignal('SIGUSR2', { timeout: WAIT });
    process.kill(process.pid, 'SIGUSR2');
    const info = await first;
    assert.deepEqual(info, { signal: 'SIGUSR2', signo: 12, code: 0, pid: process.pid, uid: process.getuid!(), value: 0 });
    assert.deepEqual(got, [info], 'the handler saw the same delivery');
    assert.ok(Object.isFrozen(info));

    sub.close();
    assert.equal(sub.closed, true);
    sub.close(); // idempotent
    // Still subscribed through onceSignal only: the closed handler must not run.
    const second = onceSignal('SIGUSR2', { timeout: WAIT });
    process.kill(process.pid, 'SIGUSR2');
    await second;
    assert.equal(got.length, 1);
    assert.equal(disposition(12), before);
  });

  it('one handler on several signals, several handlers on one signal; Symbol.dispose closes', async () => {
    const seen: string[] = [];
    const both = onSignal(['SIGUSR2', 'SIGHUP', 12], (info) => seen.push(`both:${info.signal}`));
    assert.deepEqual(both.signals, ['SIGUSR2', 'SIGHUP'], 'duplicates are merged');
    const other = onSignal('SIGHUP', (info) => seen.push(`other:${info.signal}`));
    const hup = onceSignal('SIGHUP', { timeout: WAIT });
    process.kill(process.pid, 'SIGHUP');
    await hup;
    const usr2 = onceSignal('SIGUSR2', { timeout: WAIT });
    process.kill(process.pid, 'SIGUSR2');
    await usr2;
    assert.deepEqual(seen, ['both:SIGHUP', 'other:SIGHUP', 'both:SIGUSR2']);
    both[Symbol.dispose]();
    other[Symbol.dispose]();
    assert.equal(both.closed && other.closed, true);
    assert.match(disposition(1), /^default /);
  });

  it('a SIGUSR1 subscriber gets SIGUSR1 and Node\'s inspector does not start', async () => {
    const child = nodeSpawn(process.execPath, [fixture('signal-receiver'), 'wait', 'SIGUSR1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const err = text(child.stderr);
    const lines = lineReader(child.stdout);
    assert.equal(await lines.next(), 'ready');
    sendSignal(child.pid!, 'SIGUSR1');
    const info = JSON.parse(await lines.next()) as SignalInfo;
    assert.equal(info.signal, 'SIGUSR1');
    assert.equal(info.pid, process.pid);
    assert.deepEqual(await exited(child), [0, null]);
    assert.doesNotMatch(await err, /Debugger|inspector/i);
  });

  it('the same in a program where only a worker uses ipckit: Node\'s inspector handler is recognised from any thread', async () => {
    const child = nodeSpawn(process.execPath, [fixture('signal-receiver'), 'worker-wait', 'SIGUSR1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const err = text(child.stderr);
    const lines = lineReader(child.stdout);
    assert.equal(await lines.next(), 'ready');
    sendSignal(child.pid!, 'SIGUSR1');
    assert.deepEqual(JSON.parse(await lines.next()), { got: 'SIGUSR1', pid: process.pid });
    assert.deepEqual(await exited(child), [0, null]);
    assert.doesNotMatch(await err, /Debugger|inspector/i);
  });

  it('`kill -USR1 <pid>` from a shell reaches the handler, with the shell as sender', async () => {
    const p = onceSignal('SIGUSR1', { timeout: WAIT });
    const sh = nodeSpawn('sh', ['-c', `kill -USR1 ${process.pid}`], { stdio: 'ignore' });
    const info = await p;
    assert.equal(info.signal, 'SIGUSR1');
    assert.equal(info.pid, sh.pid);
    assert.equal(info.code, 0); // SI_USER: sent with kill(2)
    assert.deepEqual(await exited(sh), [0, null]);
  });

  it('a throwing handler is an uncaught exception, and the other handlers still run', async () => {
    const child = nodeSpawn(process.execPath, [fixture('signal-receiver'), 'throw'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [out, [code]] = await Promise.all([text(child.stdout), exited(child)]);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out), { uncaught: 'thrown by a subscriber', got: ['first', 'second'] });
  });

  it('the signal pipe is close-on-exec: a child holds none of it', async () => {
    const before = new Set(openFds().map((fd) => fdTarget(fd)));
    const sub = onSignal('SIGUSR2', () => {});
    const mine = [...new Set(openFds().map((fd) => fdTarget(fd)))].filter((t) => !before.has(t) && t.startsWith('pipe:'));
    assert.equal(mine.length, 1, 'the signal pipe (both ends are in this process)');
    try {
      const child = nodeSpawn('sh', ['-c', 'ls -l /proc/$$/fd'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const [listing] = await Promise.all([text(child.stdout), exited(child)]);
      assert.match(listing, / 1 -> (pipe|socket):\[/, 'the listing shows its own stdout');
      for (const t of mine) assert.ok(!listing.includes(t), `the child inherited ${t}`);
    } finally {
      sub.close();
    }
  });

  it('refuses what cannot work, with a clear IPCKIT_INVALID_ARGUMENT, and changes nothing', () => {
    const before = [9, 11, 19].map(disposition);
    assert.throws(() => onSignal('SIGKILL', () => {}), invalid(/SIGKILL cannot be caught/));
    assert.throws(() => onSignal('SIGSTOP', () => {}), invalid(/SIGSTOP cannot be caught/));
    for (const s of ['SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL'] as const) {
      assert.throws(() => onSignal(s, () => {}), invalid(new RegExp(`${s} cannot be subscribed to: it reports a fault`)));
    }
    assert.throws(() => onSignal('SIGFOO' as never, () => {}), invalid(/unknown signal 'SIGFOO'/));
    assert.throws(() => onSignal('usr1' as never, () => {}), invalid(/unknown signal 'usr1'/));
    assert.throws(() => onSignal(32, () => {}), invalid(/reserves for its threads/));
    assert.throws(() => onSignal(0, () => {}), invalid(/a signal number from 1 to/));
    assert.throws(() => onSignal(b.SIGNAL_MAX + 1, () => {}), invalid(/a signal number from 1 to/));
    assert.throws(() => onSignal(1.5, () => {}), invalid(/a signal number/));
    assert.throws(() => onSignal([], () => {}), invalid(/non-empty array/));
    assert.throws(() => onSignal(['SIGUSR2', 'SIGKILL'], () => {}), invalid(/SIGKILL/));
    assert.throws(() => onSignal('SIGUSR2', 'handler' as never), invalid(/"handler" argument must be a function/));
    assert.deepEqual([9, 11, 19].map(disposition), before);
    usr2AsAtStart(); // the valid half of a refused list was not subscribed
  });
});

describe('signal names and numbers', () => {
  it('reads names, realtime forms and numbers, and names every signal the way kill -l does', () => {
    const [rtmin, rtmax] = [b.SIGRTMIN, b.SIGRTMAX];
    assert.ok(rtmin >= 32 && rtmax > rtmin, `realtime range ${rtmin}..${rtmax}`);
    assert.equal(signalNumber('SIGTERM'), 15);
    assert.equal(signalNumber('SIGIOT'), 6);
    assert.equal(signalNumber('SIGRTMIN'), rtmin);
    assert.equal(signalNumber('SIGRTMIN+3'), rtmin + 3);
    assert.equal(signalNumber('SIGRTMAX-2'), rtmax - 2);
    assert.equal(signalNumber('SIGRTMAX'), rtmax);
    assert.equal(signalNumber(12), 12);
    assert.equal(signalName(6), 'SIGABRT');
    assert.equal(signalName(29), 'SIGIO');
    assert.equal(signalName(rtmin), 'SIGRTMIN');
    assert.equal(signalName(rtmin + 15), 'SIGRTMIN+15');
    assert.equal(signalName(rtmin + 16), `SIGRTMAX-${rtmax - rtmin - 16}`);
    for (let n = 1; n <= rtmax; n++) {
      if (n > 31 && n < rtmin) continue;
      assert.equal(signalNumber(signalName(n)), n, `round trip of ${n}`);
    }
    assert.throws(() => signalNumber('SIGRTMIN+99' as never), invalid(/outside the realtime range/));
    assert.throws(() => signalNumber('SIGRTMIN-1' as never), invalid(/unknown signal/));
    assert.throws(() => signalNumber('SIGRTMAX+1' as never), invalid(/unknown signal/));
    assert.throws(() => signalNumber({} as never), invalid(/a signal name or number/));
  });
});

describe('onceSignal', () => {
  it('rejects with IPCKIT_TIMEOUT after `timeout`, and unsubscribes', async () => {
    const before = disposition(12);
    await assert.rejects(onceSignal('SIGUSR2', { timeout: 1 }), (err: unknown) => {
      assert.equal((err as { code?: string }).code, ErrorCode.TIMEOUT);
      assert.match((err as Error).message, /none of SIGUSR2 arrived within 1 ms/);
      return true;
    });
    assert.equal(disposition(12), before);
  });

  it('rejects with the abort reason, at once if already aborted, and unsubscribes', async () => {
    const before = disposition(12);
    const ac = new AbortController();
    const p = onceSignal(['SIGUSR2'], { signal: ac.signal });
    assert.match(disposition(12), /^ipckit /);
    ac.abort(new Error('stop waiting'));
    await assert.rejects(p, /stop waiting/);
    assert.equal(disposition(12), before);
    await assert.rejects(onceSignal('SIGUSR2', { signal: ac.signal }), /stop waiting/);
    await assert.rejects(onceSignal('SIGKILL'), invalid(/cannot be caught/));
    await assert.rejects(onceSignal('SIGUSR2', { timeout: -1 }), invalid(/"options.timeout"/));
    assert.equal(disposition(12), before);
  });

  it('keeps the process alive while waiting; a plain onSignal does not', async () => {
    // A process with only an onSignal subscription ends by itself, as with process.on.
    const idle = nodeSpawn(process.execPath, [fixture('signal-receiver'), 'keepalive-on'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [idleOut, idleExit] = await Promise.all([text(idle.stdout), exited(idle)]);
    assert.deepEqual(idleExit, [0, null]);
    assert.equal(idleOut, 'exiting\n');
    // One awaiting onceSignal holds the loop until the signal comes: the
    // child's loop does not run dry ('beforeExit') before the signal.
    const waiting = nodeSpawn(process.execPath, [fixture('signal-receiver'), 'keepalive-once'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = lineReader(waiting.stdout);
    assert.equal(await lines.next(), 'waiting');
    sendSignal(waiting.pid!, 'SIGUSR2');
    assert.equal(await lines.next(), 'got SIGUSR2');
    assert.equal(await lines.next(), 'loop ran dry', 'and then the loop ends');
    assert.deepEqual(await exited(waiting), [0, null]);
  });
});

describe('signals()', () => {
  it('yields every delivery in order; break unsubscribes', async () => {
    const before = [1, 12].map(disposition);
    const it = signals(['SIGUSR2', 'SIGHUP']);
    assert.deepEqual(it.signals, ['SIGUSR2', 'SIGHUP']);
    // Sent before anyone iterates: subscribed since signals() returned.
    process.kill(process.pid, 'SIGUSR2');
    process.kill(process.pid, 'SIGHUP');
    const seen: string[] = [];
    for await (const info of it) {
      seen.push(info.signal);
      if (seen.length === 2) process.kill(process.pid, 'SIGUSR2');
      if (seen.length === 3) break;
    }
    assert.deepEqual(seen, ['SIGUSR2', 'SIGHUP', 'SIGUSR2']);
    assert.deepEqual([1, 12].map(disposition), before);
    assert.deepEqual(await it.next(), { done: true, value: undefined });
  });

  it('an abort ends the loop with the reason; close() ends a waiting next() as done', async () => {
    const ac = new AbortController();
    const it = signals('SIGUSR2', { signal: ac.signal });
    const pending = it.next();
    ac.abort(new Error('shutting down'));
    await assert.rejects(pending, /shutting down/);
    assert.deepEqual(await it.next(), { done: true, value: undefined });
    assert.throws(() => signals('SIGUSR2', { signal: ac.signal }), /shutting down/);

    const it2 = signals('SIGUSR2');
    const waiting = it2.next();
    it2[Symbol.dispose]();
    assert.deepEqual(await waiting, { done: true, value: undefined });
    usr2AsAtStart();
  });

  it('holds at most maxQueued deliveries and counts the rest as dropped', async () => {
    const it = signals('SIGUSR2', { maxQueued: 2 });
    for (let i = 0; i < 3; i++) {
      const got = onceSignal('SIGUSR2', { timeout: WAIT });
      process.kill(process.pid, 'SIGUSR2');
      await got;
    }
    assert.equal(it.dropped, 1);
    assert.equal((await it.next()).done, false);
    assert.equal((await it.next()).done, false);
    it.close();
    assert.deepEqual(await it.next(), { done: true, value: undefined });
  });
});

describe('sendSignal', () => {
  it('signals a process by pid, with this process as the sender', async () => {
    const child = nodeSpawn(process.execPath, [fixture('signal-receiver'), 'wait', 'SIGRTMIN+2'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = lineReader(child.stdout);
    assert.equal(await lines.next(), 'ready');
    sendSignal(child.pid!, 0); // exists
    sendSignal(child.pid!, 'SIGRTMIN+2');
    const info = JSON.parse(await lines.next()) as SignalInfo;
    assert.deepEqual([info.signal, info.pid], ['SIGRTMIN+2', process.pid]);
    assert.deepEqual(await exited(child), [0, null]);
  });

  it('signals every process of a group', async () => {
    // sh and its background sleep share the detached child's group; both
    // hold stdout, which closes only once both are gone.
    const child = nodeSpawn('sh', ['-c', 'sleep 1000 & echo started; wait'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    const out = text(child.stdout);
    await once(child.stdout!, 'data');
    sendSignal({ group: child.pid! }, 'SIGTERM');
    assert.equal(await out, 'started\n');
    assert.deepEqual(await exited(child), [null, 'SIGTERM']);
  });

  it('reports ESRCH shaped like Node errors, and refuses bad targets', () => {
    assert.throws(() => sendSignal(0x7ffffff0, 'SIGTERM'), (err: unknown) => {
      assert.ok(isSystemError(err, 'ESRCH'));
      assert.equal(err.syscall, 'kill');
      assert.equal(err.message, 'ESRCH: no such process, kill');
      return true;
    });
    assert.throws(() => sendSignal({ group: 0x7ffffff0 }, 0), (err: unknown) => isSystemError(err, 'ESRCH'));
    for (const bad of [0, -1, 1.5, '12', null, { group: 0 }, { group: -5 }, {}]) {
      assert.throws(() => sendSignal(bad as never), invalid(/"target" argument must be a process id/));
    }
    assert.throws(() => sendSignal(process.pid, 'SIGNOPE' as never), invalid(/"sig" argument must be a signal name/));
    assert.throws(() => sendSignal(process.pid, 33), invalid(/reserves for its threads/));
  });

  it('reports EPERM for a process of another user, shaped like Node errors', (t) => {
    if (process.getuid!() === 0) {
      // As nobody, this process (root's) may not be signalled.
      const child = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', `import { sendSignal } from ${JSON.stringify(new URL('../../src/index.js', import.meta.url).href)};
try { sendSignal(${process.pid}, 0); console.log('sent'); } catch (err) { console.log(err.code, err.syscall); }`],
        { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', uid: 65534, gid: 65534 },
      );
      if (child.error !== undefined) return t.skip(`cannot run a child as user 65534 here (${(child.error as NodeJS.ErrnoException).code})`);
      assert.equal(child.status, 0);
      assert.equal(child.stdout.trim(), 'EPERM kill');
      return;
    }
    if (hasCapability(5)) return t.skip('this process has CAP_KILL: it may signal any process');
    // PID 1 is not necessarily another user's (a rootless container runs it as this user).
    const target = otherUsersProcess();
    if (target === undefined) return t.skip('no process here belongs to another user (a container where every process is this user\'s)');
    t.diagnostic(`target: pid ${target}`);
    assert.throws(() => sendSignal(target, 0), (err: unknown) => {
      assert.ok(isSystemError(err, 'EPERM'));
      assert.equal(err.message, 'EPERM: operation not permitted, kill');
      return true;
    });
  });
});

/** Whether this process has capability `bit` in its effective set (/proc/self/status). */
function hasCapability(bit: number): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  return ((BigInt(`0x${hex}`) >> BigInt(bit)) & 1n) === 1n;
}

/**
 * A process this one may not signal: kill(2) needs this process's real or
 * effective uid to be the target's real or saved uid (without CAP_KILL).
 */
function otherUsersProcess(): number | undefined {
  const mine = new Set([process.getuid!(), process.geteuid!()]);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let status: string;
    try {
      status = readFileSync(`/proc/${name}/status`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const ids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status);
    if (ids !== null && !mine.has(Number(ids[1])) && !mine.has(Number(ids[3]))) return Number(name);
  }
  return undefined;
}
