/**
 * A second copy of ipckit's native core in one process, as when two versions
 * of ipckit are installed in one npm tree: a different file, so the dynamic
 * loader maps it again (separate code, separate state, its own signal
 * handler). Loading it does not load the regular one.
 */
import { copyFileSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeBinding } from '../../src/native.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The file the regular loader (src/native.ts) loads: IPCKIT_NATIVE, or node-gyp-build's choice. */
export function nativePath(): string {
  const override = process.env.IPCKIT_NATIVE;
  if (override) return realpathSync(override);
  const gypBuild = createRequire(import.meta.url)('node-gyp-build') as { path(dir: string): string };
  return realpathSync(gypBuild.path(root));
}

/** Copies the native core to a fresh directory under /tmp and loads the copy (the file is removed once mapped). */
export function loadNativeCopy(): NativeBinding {
  const dir = mkdtempSync('/tmp/ik-copy-');
  try {
    const path = join(dir, 'ipckit-copy.node');
    copyFileSync(nativePath(), path);
    const module = { exports: {} };
    process.dlopen(module, path);
    return module.exports as NativeBinding;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether this process maps `path` (Linux, /proc/self/maps). */
export function mapped(path: string): boolean {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .some((line) => line.endsWith(` ${path}`));
}
