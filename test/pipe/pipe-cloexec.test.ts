// catalog E31 (cloexec-audit): children hold none of ipckit's fds except the
// ones handed to them through stdio, also while other threads create fds.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { dupStdout, pipe } from '../../src/index.js';
import { fixture } from '../helpers/children.js';
import { checkFdLeaks, childFds, fdTarget, inheritableTargets } from '../helpers/fds.js';

checkFdLeaks();

describe('close-on-exec', () => {
  it('a spawned child holds none of the pipes, clones and dups this process owns', async () => {
    const a = pipe();
    const b = pipe({ capacity: 0 });
    const clones = [a.reader.tryClone(), b.writer.tryClone()];
    const out = dupStdout();
    const ours = new Set([a.reader, b.reader].map((r) => fdTarget(r.fd)));
    const fds = await childFds();
    const leaked = [...fds].filter(([, t]) => ours.has(t));
    assert.deepEqual(leaked, []);
    for (const e of [a.reader, a.writer, b.reader, b.writer, ...clones, out]) e.close();
  });

  it('an end given through stdio arrives exactly once, at the slot it was given', async () => {
    const { reader, writer } = pipe();
    const target = fdTarget(writer.fd);
    const fds = await childFds(['ignore', 'pipe', 'inherit', writer]);
    assert.deepEqual(
      [...fds].filter(([, t]) => t === target).map(([fd]) => fd),
      [3],
    );
    reader.close();
    writer.close();
  });

  it('300 children spawned while 3 worker threads churn pipes inherit none of them', { timeout: 120_000 }, async () => {
    const allowed = inheritableTargets();
    const stop = new SharedArrayBuffer(4);
    const workers = [0, 1, 2].map(() => new Worker(fixture('pipe-churn-worker'), { workerData: stop }));
    const exits = Promise.all(workers.map((w) => once(w, 'exit'))); // before they can exit
    const reports = Promise.all(workers.map(async (w) => (await once(w, 'message'))[0] as number));
    await Promise.all(workers.map((w) => once(w, 'online')));
    const leaks: string[] = [];
    let spawned = 0;
    try {
      for (let i = 0; i < 300; i++) {
        const fds = await childFds();
        spawned++;
        for (const [fd, t] of fds) if (t.startsWith('pipe:') && !allowed.has(t)) leaks.push(`child ${i}: fd ${fd} ${t}`);
      }
    } finally {
      Atomics.store(new Int32Array(stop), 0, 1);
    }
    const made = (await reports).reduce((x, y) => x + y, 0);
    await exits;
    assert.equal(spawned, 300);
    assert.ok(made > 300, `the workers made only ${made} pipes`);
    assert.deepEqual(leaks, []);
  });
});
