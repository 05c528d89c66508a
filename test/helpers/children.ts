/**
 * Child processes for tests: compiled fixtures (test/fixtures/*.ts) and
 * helpers to wait for them without sleeping.
 */
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Multiplier for the few latency bounds the catalog states (e.g. "EOF within
 * 50 ms"): 1 normally, larger under valgrind or sanitizers, which slow
 * everything down (set IPCKIT_TIME_SCALE).
 */
export const timeScale = Number(process.env.IPCKIT_TIME_SCALE ?? 1);

/**
 * Factor for memory bounds: 1 normally; larger under the sanitizers, whose
 * allocator pads every allocation and keeps freed memory in quarantine to
 * catch use after free (set IPCKIT_MEM_SCALE). The bounds are checked at
 * their real size by `npm test`.
 */
export const memScale = Number(process.env.IPCKIT_MEM_SCALE ?? 1);

/**
 * `npm run soak` (IPCKIT_SOAK=1): the few tests that `npm test` runs at a
 * reduced size run at the catalog's full size instead.
 */
export const SOAK = process.env.IPCKIT_SOAK === '1';

/** Absolute path of a compiled fixture, e.g. fixture('pipe-writer'). */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}.js`, import.meta.url));
}

/** Resolves with [exit code, signal] once the child has exited and its stdio closed. */
export async function exited(child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  if (child.exitCode !== null || child.signalCode !== null) {
    if (child.stdout === null || child.stdout.closed) return [child.exitCode, child.signalCode];
  }
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return [code, signal];
}

/** Collects a readable stream into a string. */
export async function text(stream: NodeJS.ReadableStream | null): Promise<string> {
  if (stream === null) return '';
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

/**
 * Runs a full garbage collection, so that a memory figure measured after it
 * shows what is still held rather than when the collector last ran (whose
 * timing differs between Node versions).
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
