/**
 * fd hygiene checks: counting this process's open fds, and asserting that a
 * test leaves none behind (the catalog's "fdcount back to baseline").
 */
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { afterEach, beforeEach } from 'node:test';

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
