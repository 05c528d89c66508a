// Two copies of ipckit's native core in one process (two ipckit versions in
// one npm tree): each installs, chains and restores on its own, and they
// must never call each other in a cycle.
import assert from 'node:assert/strict';
import { spawn as nodeSpawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { exited, fixture, text } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';

checkFdLeaks();

const linux = process.platform === 'linux' ? false : 'the copies are told apart through /proc and the dynamic loader (Linux)';

async function run(...args: string[]): Promise<Record<string, unknown>> {
  const child = nodeSpawn(process.execPath, [fixture('signal-copies'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const [out, err, status] = await Promise.all([text(child.stdout), text(child.stderr), exited(child)]);
  assert.deepEqual(status, [0, null], `the child failed (${status.join(' ')}): ${err}`);
  assert.doesNotMatch(err, /Debugger|inspector/i, 'Node\'s inspector started');
  return JSON.parse(out) as Record<string, unknown>;
}

describe('two copies of the native core', { skip: linux }, () => {
  it('a copy that left while the other copy\'s handler was on top comes back without installing itself over it (no cycle)', async () => {
    const r = await run('cycle');
    assert.match(String(r.initial), /^default /);
    assert.match(String(r.withB), /^handler /, 'B\'s handler, on top of A\'s');
    assert.equal(r.afterAUnsub, r.withB, 'A\'s last unsubscribe left B\'s handler in place');
    assert.equal(r.aBack, r.withB, 'A subscribed again without installing its handler over B\'s');
    assert.deepEqual(r.first, [1, 1], 'one signal: one record for each copy (B calls A), and no stack overflow');
    assert.match(String(r.afterBUnsub), /^ipckit /, 'B put A\'s handler back');
    assert.deepEqual(r.second, [1, 0]);
    assert.equal(r.restored, r.initial, 'A restored the default exactly');
    // Orphaned again, then the signal reset to the default under both: A's
    // handler is reached by nobody, so A installs it afresh.
    assert.match(String(r.reset), /^default /);
    assert.match(String(r.aAlone), /^ipckit /);
    assert.deepEqual(r.third, [1, 0]);
    assert.equal(r.end, r.reset, 'and put back exactly what libuv had left');
  });

  it('the core stays loaded once its handler was installed: a worker-only user ends, a signal through a chain still finds the handler', async () => {
    const r = await run('unload');
    assert.equal(r.before, false, 'the main thread never loaded it');
    assert.equal(r.whileWorker, true);
    assert.match(String(r.onTop), /^ipckit /, 'B\'s handler is on top (B sees itself as ipckit)');
    assert.equal(r.afterWorker, true, 'still mapped after the only environment that loaded it ended');
    assert.deepEqual(r.withB, [1], 'B got the signal and its call into A\'s handler returned');
    assert.match(String(r.aInstalled), /^handler /, 'B put A\'s handler back');
    assert.equal(r.survived, true);
  });

  it('a native handler installed before ipckit is first used is chained, on SIGUSR1 and SIGTERM too (only Node\'s own start-up handlers are not)', async () => {
    const r = await run('preinstalled');
    assert.deepEqual(r, { SIGUSR1: { a: 1, b: 1 }, SIGTERM: { a: 1, b: 1 } });
  });
});
