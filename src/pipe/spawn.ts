/**
 * `spawn()` that hands ipckit ends over to the child: after the child has
 * its own copies, the parent's are closed, so the forgotten-writer deadlock
 * cannot happen by omission.
 * @module
 */
import {
  spawn as nodeSpawn,
  type ChildProcess,
  type IOType,
  type SpawnOptions,
} from 'node:child_process';
import type { Stream } from 'node:stream';
import { CHANNELS_ENV, handOffFds, isHandOff, kHandOff, type HandOff } from '../internal/handoff.js';
import { invalidArgument } from '../internal/validate.js';

/**
 * `stdio` of ipckit's {@link spawn}: what `child_process.spawn` takes, plus
 * any ipckit object with an fd (pipe ends, channel ends, Unix sockets of
 * every kind), which is handed over to the child.
 */
export type SpawnStdio = IOType | ReadonlyArray<IOType | 'ipc' | Stream | number | { readonly fd: number } | null | undefined>;

/** Options of ipckit's {@link spawn}: those of `child_process.spawn`, and `channels`. */
export interface SpawnWithChannelsOptions extends Omit<SpawnOptions, 'stdio'> {
  /** As for `child_process.spawn`; ipckit objects are handed over (see {@link spawn}). */
  readonly stdio?: SpawnStdio;
  /**
   * Channel ends (Sender, Receiver, DuplexEnd) to hand to the child by name.
   * Each gets the next fds from 3 up; the child finds them by name with
   * `receiverFromParent(name)`, `senderFromParent(name)` or
   * `duplexFromParent(name)` (they read the `IPCKIT_CHANNELS` environment
   * variable). This process's copies are closed after the spawn.
   */
  readonly channels?: Readonly<Record<string, HandOff>>;
}

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
export function spawn(command: string, args: readonly string[] = [], options: SpawnWithChannelsOptions = {}): ChildProcess {
  if (!Array.isArray(args)) throw invalidArgument('args', 'an array of strings', args);
  const { channels, ...rest } = options;
  let spawnOptions = rest as SpawnOptions;
  const ends: HandOff[] = [];
  if (Array.isArray(rest.stdio)) for (const end of rest.stdio) if (isHandOff(end)) ends.push(end);
  if (channels !== undefined) {
    if (typeof channels !== 'object' || channels === null) throw invalidArgument('options.channels', 'an object of channel ends', channels);
    const stdio: unknown[] =
      rest.stdio === undefined ? [] : typeof rest.stdio === 'string' ? [rest.stdio, rest.stdio, rest.stdio] : [...rest.stdio];
    while (stdio.length < 3) stdio.push(undefined); // Node's default for 0-2 ('pipe')
    const table: Record<string, number[]> = {};
    for (const [name, end] of Object.entries(channels)) {
      if (!isHandOff(end)) throw invalidArgument(`options.channels.${name}`, 'a Sender, Receiver or DuplexEnd', end);
      table[name] = handOffFds(end).map((fd) => {
        stdio.push(fd);
        return stdio.length - 1;
      });
      ends.push(end);
    }
    spawnOptions = { ...rest, stdio: stdio as SpawnOptions['stdio'], env: { ...(rest.env ?? process.env), [CHANNELS_ENV]: JSON.stringify(table) } };
  }
  const child = nodeSpawn(command, args, spawnOptions);
  // Closing is idempotent, so an end given twice (stdout and stderr) is fine.
  for (const end of ends) end[kHandOff]();
  return child;
}
