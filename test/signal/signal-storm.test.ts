// catalog G36(a): 10,000 SIGUSR1 at 1 kHz. Classic signals coalesce while
// pending, so the pass criterion is 1 <= n <= 10,000 deliveries, reported.
// Also: SIGUSR1 to an ipckit subscriber never starts Node's inspector.
import assert from 'node:assert/strict';
import { spawn as nodeSpawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { exited, fixture, text, timeScale } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';
import { lineReader } from '../helpers/lines.js';

checkFdLeaks();

describe('signal storm', () => {
  it('10,000 SIGUSR1 at 1 kHz: the handler runs 1 to 10,000 times and nothing is dropped', { timeout: 180_000 * timeScale }, async (t) => {
    const receiver = nodeSpawn(process.execPath, [fixture('signal-receiver'), 'count', 'SIGUSR1', 'SIGUSR2'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: t.signal, // a receiver that never reports must not outlive a timed-out test
      killSignal: 'SIGKILL',
    });
    const errors = text(receiver.stderr);
    const lines = lineReader(receiver.stdout);
    assert.equal(await lines.next(), 'ready');
    const sender = nodeSpawn(process.execPath, [fixture('signal-sender'), String(receiver.pid), 'SIGUSR1', '10000', '1000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      signal: t.signal,
      killSignal: 'SIGKILL',
    });
    const [sent, [code]] = await Promise.all([text(sender.stdout), exited(sender)]);
    assert.equal(code, 0);
    const { ms } = JSON.parse(sent) as { sent: number; ms: number };
    receiver.stdin!.end('report\n');
    const report = JSON.parse(await lines.next()) as { count: number; dropped: number };
    t.diagnostic(`${report.count} of 10,000 SIGUSR1 delivered (sent over ${Math.round(ms)} ms); ${report.dropped} dropped`);
    assert.ok(report.count >= 1 && report.count <= 10_000, `count ${report.count}`);
    assert.equal(report.dropped, 0);
    assert.deepEqual(await exited(receiver), [0, null]);
    assert.doesNotMatch(await errors, /Debugger|inspector/i, 'SIGUSR1 must not reach Node\'s inspector');
  });
});
