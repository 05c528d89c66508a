// gracefulShutdown: a child holding queued channel data gets SIGTERM and
// the parent receives every message; a second signal exits at once; the
// deadline; close order and failures; disposal; options.
import assert from 'node:assert/strict';
import { spawn as nodeSpawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { channel, ErrorCode, gracefulShutdown, sendSignal, spawn } from '../../src/index.js';
import { native } from '../../src/native.js';
import { exited, fixture, text, timeScale } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';
import { lineReader } from '../helpers/lines.js';

checkFdLeaks();

function child(args: string[]) {
  const c = nodeSpawn(process.execPath, [fixture('shutdown-child'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  return { c, lines: lineReader(c.stdout), stderr: text(c.stderr) };
}

describe('gracefulShutdown', () => {
  it('on SIGTERM a child flushes its queued channel messages: the parent receives every one, then exit code 143', { timeout: 60_000 * timeScale }, async () => {
    const N = 2000;
    const SIZE = 4096; // 8 MiB: far more than the pipe holds, so most is queued in the child
    const [tx, rx] = channel<Uint8Array>({ codec: 'bytes' });
    const c = spawn(process.execPath, [fixture('shutdown-child'), 'sender', String(N), String(SIZE)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      channels: { out: tx },
    });
    const lines = lineReader(c.stdout);
    const ready = await lines.next();
    const queued = Number(ready.split(' ')[1]);
    assert.ok(queued > 4 << 20, `the child holds ${queued} bytes not yet written`);
    sendSignal(c.pid!, 'SIGTERM');
    let i = 0;
    for await (const m of rx) {
      assert.equal(m.length, SIZE);
      assert.equal(new DataView(m.buffer, m.byteOffset).getUint32(0), i, 'in order, none lost');
      assert.equal(m[SIZE - 1], i & 0xff);
      i++;
    }
    assert.equal(i, N);
    assert.deepEqual(await exited(c), [143, null]);
    rx.close();
  });

  it('a second signal during the shutdown exits at once', { timeout: 60_000 * timeScale }, async () => {
    const { c, lines, stderr } = child(['stuck', '600000']);
    assert.equal(await lines.next(), 'ready');
    sendSignal(c.pid!, 'SIGTERM');
    assert.equal(await lines.next(), 'closing');
    sendSignal(c.pid!, 'SIGINT');
    assert.deepEqual(await exited(c), [130, null]);
    assert.match(await stderr, /SIGINT during shutdown: exiting now/);
  });

  it('after `timeout` it exits anyway and says what had not closed', { timeout: 60_000 * timeScale }, async () => {
    const { c, lines, stderr } = child(['stuck', '50']);
    assert.equal(await lines.next(), 'ready');
    sendSignal(c.pid!, 'SIGTERM');
    assert.equal(await lines.next(), 'closing');
    assert.deepEqual(await exited(c), [143, null]);
    assert.match(await stderr, /1 of 1 resources had not closed after 50 ms \(function neverCloses\); exiting anyway/);
  });

  it('closes in reverse registration order, all at once; a failure is reported and the rest still close', async () => {
    const { c, lines, stderr } = child(['order']);
    assert.equal(await lines.next(), 'ready');
    sendSignal(c.pid!, 'SIGINT');
    assert.deepEqual([await lines.next(), await lines.next(), await lines.next(), await lines.next()], ['c', 'b', 'a', 'c done']);
    assert.deepEqual(await exited(c), [130, null]);
    assert.match(await stderr, /closing Object failed: b failed to close/);
  });

  it('disposed of, it no longer handles SIGTERM: Node\'s default is back', async () => {
    const { c, lines } = child(['disposed']);
    assert.equal(await lines.next(), 'ready');
    sendSignal(c.pid!, 'SIGTERM');
    assert.deepEqual(await exited(c), [null, 'SIGTERM']);
  });

  it('a Node SIGTERM listener removed after gracefulShutdown() started does not take SIGTERM away from it', async () => {
    const { c, lines } = child(['listener-removed']);
    assert.equal(await lines.next(), 'ready');
    sendSignal(c.pid!, 'SIGTERM');
    assert.equal(await lines.next(), 'closed');
    assert.deepEqual(await exited(c), [143, null]);
  });

  it('in a worker, it closes the worker\'s resources and then ends the whole process (no \'exit\' listeners run)', async () => {
    const { c, lines } = child(['worker']);
    assert.equal(await lines.next(), 'ready');
    sendSignal(c.pid!, 'SIGTERM');
    assert.equal(await lines.next(), 'closed');
    assert.deepEqual(await exited(c), [143, null]);
    assert.equal(await lines.next().catch(() => 'the end'), 'the end', 'nothing after "closed": the main thread did not go on');
  });

  it('exitCode replaces 128 + signal', async () => {
    const { c, lines } = child(['exitcode', '0']);
    assert.equal(await lines.next(), 'ready');
    sendSignal(c.pid!, 'SIGTERM');
    assert.deepEqual(await exited(c), [0, null]);
  });

  it('validates its options and resources; the controller subscribes, and disposal restores', () => {
    const before = [2, 15, 1].map((n) => native().signalDescribe(n));
    const invalid = (err: unknown): boolean => (err as { code?: string }).code === ErrorCode.INVALID_ARGUMENT;
    assert.throws(() => gracefulShutdown({ signals: ['SIGKILL'] }), invalid);
    assert.throws(() => gracefulShutdown({ signals: [] }), invalid);
    assert.throws(() => gracefulShutdown({ timeout: -1 }), invalid);
    assert.throws(() => gracefulShutdown({ exitCode: 256 }), invalid);
    assert.throws(() => gracefulShutdown(42 as never), invalid);
    const shutdown = gracefulShutdown({ signals: ['SIGHUP', 'SIGTERM'] });
    assert.deepEqual(shutdown.signals, ['SIGHUP', 'SIGTERM']);
    assert.match(String(native().signalDescribe(1)), /^ipckit /);
    assert.throws(() => shutdown.register(42 as never), invalid);
    assert.throws(() => shutdown.register({} as never), invalid);
    const r = { close() {} };
    assert.equal(shutdown.register(r), r);
    assert.equal(shutdown.unregister(r), true);
    assert.equal(shutdown.unregister(r), false);
    assert.equal(shutdown.shuttingDown, false);
    shutdown[Symbol.dispose]();
    shutdown.close();
    assert.deepEqual([2, 15, 1].map((n) => native().signalDescribe(n)), before);
  });
});
