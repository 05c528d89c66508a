/**
 * Small C programs the tests run as child processes where a Node child
 * would be too slow (a thousand connecting processes) or where the test
 * needs a peer that is not ipckit. Compiled with the system C compiler on
 * first use into dist-test/native-helpers/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Path of the compiled helper test/native-helpers/<name>.c. */
export function cHelper(name: string): string {
  const src = `${root}test/native-helpers/${name}.c`;
  const outDir = `${root}dist-test/native-helpers`;
  const out = `${outDir}/${name}`;
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(outDir, { recursive: true });
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-Wall', '-o', out, src], { stdio: 'inherit' });
  }
  return out;
}
