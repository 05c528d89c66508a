// Pipes inside worker threads, worker teardown with pipes still open, and no
// use of the libuv threadpool for pipe I/O.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { spawn } from '../../src/index.js';
import { exited, fixture, text } from '../helpers/children.js';
import { checkFdLeaks, openFds } from '../helpers/fds.js';

checkFdLeaks();

describe('threads', () => {
  it('a worker thread moves 4 MiB through its own pipe', async () => {
    const w = new Worker(fixture('worker-pipe'), { workerData: 'close' });
    const exit = once(w, 'exit'); // listen now: the worker may be gone before we await it
    const [msg] = (await once(w, 'message')) as [{ bytes: number }];
    assert.equal(msg.bytes, 4 << 20);
    assert.equal((await exit)[0], 0);
  });

  it('a worker terminated with a reader active and a writer blocked exits cleanly and closes its fds', async () => {
    const w = new Worker(fixture('worker-pipe'), { workerData: 'leave-open' });
    const [msg] = (await once(w, 'message')) as [{ fds: number[] }];
    for (const fd of msg.fds) assert.ok(openFds().includes(fd));
    await w.terminate();
    const still = openFds();
    assert.deepEqual(
      msg.fds.filter((fd) => still.includes(fd)),
      [],
      'the environment cleanup closes the fds of handles still open',
    );
  });

  it('pipe I/O proceeds while the only threadpool thread is stuck (UV_THREADPOOL_SIZE=1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipckit-'));
    const fifo = join(dir, 'f');
    try {
      execFileSync('mkfifo', [fifo]);
      const child = spawn(process.execPath, [fixture('threadpool-blocked'), fifo], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
      });
      const [out, [code]] = await Promise.all([text(child.stdout), exited(child)]);
      assert.equal(code, 0);
      assert.deepEqual(JSON.parse(out), { bytes: 64 << 20, openedBeforePipeDone: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
