// Every example in examples/ runs as written and prints what it promises.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { exited, text } from './helpers/children.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const expected: Record<string, RegExp> = {
  'pipe-joined-output.mjs': /\[child\] out 1[\s\S]*err 3\n[\s\S]*exit code 0/,
  'pipe-sync-cli.mjs': /\[ 'apple', 'fig', 'pear' \]/,
  'channel-workers.mjs': /sum of squares 1\.\.9 = 285/,
  'channel-request-response.mjs': /\{ id: 1, upper: 'CHANNELS' \}/,
  'uds-fd-passing.mjs': /client connected: pid \d+ \(our child\)[\s\S]*server read: hello from pid \d+, through a passed fd/,
  'local-service.mjs': /(client \d+: answer = 42\n){3}served 3 clients/,
  'uds-datagram.mjs': /sent 5, server got 5 bytes\nsent 65536, server got 65536 bytes\nsent 100000, server got 100000 bytes/,
  'signals-graceful-shutdown.mjs': /child is ready[\s\S]*received 10000 of 10000 results; child exited with code 143/,
};

describe('examples', () => {
  const files = readdirSync(`${root}examples`).filter((f) => f.endsWith('.mjs'));
  it('every example has an expected output here', () => {
    assert.deepEqual(files.filter((f) => !(f in expected)), []);
  });
  for (const file of files) {
    it(`${file} runs and prints what it promises`, async () => {
      const child = spawn(process.execPath, [`examples/${file}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      const [out, err, [code]] = await Promise.all([text(child.stdout), text(child.stderr), exited(child)]);
      assert.equal(code, 0, err);
      assert.match(out, expected[file]!);
    });
  }
});
