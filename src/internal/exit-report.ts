/**
 * Objects holding data that has not reached the kernel yet register here
 * while they do. If the process exits with such data still queued it is
 * lost (as for process.stdout on a pipe); ipckit says so on stderr, once per
 * object, instead of losing it silently.
 * @internal
 * @module
 */
import { writeSync } from 'node:fs';

export interface Unflushed {
  /** A one-line report of what would be lost, or undefined if nothing is. */
  unflushedReport(): string | undefined;
}

const pending = new Set<Unflushed>();
let installed = false;

function report(): void {
  for (const o of pending) {
    const line = o.unflushedReport();
    if (line === undefined) continue;
    try {
      writeSync(2, `ipckit: ${line}\n`);
    } catch {
      // stderr is gone too: nothing more to do
    }
  }
}

export function markUnflushed(o: Unflushed): void {
  pending.add(o);
  if (!installed) {
    installed = true;
    process.on('exit', report);
  }
}

export function clearUnflushed(o: Unflushed): void {
  pending.delete(o);
}
