// Shared pieces of the benchmark harness.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const buildDir = `${root}bench/.build`;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wraps a command with taskset when a CPU list is given. */
export function pinned(cpus: string | undefined, cmd: string, args: string[]): [string, string[]] {
  return cpus === undefined ? [cmd, args] : ['taskset', ['-c', cpus, cmd, ...args]];
}

export interface Placement {
  readonly name: string;
  /** CPU of the receiving/parent side and of the sending/child side. */
  readonly a: string;
  readonly b: string;
}

export const placements: Placement[] = [
  { name: '1 CPU', a: '0', b: '0' },
  { name: '2 CPUs', a: '0', b: '1' },
];

export async function collect(child: ChildProcess): Promise<string> {
  let out = '';
  child.stdout?.on('data', (c) => (out += String(c)));
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
  if (code !== 0) throw new Error(`${child.spawnfile} exited with ${code ?? signal}`);
  return out;
}

export function run(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
}

/** First line of JSON a child printed. */
export function parseJson<T>(out: string): T {
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no JSON in output: ${out}`);
  return JSON.parse(line) as T;
}

export function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

export interface SuiteResult {
  /** Markdown for bench/RESULTS.md (tables and notes). */
  readonly markdown: string;
}

export interface SuiteOptions {
  readonly reps: number;
  readonly quick: boolean;
}

export interface Suite {
  readonly name: string;
  readonly title: string;
  run(opts: SuiteOptions): Promise<SuiteResult>;
}
