// catalog A5 (epipe-no-death): writing to a pipe without readers is an EPIPE
// error, never a SIGPIPE death, whatever SIGPIPE's disposition.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { exited, fixture, text, timeScale } from '../helpers/children.js';

async function run(mode: 'ignore' | 'default'): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [fixture('epipe'), '100', mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [out, [code, signal]] = await Promise.all([text(child.stdout), exited(child)]);
  assert.equal(signal, null, 'killed by a signal');
  assert.equal(code, 0);
  return JSON.parse(out) as Record<string, unknown>;
}

describe('EPIPE', () => {
  it("with SIGPIPE ignored (Node's default): 100/100 writes fail with EPIPE, process survives", async () => {
    const r = await run('ignore');
    assert.equal(r.disposition, 'ignore');
    assert.equal(r.asyncErrors, 100);
    assert.equal(r.syncErrors, 100);
    assert.ok((r.maxMs as number) < 100 * timeScale, `EPIPE took ${r.maxMs} ms`);
  });

  it('with SIGPIPE at its default (fatal) disposition: the same, and the process survives', async () => {
    const r = await run('default');
    assert.equal(r.disposition, 'default', 'the fixture did put SIGPIPE back to SIG_DFL');
    assert.equal(r.asyncErrors, 100);
    assert.equal(r.syncErrors, 100);
  });

  for (const mode of ['ignore', 'default'] as const) {
    it(`\`node writer | head -c 10000\` ends with EPIPE and exit 0 (SIGPIPE ${mode})`, async () => {
      const child = spawn('sh', ['-c', `"${process.execPath}" "${fixture('flood-stdout')}" ${mode} | head -c 10000 >/dev/null; echo "status=\${PIPESTATUS:-$?}"`], {
        stdio: ['ignore', 'pipe', 'pipe'],
        shell: false,
      });
      const [out, err] = await Promise.all([text(child.stdout), text(child.stderr), exited(child)]);
      assert.match(err, /stopped: EPIPE/);
      assert.match(out, /status=0/);
    });
  }
});
