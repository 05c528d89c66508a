/**
 * Ends that can be handed to a child process through `spawn`'s `stdio`
 * implement `[kHandOff]`: after the child has its copy, ipckit's `spawn()`
 * calls it to close the parent's copy (see src/pipe/spawn.ts).
 * @internal
 * @module
 */
export const kHandOff: unique symbol = Symbol('ipckit.handOff');

export interface HandOff {
  [kHandOff](): void;
}

/** The environment variable that tells a child which fds hold its channels. */
export const CHANNELS_ENV = 'IPCKIT_CHANNELS';

/** The fds an end occupies in a child: one, or [readFd, writeFd] for a duplex end. */
export function handOffFds(end: HandOff): number[] {
  const fds = (end as { fds?: unknown }).fds;
  if (Array.isArray(fds)) return fds as number[];
  return [(end as unknown as { fd: number }).fd];
}

export function isHandOff(value: unknown): value is HandOff {
  return typeof value === 'object' && value !== null && typeof (value as Partial<HandOff>)[kHandOff] === 'function';
}
