/**
 * Graceful shutdown: on SIGTERM or SIGINT, close what was registered (flush
 * senders, close listeners and pipes), then exit, within a deadline.
 * @module
 */
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { validateInteger, validateOptions, validateTimeout, invalidArgument } from '../internal/validate.js';
import { native } from '../native.js';
import type { SignalInfo } from './hub.js';
import { catchableList, signalName, type SignalName, type SignalSpec } from './names.js';
import { windowsListen } from './platform/windows.js';
import { onSignal } from './subscribe.js';

/**
 * Anything {@link ShutdownController.register} can close: an object with
 * `[Symbol.asyncDispose]()` (preferred: a `PipeWriter` flushes there), with
 * `close()` (a channel `Sender` flushes there; `Receiver`s, pipe ends), with
 * `[Symbol.dispose]()`, or a function. Each may return a promise, which is
 * awaited.
 */
export type ShutdownResource =
  | { [Symbol.asyncDispose](): PromiseLike<void> }
  | { close(): unknown }
  | { [Symbol.dispose](): void }
  | (() => unknown);

/** Options of {@link gracefulShutdown}. */
export interface GracefulShutdownOptions {
  /**
   * The signals that start the shutdown.
   * @default ['SIGTERM', 'SIGINT'] (on Windows: ['SIGINT', 'SIGBREAK'])
   */
  readonly signals?: readonly SignalSpec[];
  /**
   * Milliseconds to wait for the registered resources to close; then the
   * process exits anyway (saying on stderr how many had not closed).
   * @default 5000
   */
  readonly timeout?: number;
  /**
   * The exit code. The default is the shell's convention for "ended by a
   * signal": 128 + the signal's number (143 for SIGTERM, 130 for SIGINT).
   */
  readonly exitCode?: number;
}

function describe(resource: ShutdownResource): string {
  if (typeof resource === 'function') return `function ${resource.name || '(anonymous)'}`;
  return (resource as object).constructor?.name ?? 'a resource';
}

function report(line: string): void {
  try {
    writeSync(2, `ipckit: gracefulShutdown(): ${line}\n`);
  } catch {
    // stderr is gone: nothing more to do
  }
}

/**
 * Ends the process. The shutdown signals are the whole process's, so from
 * a worker, where `process.exit()` would end only the worker, it ends the
 * whole process at once (`_exit`): the worker's registered resources have
 * closed, but no thread's `'exit'` listeners run.
 */
function exitProcess(code: number): never {
  if (isMainThread || process.platform === 'win32') process.exit(code);
  return native().exitProcess(code);
}

/** Starts closing one resource; a synchronous throw becomes a rejection. */
function closeOne(resource: ShutdownResource): Promise<unknown> {
  try {
    if (typeof resource === 'function') return Promise.resolve(resource());
    const r = resource as Partial<Record<typeof Symbol.asyncDispose | typeof Symbol.dispose, () => unknown>> & { close?: () => unknown };
    if (typeof r[Symbol.asyncDispose] === 'function') return Promise.resolve(r[Symbol.asyncDispose]!());
    if (typeof r.close === 'function') return Promise.resolve(r.close());
    return Promise.resolve(r[Symbol.dispose]!());
  } catch (err) {
    return Promise.reject(err);
  }
}

function isResource(value: unknown): value is ShutdownResource {
  if (typeof value === 'function') return true;
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<PropertyKey, unknown>;
  return typeof r[Symbol.asyncDispose] === 'function' || typeof r.close === 'function' || typeof r[Symbol.dispose] === 'function';
}

/**
 * What {@link gracefulShutdown} returns: the registry of resources to close
 * before exiting, and the subscription to the shutdown signals (disposing
 * the controller removes both).
 */
export class ShutdownController implements Disposable {
  readonly #resources: ShutdownResource[] = [];
  readonly #timeout: number;
  readonly #exitCode: number | undefined;
  #stop: (() => void) | null;
  #shuttingDown = false;
  /** The signals that start the shutdown. */
  readonly signals: readonly SignalName[];

  /** @internal */
  constructor(signos: readonly number[], timeout: number, exitCode: number | undefined) {
    this.#timeout = timeout;
    this.#exitCode = exitCode;
    this.signals = Object.freeze(signos.map(signalName));
    const handler = (info: SignalInfo): void => this.#onSignal(info);
    if (process.platform === 'win32') {
      this.#stop = windowsListen(signos, handler);
    } else {
      const sub = onSignal(signos, handler);
      this.#stop = () => sub.close();
    }
  }

  /** True once a shutdown signal arrived. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Adds a resource to close at shutdown and returns it. Resources close in
   * the reverse order of registration (the last one registered starts
   * first); all of them are started at once, without waiting for each other.
   * Registering one twice closes it once.
   */
  register<R extends ShutdownResource>(resource: R): R {
    if (!isResource(resource)) {
      throw invalidArgument('resource', 'an object with close(), [Symbol.asyncDispose]() or [Symbol.dispose](), or a function', resource);
    }
    if (!this.#resources.includes(resource)) this.#resources.push(resource);
    return resource;
  }

  /** Removes a resource (closed by its owner meanwhile). Returns whether it was registered. */
  unregister(resource: ShutdownResource): boolean {
    const i = this.#resources.indexOf(resource);
    if (i < 0) return false;
    this.#resources.splice(i, 1);
    return true;
  }

  #onSignal(info: SignalInfo): void {
    const code = this.#exitCode ?? 128 + info.signo;
    if (this.#shuttingDown) {
      // A second signal: the user is done waiting.
      report(`${info.signal} during shutdown: exiting now`);
      exitProcess(code);
    }
    this.#shuttingDown = true;
    void this.#run(code);
  }

  async #run(code: number): Promise<void> {
    const list = [...this.#resources].reverse();
    const open = new Set(list);
    const closing = list.map((r) =>
      closeOne(r).then(
        () => open.delete(r),
        (err: unknown) => {
          open.delete(r);
          report(`closing ${describe(r)} failed: ${err instanceof Error ? err.message : String(err)}`);
        },
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), this.#timeout)));
    const late = await Promise.race([Promise.all(closing).then(() => false), expired]);
    clearTimeout(timer);
    if (late) {
      report(`${open.size} of ${list.length} resources had not closed after ${this.#timeout} ms (${[...open].map(describe).join(', ')}); exiting anyway`);
    }
    exitProcess(code);
  }

  /** Stops listening for the shutdown signals and forgets the resources (closing none). Idempotent. */
  close(): void {
    this.#stop?.();
    this.#stop = null;
    this.#resources.length = 0;
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Exits cleanly on SIGTERM or SIGINT: closes the registered resources
 * (flushing channel senders and pipe writers, closing listeners), waits up
 * to `timeout`, then exits with `exitCode` (default 128 + the signal's
 * number). A second signal during the shutdown exits at once.
 *
 * ```ts
 * const shutdown = gracefulShutdown({ timeout: 10_000 });
 * const results = shutdown.register(senderFromParent('results'));
 * ```
 *
 * Without it, SIGTERM ends a Node process at once and whatever a `Sender`
 * still had queued is lost. The controller's subscription does not keep the
 * process alive; once started, the shutdown does until it exits.
 *
 * In a worker thread the shutdown is still the whole process's: after the
 * worker's registered resources have closed, the whole process ends at
 * once (as `_exit(2)`: no `'exit'` listeners run on any thread, output
 * other threads have not written yet is lost), since `process.exit()`
 * there would end only the worker.
 *
 * Errors: those of {@link onSignal} for `signals`; `IPCKIT_INVALID_ARGUMENT`
 * for a bad `timeout` or `exitCode`.
 *
 * Platform notes: on Windows, Node delivers only console events (SIGINT,
 * SIGBREAK, SIGHUP); other signals there are `IPCKIT_UNSUPPORTED_PLATFORM`.
 */
export function gracefulShutdown(options?: GracefulShutdownOptions): ShutdownController {
  const opts = validateOptions<GracefulShutdownOptions>(options);
  const list = opts.signals ?? (process.platform === 'win32' ? ['SIGINT', 'SIGBREAK'] : ['SIGTERM', 'SIGINT']);
  const signos = catchableList(list, 'options.signals');
  const timeout = opts.timeout === undefined ? 5000 : validateTimeout(opts.timeout, 'options.timeout');
  const exitCode = opts.exitCode === undefined ? undefined : validateInteger(opts.exitCode, 'options.exitCode', 0, 255);
  return new ShutdownController(signos, timeout, exitCode);
}
