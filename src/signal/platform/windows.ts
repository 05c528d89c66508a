/**
 * Windows: no POSIX signals. Node emulates a few (`process.kill` ends a
 * process; `process.on` delivers console events as SIGINT, SIGBREAK and
 * SIGHUP), and what makes sense of ipckit's signal API on Windows is built
 * on that emulation here: `sendSignal` and `gracefulShutdown`. Untested: no
 * Windows machine runs the suite.
 * @internal
 * @module
 */
import { constants as osConstants } from 'node:os';
import { ErrorCode, IpckitError } from '../../errors.js';
import type { SignalInfo } from '../hub.js';
import { signalName } from '../names.js';

/** The signals Node delivers through `process.on` on Windows. */
const DELIVERED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGBREAK', 'SIGHUP'];

/** `process.kill`: Node's emulation (signal 0 tests for existence; others end the process). */
export function windowsKill(pid: number, signo: number): void {
  process.kill(pid, signo);
}

/** Listens through `process.on` for console events; returns the function that stops listening. */
export function windowsListen(signos: readonly number[], handler: (info: SignalInfo) => void): () => void {
  const table = osConstants.signals as Record<string, number>;
  const names = signos.map((n) => {
    const name = DELIVERED.find((s) => table[s] === n);
    if (name === undefined) {
      throw new IpckitError(
        ErrorCode.UNSUPPORTED_PLATFORM,
        `${signalName(n)} is never delivered on Windows; Node delivers only ${DELIVERED.join(', ')} there (console events)`,
      );
    }
    return name;
  });
  const listeners = names.map((name) => {
    const listener = (): void =>
      handler(Object.freeze({ signal: name, signo: table[name]!, pid: 0, uid: 0, code: 0, value: 0 }));
    process.on(name, listener);
    return [name, listener] as const;
  });
  return () => {
    for (const [name, listener] of listeners) process.off(name, listener);
  };
}
