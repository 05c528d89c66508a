/** Short private temporary directories (socket paths must stay under 108 bytes). */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';

/** A fresh directory under /tmp for each test file, removed afterwards; returns a path maker. */
export function tmpDir(): { path(name: string): string; readonly dir: string } {
  let dir = '';
  before(() => {
    dir = mkdtempSync('/tmp/ik-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    path: (name: string) => join(dir, name),
    get dir() {
      return dir;
    },
  };
}
