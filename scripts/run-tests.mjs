#!/usr/bin/env node
// Runs the compiled test files (dist-test/test/**/*.test.js) with node:test.
// Usage: node scripts/run-tests.mjs [filter...]   (substring match on the path)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const testRoot = join(root, 'dist-test', 'test');

function collect(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures' && name !== 'helpers') collect(p, out);
    } else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect(testRoot).filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=1', `--test-timeout=${process.env.IPCKIT_TEST_TIMEOUT ?? 60000}`, ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(r.status ?? 1);
