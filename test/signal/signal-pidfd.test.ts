// Linux pidfds: signalling and awaiting exit without reaping, errors, the
// close-on-exec audit, and catalog G36(d): after the pid is reused (forced
// in a fresh pid namespace), the old pidfd gives ESRCH and the new process
// receives nothing.
import assert from 'node:assert/strict';
import { spawn as nodeSpawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { ErrorCode, isSystemError, openPidfd } from '../../src/index.js';
import { native } from '../../src/native.js';
import { exited, fixture, text, timeScale } from '../helpers/children.js';
import { checkFdLeaks, fdTarget } from '../helpers/fds.js';

checkFdLeaks();

const linux = process.platform === 'linux' ? false : 'pidfds exist only on Linux';
const WAIT = 20_000 * timeScale;

function sleeper() {
  return nodeSpawn('sleep', ['1000'], { stdio: 'ignore' });
}

describe('pidfd', { skip: linux }, () => {
  it('kill() signals exactly the child; waitExit() resolves at its exit and leaves the reaping to Node', async () => {
    const child = sleeper();
    await once(child, 'spawn');
    const pidfd = openPidfd(child);
    assert.equal(pidfd.pid, child.pid);
    assert.equal(fdTarget(pidfd.fd), 'anon_inode:[pidfd]');
    assert.equal(native().getCloexec(pidfd.fd), 1, 'close-on-exec');
    assert.equal(pidfd.hasExited(), false);
    pidfd.kill(0);
    const exitEvent = once(child, 'exit');
    pidfd.kill('SIGTERM');
    await pidfd.waitExit({ timeout: WAIT });
    assert.equal(pidfd.hasExited(), true);
    await pidfd.waitExit(); // already exited: resolves at once
    // Node still collects the status: ipckit did not reap it.
    assert.deepEqual(await exitEvent, [null, 'SIGTERM']);
    // Reaped now: the pidfd refuses, whoever may get the pid next.
    assert.throws(() => pidfd.kill('SIGKILL'), (err: unknown) => {
      assert.ok(isSystemError(err, 'ESRCH'));
      assert.equal(err.syscall, 'pidfd_send_signal');
      return true;
    });
    pidfd.close();
    pidfd.close(); // idempotent
    assert.equal(pidfd.closed, true);
    for (const call of [() => pidfd.fd, () => pidfd.kill(), () => pidfd.hasExited()]) {
      assert.throws(call, (err: unknown) => (err as { code?: string }).code === ErrorCode.CLOSED);
    }
    await assert.rejects(pidfd.waitExit(), (err: unknown) => (err as { code?: string }).code === ErrorCode.CLOSED);
  });

  it('opens by pid, and awaits a child that exits by itself', async () => {
    const child = nodeSpawn('sh', ['-c', 'read line'], { stdio: ['pipe', 'ignore', 'ignore'] });
    await once(child, 'spawn');
    using pidfd = openPidfd(child.pid!);
    const exit = pidfd.waitExit();
    child.stdin!.end('\n');
    await exit;
    assert.deepEqual(await exited(child), [0, null]);
  });

  it('waitExit() rejects on timeout, on abort, and when the pidfd closes; the process lives on', async () => {
    const child = sleeper();
    await once(child, 'spawn');
    const pidfd = openPidfd(child);
    await assert.rejects(pidfd.waitExit({ timeout: 1 }), (err: unknown) => {
      assert.equal((err as { code?: string }).code, ErrorCode.TIMEOUT);
      assert.match((err as Error).message, new RegExp(`process ${child.pid} did not exit within 1 ms`));
      return true;
    });
    const ac = new AbortController();
    const aborted = pidfd.waitExit({ signal: ac.signal });
    ac.abort(new Error('gave up'));
    await assert.rejects(aborted, /gave up/);
    await assert.rejects(pidfd.waitExit({ signal: ac.signal }), /gave up/);
    const closing = pidfd.waitExit();
    pidfd.close();
    await assert.rejects(closing, (err: unknown) => (err as { code?: string }).code === ErrorCode.CLOSED);
    assert.equal(child.exitCode, null, 'still running');
    child.kill('SIGKILL');
    await exited(child);
  });

  it('refuses a child that has exited (its pid may be reused), one that never started, and bad pids', async () => {
    const child = nodeSpawn('true', { stdio: 'ignore' });
    await exited(child);
    assert.throws(() => openPidfd(child), (err: unknown) => isSystemError(err, 'ESRCH') && err.syscall === 'pidfd_open');
    const missing = nodeSpawn('/nonexistent/ipckit-no-such-command', { stdio: 'ignore' });
    const [spawnError] = (await once(missing, 'error')) as [Error];
    assert.match(spawnError.message, /ENOENT/);
    assert.throws(() => openPidfd(missing), (err: unknown) => (err as { code?: string }).code === ErrorCode.INVALID_ARGUMENT);
    for (const bad of [0, -1, 1.5, '1', null, {}]) {
      assert.throws(() => openPidfd(bad as never), (err: unknown) => (err as { code?: string }).code === ErrorCode.INVALID_ARGUMENT);
    }
    assert.throws(() => openPidfd(0x7ffffff0), (err: unknown) => isSystemError(err, 'ESRCH'));
    const self = openPidfd(process.pid);
    assert.throws(() => self.kill('SIGNOPE' as never), (err: unknown) => (err as { code?: string }).code === ErrorCode.INVALID_ARGUMENT);
    self.close();
  });

  it('a child started while a pidfd is open does not inherit it', async () => {
    const target = sleeper();
    await once(target, 'spawn');
    const pidfd = openPidfd(target);
    try {
      const child = nodeSpawn('sh', ['-c', 'ls -l /proc/$$/fd'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const [listing] = await Promise.all([text(child.stdout), exited(child)]);
      assert.match(listing, / 1 -> (pipe|socket):\[/, 'the listing shows its own stdout');
      assert.doesNotMatch(listing, /pidfd/);
    } finally {
      pidfd.close();
      target.kill('SIGKILL');
      await exited(target);
    }
  });

  // catalog G36(d)
  it('after the pid is reused, the old pidfd gives ESRCH and the new process gets no signal', { timeout: 60_000 * timeScale }, async (t) => {
    const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { encoding: 'utf8' });
    if (probe.error !== undefined || probe.status !== 0) {
      const why = probe.error?.message ?? (probe.stderr.trim() || `exit status ${probe.status}`);
      return t.skip(`cannot make a pid namespace to force pid reuse (unshare --pid --fork --mount-proc: ${why})`);
    }
    const child = nodeSpawn('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, fixture('pid-reuse')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [out, err, [code]] = await Promise.all([text(child.stdout), text(child.stderr), exited(child)]);
    assert.equal(code, 0, err);
    const r = JSON.parse(out) as {
      reused: boolean;
      tries: number;
      pid: number;
      strangerPid: number;
      killError?: string;
      pidNamesStranger: boolean;
      hasExited: boolean;
      stranger: [number | null, string | null];
    };
    if (!r.reused) return t.skip(`the kernel did not hand the pid out again in ${r.tries} tries`);
    t.diagnostic(`pid ${r.pid} reused after ${r.tries} tries`);
    assert.equal(r.strangerPid, r.pid, 'the new process has the old pid');
    assert.equal(r.pidNamesStranger, true, 'a pid-based kill would have reached it');
    assert.equal(r.killError, 'ESRCH', 'the pidfd refused');
    assert.equal(r.hasExited, true);
    assert.deepEqual(r.stranger, [0, null], 'the new process got no signal: it ended normally');
  });
});
