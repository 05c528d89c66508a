// The README's example runs as pasted: saved as example.mjs in the package
// directory and run with node, it prints what its comment says.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { exited, text } from './helpers/children.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

it('the README example prints [ "out", "err" ]', async () => {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## Example'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, 'the README has a js block under "## Example"');
  const file = `${root}example-${process.pid}.mjs`;
  writeFileSync(file, code);
  try {
    const child = spawn(process.execPath, [file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const [out, [status]] = await Promise.all([text(child.stdout), exited(child)]);
    assert.equal(status, 0);
    assert.equal(out.trim(), "[ 'out', 'err' ]");
  } finally {
    rmSync(file, { force: true });
  }
});
