// catalog G36(c): dispositions are restored exactly when ipckit's handlers
// go away, SIGPIPE stays ignored, ipckit chains to a Node listener's handler
// and never takes back a signal someone took after it; worker threads.
import assert from 'node:assert/strict';
import { spawn as nodeSpawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { isSystemError, onceSignal, onSignal, pipe, signals, type SignalSubscription } from '../../src/index.js';
import { native } from '../../src/native.js';
import { exited, fixture, text, timeScale } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';

// Node 24's test runner turns on diagnostic reports for SIGUSR2 in each
// test process; these tests raise SIGUSR2 themselves, so turn them off.
process.report.reportOnSignal = false;

checkFdLeaks();

const b = native();
const WAIT = 20_000 * timeScale;
const describeSig = (n: number): string => String(b.signalDescribe(n));
// What SIGUSR2 was before anything here subscribed: the default, or a
// handler the test runner installed (Node 24's does).
const initialUsr2 = describeSig(12);
/** SIGUSR2 is back to how the process started (a default action may come back with SA_RESTORER set). */
function usr2AsAtStart(): void {
  const now = describeSig(12);
  if (initialUsr2.startsWith('default ')) assert.match(now, /^default /);
  else assert.equal(now, initialUsr2);
}
const UNCATCHABLE = new Set([9, 19, 11, 7, 8, 4]); // KILL, STOP, SEGV, BUS, FPE, ILL
const CATCHABLE = Array.from({ length: 31 }, (_, i) => i + 1).filter((n) => !UNCATCHABLE.has(n));
const REALTIME = process.platform === 'linux' ? [b.SIGRTMIN, b.SIGRTMIN + 1, b.SIGRTMIN + 5, b.SIGRTMAX - 1, b.SIGRTMAX] : [];

/** Every disposition ipckit could touch, exactly, and the kernel's own summary. */
function snapshot(): { actions: Record<number, string>; status: Record<string, string> } {
  const actions: Record<number, string> = {};
  for (let n = 1; n <= 31; n++) actions[n] = describeSig(n);
  for (const n of REALTIME) actions[n] = describeSig(n);
  const status: Record<string, string> = {};
  for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
    const [key, value] = line.split(':\t');
    if (key === 'SigIgn' || key === 'SigCgt') status[key] = value!;
  }
  return { actions, status };
}

function worker(mode: 'once' | 'hold' | 'listener', signal: string): Worker {
  return new Worker(fixture('signal-worker'), { workerData: { mode, signal } });
}

async function message<T>(w: Worker): Promise<T> {
  return ((await once(w, 'message')) as [T])[0];
}

describe('dispositions', () => {
  it('signals 1-31 and realtime ones are identical before and after each handler comes and goes', () => {
    const initial = snapshot();
    for (const n of [...CATCHABLE, ...REALTIME]) {
      const before = snapshot();
      const sub = onSignal(n, () => {});
      const during = snapshot();
      assert.match(during.actions[n]!, /^ipckit /, `signal ${n} is ipckit's while subscribed`);
      // Only that one changed.
      for (const k of Object.keys(before.actions)) if (Number(k) !== n) assert.equal(during.actions[Number(k)], before.actions[Number(k)]);
      // Two more subscribers, then all three go in another order.
      const again = onSignal(n, () => {});
      const it = signals(n);
      sub.close();
      assert.match(describeSig(n), /^ipckit /, 'still subscribed twice');
      it.close();
      again.close();
      assert.deepEqual(snapshot(), before, `signal ${n}`);
    }
    assert.deepEqual(snapshot(), initial);
  });

  it('all of them at once, released in a shuffled order, leave everything as it was', () => {
    const before = snapshot();
    const subs: SignalSubscription[] = [...CATCHABLE, ...REALTIME].map((n) => onSignal(n, () => {}));
    const status = snapshot().status;
    assert.notEqual(status.SigCgt, before.status.SigCgt, 'the kernel sees the handlers');
    for (let i = subs.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [subs[i], subs[j]] = [subs[j]!, subs[i]!];
    }
    for (const s of subs) s.close();
    assert.deepEqual(snapshot(), before);
  });

  it('SIGPIPE stays ignored after a subscription comes and goes; while subscribed, a broken pipe reports to it', async () => {
    const SIGPIPE = 13;
    assert.match(describeSig(SIGPIPE), /^ignore /, 'Node ignores SIGPIPE');
    const before = snapshot();
    const arrived = onceSignal('SIGPIPE', { timeout: WAIT });
    const broken = async (): Promise<unknown> => {
      const { reader, writer } = pipe();
      reader.close();
      const failed = once(writer, 'error');
      writer.write('x');
      return ((await failed) as [unknown])[0];
    };
    assert.ok(isSystemError(await broken(), 'EPIPE'));
    const info = await arrived;
    assert.equal(info.signal, 'SIGPIPE');
    assert.equal(info.pid, process.pid, 'the kernel names the writer, this process');
    assert.deepEqual(snapshot(), before);
    const ignored = BigInt(`0x${before.status.SigIgn}`);
    assert.equal((ignored >> BigInt(SIGPIPE - 1)) & 1n, 1n, 'SigIgn has SIGPIPE');
    // And a broken pipe is again only an EPIPE error.
    assert.ok(isSystemError(await broken(), 'EPIPE'));
    assert.match(describeSig(SIGPIPE), /^ignore /);
  });

  it('chains to a Node listener\'s handler: both see the signal, and Node\'s keeps working after', async () => {
    const child = nodeSpawn(process.execPath, [fixture('signal-receiver'), 'chain'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const [out, err, [code]] = await Promise.all([text(child.stdout), text(child.stderr), exited(child)]);
    assert.equal(code, 0, err);
    const r = JSON.parse(out) as Record<string, unknown>;
    assert.match(String(r.before), /^handler /, 'Node\'s inspector handler at start-up');
    assert.match(String(r.withListener), /^handler /);
    assert.notEqual(r.withListener, r.before, 'libuv\'s handler replaced the inspector\'s');
    assert.match(String(r.subscribed), /^ipckit /);
    assert.deepEqual(r.afterOne, { node: 1, ipckit: 1 }, 'one signal, seen by both');
    assert.equal(r.unsubscribed, r.withListener, 'libuv\'s handler is back, exactly');
    assert.equal(r.nodeAfter, 2, 'the Node listener still works');
    assert.equal(r.ipckitAfter, 1);
    assert.doesNotMatch(err, /Debugger|inspector/i);
  });

  for (const order of ['node-first', 'ipckit-first'] as const) {
    it(`a Node listener and ipckit both see every signal (${order}); removing the listener, or a process.once that fires, leaves ipckit's subscription in place`, async () => {
      const child = nodeSpawn(process.execPath, [fixture('signal-receiver'), 'node-listeners', order], { stdio: ['ignore', 'pipe', 'pipe'] });
      const [out, err, status] = await Promise.all([text(child.stdout), text(child.stderr), exited(child)]);
      assert.deepEqual(status, [0, null], `the child did not survive: ${err}`);
      const { steps, counts } = JSON.parse(out) as { steps: Record<string, string>; counts: Record<string, number> };
      assert.match(steps.libuv!, /^handler /);
      assert.match(steps.initial!, /^handler .* flags 0x8/, 'Node\'s start-up SIGTERM handler (SA_RESETHAND)');
      if (order === 'node-first') assert.equal(steps.nodeAdded, steps.libuv, 'libuv\'s handler, the same for every signal');
      for (const step of ['subscribed', 'nodeRemoved', 'onceAdded', 'onceFired']) {
        assert.match(steps[step]!, /^ipckit /, `ipckit's handler is on top after ${step}`);
      }
      if (order === 'ipckit-first') {
        assert.match(steps.nodeAdded!, /^ipckit /, 'ipckit\'s handler went back on top of libuv\'s');
        assert.equal(steps.unsubscribedWithNode, steps.libuv, 'ipckit left libuv\'s handler for the remaining listener, exactly');
        assert.deepEqual(counts, { node: 2, once: 1, ipckit: 4 });
      } else {
        assert.deepEqual(counts, { node: 1, once: 1, ipckit: 4 });
      }
      // As Node alone leaves it once its last listener is gone: the default.
      assert.match(steps.end!, /^default /);
    });
  }
});

describe('worker threads', () => {
  it('a worker subscribes, gets the signal, ends cleanly, and the disposition is restored', async () => {
    const before = snapshot();
    const w = worker('once', 'SIGUSR2');
    const exit = once(w, 'exit');
    assert.deepEqual(await message(w), { ready: true });
    assert.match(describeSig(12), /^ipckit /);
    const got = message<{ got: string; pid: number }>(w);
    process.kill(process.pid, 'SIGUSR2');
    assert.deepEqual(await got, { got: 'SIGUSR2', pid: process.pid });
    assert.equal((await exit)[0], 0);
    assert.deepEqual(snapshot(), before);
  });

  it('the main thread and a worker both receive; a terminated worker\'s subscription is undone', async () => {
    const before = snapshot();
    const w = worker('hold', 'SIGHUP');
    assert.deepEqual(await message(w), { ready: true });
    const main = onceSignal('SIGHUP', { timeout: WAIT });
    const inWorker = message(w);
    process.kill(process.pid, 'SIGHUP');
    await main;
    assert.deepEqual(await inWorker, { got: 'SIGHUP' });
    // Terminated while subscribed: the environment's cleanup unsubscribes.
    const keep = onSignal('SIGHUP', () => {});
    await w.terminate();
    assert.match(describeSig(1), /^ipckit /, 'the main thread is still subscribed');
    keep.close();
    assert.deepEqual(snapshot(), before);
    // The worker's only subscription, terminated: restored by its cleanup alone.
    const w2 = worker('hold', 'SIGUSR2');
    assert.deepEqual(await message(w2), { ready: true });
    assert.match(describeSig(12), /^ipckit /);
    await w2.terminate();
    assert.deepEqual(snapshot(), before);
  });

  it('a worker\'s process.on(signal) changes no disposition and gets nothing: the worker\'s ipckit subscriber keeps receiving', async () => {
    const before = snapshot();
    const w = worker('listener', 'SIGUSR2');
    assert.deepEqual(await message(w), { ready: true });
    assert.match(describeSig(12), /^ipckit /, 'the worker\'s Node listener installed nothing');
    let got = message(w);
    process.kill(process.pid, 'SIGUSR2');
    assert.deepEqual(await got, { got: 'SIGUSR2', node: 0 });
    w.postMessage('off');
    assert.deepEqual(await message(w), { off: true });
    assert.match(describeSig(12), /^ipckit /);
    got = message(w);
    process.kill(process.pid, 'SIGUSR2');
    assert.deepEqual(await got, { got: 'SIGUSR2', node: 0 });
    await w.terminate();
    assert.deepEqual(snapshot(), before);
  });

  it('a worker\'s subscription survives a Node listener added and removed on the main thread', async () => {
    onSignal('SIGHUP', () => {}).close(); // this thread has used the API: it watches its Node listeners
    const before = snapshot();
    const w = worker('hold', 'SIGUSR2');
    assert.deepEqual(await message(w), { ready: true });
    let node = 0;
    const listener = (): void => {
      node++;
    };
    process.on('SIGUSR2', listener);
    assert.match(describeSig(12), /^ipckit /, 'ipckit\'s handler went back on top of libuv\'s');
    const nodeGot = once(process, 'SIGUSR2');
    let got = message(w);
    process.kill(process.pid, 'SIGUSR2');
    assert.deepEqual(await got, { got: 'SIGUSR2' });
    await nodeGot;
    process.off('SIGUSR2', listener);
    assert.match(describeSig(12), /^ipckit /, 'and again after libuv reset the signal');
    got = message(w);
    process.kill(process.pid, 'SIGUSR2');
    assert.deepEqual(await got, { got: 'SIGUSR2' });
    assert.equal(node, 1);
    await w.terminate();
    // As Node alone leaves it once the listener added here is gone.
    usr2AsAtStart();
    assert.deepEqual({ ...snapshot().actions, 12: before.actions[12] }, before.actions);
  });
});
