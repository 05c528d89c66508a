/**
 * # Signals and process lifecycle
 *
 * Subscribe to any signal, realtime ones included, as a handler
 * (`onSignal`), an async iterable (`signals`) or a promise (`onceSignal`);
 * send signals to a process or a process group (`sendSignal`); signal and
 * await a process through a Linux pidfd without the pid-reuse race
 * (`openPidfd`); and shut down cleanly on SIGTERM/SIGINT
 * (`gracefulShutdown`).
 *
 * No JavaScript ever runs in signal-handler context. ipckit's native
 * handler writes a 32-byte record to a pipe per delivery and returns; the
 * thread's event loop reads the pipe and calls the subscribers.
 *
 * ## Dispositions
 *
 * The first ipckit subscriber of a signal in the process installs ipckit's
 * handler; when the last one goes, the action it replaced is put back
 * exactly (handler, flags, mask), provided ipckit's handler is still the
 * one installed. ipckit never touches a signal nobody subscribed to, and
 * never takes back a signal someone else took after it, except from libuv
 * for a Node listener. SIGPIPE therefore stays ignored after a SIGPIPE
 * subscription comes and goes.
 *
 * If the replaced action was a handler (libuv's, for a Node
 * `process.on(sig)` listener; another library's), ipckit's handler calls it
 * after writing its records, so both see every signal. Except Node's own
 * start-up handlers, which a Node listener replaces too: SIGINT and
 * SIGTERM (restore the terminal, then die) and SIGUSR1 (start the
 * inspector). When libuv installs its handler for a Node listener added
 * later, or resets the signal when the last one is removed, the main
 * thread puts ipckit's handler back on top (docs/signals.md, "Node
 * listeners").
 *
 * ## Coalescing
 *
 * Classic signals (1-31) do not queue: while one is pending in the kernel,
 * more of the same are merged into it, so n sends give between 1 and n
 * deliveries. Realtime signals queue, up to `RLIMIT_SIGPENDING`, and each
 * send is one delivery. Between the handler and JavaScript, each thread's
 * pipe holds 2,048 deliveries (Linux's default pipe), and up to 32,768 once
 * the handler has enlarged it, the first time it was full; beyond that (the
 * thread's loop was blocked that long) they are dropped and counted
 * (`droppedSignalCount()`).
 *
 * ## When not to use it
 *
 * - To talk between your own processes: use a channel; a signal carries
 *   one integer at most.
 * - SIGINT/SIGTERM in a plain script that only needs `process.on`: Node's
 *   listener does the same for the classic signals.
 * - Crashes (SIGSEGV, SIGBUS, SIGFPE, SIGILL) cannot be handled here.
 *
 * ## Platform notes
 *
 * - Linux: everything; realtime signals from `SIGRTMIN` (as the C library
 *   reports it at run time: 34 with glibc, which keeps 32 and 33; 35 with
 *   musl, which keeps 32 to 34) to `SIGRTMAX` (64); pidfds on 5.3 and later.
 * - macOS (untested): subscriptions and `sendSignal`; no realtime signals;
 *   the pipe holds fewer deliveries (its capacity cannot be raised); no
 *   pidfds.
 * - Windows: `sendSignal` to a pid (Node's emulation) and
 *   `gracefulShutdown` on console events (SIGINT, SIGBREAK, SIGHUP); the
 *   rest is `IPCKIT_UNSUPPORTED_PLATFORM`.
 *
 * @module
 */
export type { SignalInfo } from './hub.js';
export { signalName, signalNumber, type SignalName, type SignalSpec } from './names.js';
export {
  droppedSignalCount,
  onceSignal,
  onSignal,
  SignalIterator,
  signals,
  SignalSubscription,
  type OnceSignalOptions,
  type SignalsOptions,
} from './subscribe.js';
export { sendSignal, type ProcessGroupTarget, type SendSignalOptions } from './send.js';
export { openPidfd, Pidfd, type WaitExitOptions } from './pidfd.js';
export {
  gracefulShutdown,
  ShutdownController,
  type GracefulShutdownOptions,
  type ShutdownResource,
} from './shutdown.js';
