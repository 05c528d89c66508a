/**
 * Ends that can be handed to a child process through `spawn`'s `stdio`
 * implement `[kHandOff]`: after the child has its copy, ipckit's `spawn()`
 * calls it to close the parent's copy (see src/pipe/spawn.ts).
 * @internal
 * @module
 */
export const kHandOff: unique symbol = Symbol('ipckit.handOff');

export interface HandOff {
  readonly fd: number;
  [kHandOff](): void;
}

export function isHandOff(value: unknown): value is HandOff {
  return typeof value === 'object' && value !== null && typeof (value as Partial<HandOff>)[kHandOff] === 'function';
}
