/**
 * Sending signals to a process or a process group by pid.
 * @module
 */
import { ErrorCode, IpckitError, systemError } from '../errors.js';
import { invalidArgument, validateInteger, validateOptions } from '../internal/validate.js';
import { native } from '../native.js';
import { sendableSignal, type SignalSpec } from './names.js';
import { windowsKill } from './platform/windows.js';

/** A process group, for {@link sendSignal}. */
export interface ProcessGroupTarget {
  /** The process group id (the pid of its leader), >= 1. */
  readonly group: number;
}

/** Options of {@link sendSignal}. */
export interface SendSignalOptions {
  /**
   * An integer sent with the signal (`sigqueue(3)`), which the receiver
   * reads as `SignalInfo.value` (with `code` -1, `SI_QUEUE`). A realtime
   * signal sent with values queues one delivery per send. Linux only, and
   * to a single process (not a group).
   */
  readonly value?: number;
}

const PID_MAX = 0x7fffffff;

function isPid(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= PID_MAX;
}

/**
 * Sends a signal to a process (`sendSignal(pid, sig)`) or to every process
 * of a process group (`sendSignal({ group: pgid }, sig)`, `kill(-pgid)`).
 * `sig` is a name or a number, realtime signals included; 0 sends nothing
 * and only checks that the target exists and may be signalled. The default
 * is `'SIGTERM'`.
 *
 * ```ts
 * sendSignal(child.pid, 'SIGUSR1');
 * sendSignal({ group: child.pid }, 'SIGTERM'); // a detached child and its descendants
 * ```
 *
 * A pid names whichever process has that number now: once the intended
 * process has exited and been reaped, the number can belong to another
 * one. For a process you did not start and reap yourself, use
 * {@link openPidfd} (Linux), which cannot reach a stranger.
 *
 * pid 0 and -1 ("my own group", "every process I may signal") are refused:
 * pass `{ group: process group id }` for a group.
 *
 * With `{ value }`, the signal carries an integer (see
 * {@link SendSignalOptions.value}): `sendSignal(pid, 'SIGRTMIN', { value: 7 })`.
 *
 * Errors: `ESRCH` (no such process or group), `EPERM` (not allowed to
 * signal it), `EAGAIN` (the receiver's queue of signals with values is
 * full), shaped like Node's (`code`, `errno`, `syscall: 'kill'` or
 * `'sigqueue'`); `IPCKIT_INVALID_ARGUMENT` for a bad target, an unknown
 * signal or a value that is not a 32-bit integer.
 *
 * Platform notes: on Windows only a pid works, through Node's emulation
 * (`process.kill`: signal 0 checks, other signals end the process); a group
 * is `IPCKIT_UNSUPPORTED_PLATFORM`.
 */
export function sendSignal(target: number | ProcessGroupTarget, sig: SignalSpec = 'SIGTERM', options?: SendSignalOptions): void {
  let pid: number;
  if (isPid(target)) {
    pid = target;
  } else if (typeof target === 'object' && target !== null && isPid((target as ProcessGroupTarget).group)) {
    pid = -(target as ProcessGroupTarget).group;
  } else {
    throw invalidArgument('target', 'a process id (an integer >= 1) or { group: <process group id >= 1> }', target);
  }
  const signo = sendableSignal(sig, 'sig');
  const value = validateOptions<SendSignalOptions>(options).value;
  if (value !== undefined) {
    const v = validateInteger(value, 'options.value', -0x80000000, 0x7fffffff);
    if (pid < 0) throw invalidArgument('target', 'a single process: sigqueue(3) cannot send a value to a process group', target);
    if (process.platform !== 'linux') throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, 'sendSignal(): a value can be sent with a signal only on Linux (sigqueue)');
    const r = native().signalQueue(pid, signo, v);
    if (r < 0) throw systemError(r, 'sigqueue');
    return;
  }
  if (process.platform === 'win32') {
    if (pid < 0) throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, 'sendSignal(): Windows has no process groups to signal');
    windowsKill(pid, signo);
    return;
  }
  const r = native().signalKill(pid, signo);
  if (r < 0) throw systemError(r, 'kill');
}
