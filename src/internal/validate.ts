/**
 * Argument checks for the public API. Every public function validates before
 * anything reaches the native core, so a wrong type gives a clear
 * `IPCKIT_INVALID_ARGUMENT` and never a crash or a half-done operation.
 * @internal
 * @module
 */
import { inspect } from 'node:util';
import { ErrorCode, IpckitError } from '../errors.js';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name;
    return ctor ? `an instance of ${ctor}` : inspect(value, { depth: 0 });
  }
  let shown = inspect(value, { depth: 0 });
  if (shown.length > 40) shown = `${shown.slice(0, 37)}...`;
  return `type ${typeof value} (${shown})`;
}

/** `The "name" argument must be <expected>. Received <what>`. */
export function invalidArgument(name: string, expected: string, value: unknown): IpckitError {
  return new IpckitError(
    ErrorCode.INVALID_ARGUMENT,
    `The "${name}" argument must be ${expected}. Received ${describe(value)}`,
  );
}

export function validateInteger(value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `>= ${min} and <= ${max}`;
    throw invalidArgument(name, `an integer ${range}`, value);
  }
  return value;
}

/** A file descriptor: an integer from 0 to 2^31 - 1. */
export function validateFd(value: unknown, name = 'fd'): number {
  return validateInteger(value, name, 0, 0x7fffffff);
}

export function validateBytes(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalidArgument(name, 'a Buffer or Uint8Array', value);
  return value;
}

/** A timeout in milliseconds; undefined means "no deadline" and becomes -1. */
export function validateTimeout(value: unknown, name = 'timeout'): number {
  if (value === undefined) return -1;
  if (typeof value !== 'number' || !(value >= 0) || value > 0x7fffffff) {
    throw invalidArgument(name, 'a number of milliseconds >= 0 and <= 2147483647', value);
  }
  return Math.ceil(value);
}

export function validateSignal(value: unknown, name = 'signal'): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw invalidArgument(name, 'an AbortSignal', value);
  return value;
}

export function validateOptions<T extends object>(value: unknown, name = 'options'): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw invalidArgument(name, 'an object', value);
  return value as Partial<T>;
}

export function validateFunction(value: unknown, name: string): (...args: never[]) => unknown {
  if (typeof value !== 'function') throw invalidArgument(name, 'a function', value);
  return value as (...args: never[]) => unknown;
}
