/**
 * fd hygiene checks: counting this process's open fds, and asserting that a
 * test leaves none behind (the catalog's "fdcount back to baseline").
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterEach, beforeEach } from 'node:test';
import { exited, text } from './children.js';

/** This process's open fds (from /proc/self/fd). */
export function openFds(): number[] {
  return readdirSync('/proc/self/fd')
    .map(Number)
    .filter((fd) => {
      try {
        readlinkSync(`/proc/self/fd/${fd}`); // the fd readdir itself used is gone by now
        return true;
      } catch {
        return false;
      }
    })
    .sort((a, b) => a - b);
}

/** What an fd refers to, e.g. "pipe:[12345]". */
export function fdTarget(fd: number, pid: number | 'self' = 'self'): string {
  return readlinkSync(`/proc/${pid}/fd/${fd}`);
}

/**
 * Registers beforeEach/afterEach hooks that fail a test which leaves fds
 * open. Tests must wait for what they started (children, streams) to finish.
 */
export function checkFdLeaks(): void {
  let before: number[] = [];
  beforeEach(() => {
    before = openFds();
  });
  afterEach(async () => {
    // Node keeps an fd on /dev/null after its first spawn with 'ignore'
    // stdio; ipckit never opens /dev/null, so such an fd is never a leak of ours.
    const leaked = (): string[] =>
      openFds()
        .filter((fd) => !before.includes(fd))
        .map((fd) => `${fd} -> ${safeTarget(fd)}`)
        .filter((entry) => !entry.endsWith(' -> /dev/null'));
    // Node may still hold an fd of its own for a moment (a child's stdio
    // being torn down); give it a few event-loop turns, never a fixed sleep.
    let left = leaked();
    for (let turn = 0; turn < 50 && left.length > 0; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      left = leaked();
    }
    assert.deepEqual(left, [], `fds left open by the test: ${left.join(', ')}`);
  });
}

function safeTarget(fd: number): string {
  try {
    return fdTarget(fd);
  } catch {
    return '?';
  }
}

// Listed by ls, a child of the shell, so nothing ls opens shows up; "; :"
// stops the shell from exec'ing ls in its own place.
const LIST_FDS = 'ls -l /proc/$$/fd; :';

/** The fds of a child shell spawned with `stdio`, by number, with their targets. */
export async function childFds(stdio: Array<unknown> = ['ignore', 'pipe', 'inherit']): Promise<Map<number, string>> {
  const child = spawn('sh', ['-c', LIST_FDS], { stdio: stdio as never });
  const [out] = await Promise.all([text(child.stdout), exited(child)]);
  const fds = new Map<number, string>();
  for (const line of out.split('\n')) {
    const m = /\s(\d+) -> (.*)$/.exec(line);
    if (m) fds.set(Number(m[1]), m[2]!);
  }
  assert.ok(fds.has(0) && fds.has(1) && fds.has(2), `could not list the child's fds: ${out}`);
  return fds;
}

/** Targets of this process's fds that are not close-on-exec: what any child inherits legitimately. */
export function inheritableTargets(): Set<string> {
  const out = new Set<string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      const flags = /flags:\s*([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${name}`, 'utf8'))![1]!;
      if ((parseInt(flags, 8) & 0o2000000) === 0) out.add(readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // closed meanwhile (the fd readdir used)
    }
  }
  return out;
}
