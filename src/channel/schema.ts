/**
 * Runtime validation of received values: a plain function, or any Standard
 * Schema (https://standardschema.dev): zod, valibot, arktype and others
 * implement it, so their schemas work as they are. The interface is the
 * published one, declared here so that ipckit depends on no schema library.
 * @module
 */
import { ErrorCode, IpckitError } from '../errors.js';
import { invalidArgument } from '../internal/validate.js';

/** The Standard Schema v1 interface (as published by the Standard Schema project). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardSchemaV1.Result<Output> | Promise<StandardSchemaV1.Result<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace StandardSchemaV1 {
  type Result<Output> = { readonly value: Output; readonly issues?: undefined } | { readonly issues: ReadonlyArray<Issue> };
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
  }
}

/** A check run on every received value before delivery: returns the value to deliver, or throws. */
export type Validator<T> = (value: unknown) => T | Promise<T>;

/** A validator option: a function or a Standard Schema. */
export type ValidateOption<T> = Validator<T> | StandardSchemaV1<unknown, T>;

/** An IPCKIT_VALIDATION_FAILED error, with the schema's issues when there are some. */
export interface ValidationError extends IpckitError {
  readonly issues?: ReadonlyArray<StandardSchemaV1.Issue>;
}

function failed(message: string, cause?: unknown, issues?: ReadonlyArray<StandardSchemaV1.Issue>): ValidationError {
  const err = new IpckitError(ErrorCode.VALIDATION_FAILED, message, { cause }) as ValidationError;
  if (issues !== undefined) Object.defineProperty(err, 'issues', { value: issues, enumerable: true });
  return err;
}

function describeIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): string {
  return issues
    .slice(0, 3)
    .map((i) => {
      const path = i.path?.map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.');
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}

/**
 * @internal Turns the option into one function whose result is the value or a
 * promise of it; failures become IPCKIT_VALIDATION_FAILED.
 */
export function resolveValidator<T>(option: unknown): Validator<T> | undefined {
  if (option === undefined) return undefined;
  if (typeof option === 'function') {
    const fn = option as Validator<T>;
    return (value) => {
      let out: T | Promise<T>;
      try {
        out = fn(value);
      } catch (cause) {
        throw failed(`a received value failed validation: ${(cause as Error)?.message ?? String(cause)}`, cause);
      }
      if (out instanceof Promise) {
        return out.catch((cause: unknown) => {
          throw failed(`a received value failed validation: ${(cause as Error)?.message ?? String(cause)}`, cause);
        });
      }
      return out;
    };
  }
  const std = (option as Partial<StandardSchemaV1<unknown, T>>)?.['~standard'];
  if (typeof option === 'object' && option !== null && std && typeof std.validate === 'function') {
    const check = (r: StandardSchemaV1.Result<T>): T => {
      if (r.issues !== undefined) throw failed(`a received value failed validation (${std.vendor}): ${describeIssues(r.issues)}`, undefined, r.issues);
      return r.value;
    };
    return (value) => {
      const r = std.validate(value);
      return r instanceof Promise ? r.then(check) : check(r);
    };
  }
  throw invalidArgument('options.validate', 'a function or a Standard Schema (zod, valibot, ...)', option);
}
