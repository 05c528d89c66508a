/**
 * `spawn()` that hands ipckit ends over to the child: after the child has
 * its own copies, the parent's are closed, so the forgotten-writer deadlock
 * cannot happen by omission.
 * @module
 */
import {
  spawn as nodeSpawn,
  type ChildProcess,
  type SpawnOptions,
} from 'node:child_process';
import { isHandOff, kHandOff } from '../internal/handoff.js';
import { invalidArgument } from '../internal/validate.js';

/**
 * `child_process.spawn` for commands given ipckit ends in `stdio`.
 *
 * Every ipckit object in `options.stdio` (a `PipeReader`, `PipeWriter`, a
 * channel end, ...) is passed to the child like an fd, then closed in this
 * process as soon as `spawn` returns: from then on the child holds the only
 * copy. If the command cannot be started, the ends are closed all the same
 * (the usual `'error'` event reports why), so nothing waits on them forever.
 *
 * ```ts
 * const { reader, writer } = pipe();
 * // Join the child's stdout and stderr into one pipe.
 * const child = spawn('sh', ['-c', 'echo out; echo err >&2'], {
 *   stdio: ['ignore', writer, writer],
 * });
 * const text = (await Array.fromAsync(reader)).join('');
 * ```
 *
 * With `child_process.spawn` itself the same works; close the parent's
 * copies yourself right after the call.
 */
export function spawn(command: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
  if (!Array.isArray(args)) throw invalidArgument('args', 'an array of strings', args);
  const stdio = options.stdio;
  const child = nodeSpawn(command, args, options);
  if (Array.isArray(stdio)) {
    // Closing is idempotent, so an end given twice (stdout and stderr) is fine.
    for (const end of stdio) if (isHandOff(end)) end[kHandOff]();
  }
  return child;
}
