/**
 * The signal hub of one Node environment (the main thread, or one worker):
 * the read end of the environment's signal pipe, polled on its event loop,
 * and the JavaScript subscribers it dispatches records to.
 *
 * The native handler writes one 32-byte record per delivery to the pipe;
 * nothing else happens in signal-handler context. Here, on the event loop,
 * records are decoded and each subscriber of that signal is called.
 *
 * The pipe exists while this environment has at least one subscriber; the
 * native subscription of a signal exists while at least one subscriber here
 * wants it. Subscribers do not keep the process alive (as `process.on`);
 * callers that wait (`onceSignal`, an iterator's pending `next()`) hold the
 * hub while they wait.
 * @internal
 * @module
 */
import { constants as osConstants, endianness } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { systemError } from '../errors.js';
import { FdHandle } from '../internal/handle.js';
import { native, type NativeBinding } from '../native.js';
import { signalName, type SignalName } from './names.js';

/** One delivery of a signal, as the kernel described it to the handler. */
export interface SignalInfo {
  /** The signal's name, e.g. `'SIGUSR1'` or `'SIGRTMIN+3'`. */
  readonly signal: SignalName;
  /** The signal's number. */
  readonly signo: number;
  /**
   * `si_pid`: the sending process when a process sent it (`kill`,
   * `sigqueue`, `tgkill`). For signals the kernel raises, what the kernel
   * put there: the child for SIGCHLD, the writing process itself for
   * SIGPIPE, 0 for most others.
   */
  readonly pid: number;
  /** `si_uid`: the sender's real user id, under the same conditions as `pid`. */
  readonly uid: number;
  /**
   * Why it was sent (`si_code`): 0 (`SI_USER`) for `kill(2)`, -1
   * (`SI_QUEUE`) for `sigqueue(3)`, -6 (`SI_TKILL`) for `tgkill(2)`, and a
   * positive value when the kernel raised it (e.g. `CLD_EXITED` for SIGCHLD).
   */
  readonly code: number;
  /** The integer sent with `sigqueue(3)` (`si_value.sival_int`); 0 after `kill`. */
  readonly value: number;
}

/** A subscriber: one signal number and the function to call. */
export interface HubEntry {
  readonly signo: number;
  readonly fn: (info: SignalInfo) => void;
  active: boolean;
}

const LE = endianness() === 'LE';
/** Largest read one readiness delivers; a multiple of the record size. */
const READ_MAX = 1 << 20;

export class SignalHub {
  readonly #b: NativeBinding;
  readonly #recordSize: number;
  #slot = -1;
  #h: FdHandle | null = null;
  readonly #bySignal = new Map<number, Set<HubEntry>>();
  #entries = 0;
  #holds = 0;
  #rest: Buffer | null = null;
  /** Records lost to a full pipe in slots already closed. */
  #droppedBefore = 0;

  constructor(binding: NativeBinding) {
    this.#b = binding;
    this.#recordSize = binding.SIGNAL_RECORD_SIZE;
    if (isMainThread) watchNodeListeners(binding);
  }

  /** Adds a subscriber; throws a system error if the signal cannot be subscribed to. */
  add(signo: number, fn: (info: SignalInfo) => void): HubEntry {
    this.#open();
    let set = this.#bySignal.get(signo);
    if (set === undefined) {
      const r = this.#b.signalSubscribe(this.#slot, signo);
      if (r < 0) {
        if (this.#entries === 0) this.#close();
        throw systemError(r, 'sigaction');
      }
      set = new Set();
      this.#bySignal.set(signo, set);
    }
    const entry: HubEntry = { signo, fn, active: true };
    set.add(entry);
    this.#entries++;
    return entry;
  }

  /** Removes a subscriber (idempotent). The last one of a signal unsubscribes it natively. */
  remove(entry: HubEntry): void {
    if (!entry.active) return;
    entry.active = false;
    const set = this.#bySignal.get(entry.signo);
    if (set === undefined || !set.delete(entry)) return;
    this.#entries--;
    if (set.size === 0) {
      this.#bySignal.delete(entry.signo);
      if (this.#slot >= 0) this.#b.signalUnsubscribe(this.#slot, entry.signo);
    }
    if (this.#entries === 0) this.#close();
  }

  /** Keeps the process alive while held (a waiting `onceSignal`, a pending `next()`). */
  hold(): void {
    if (++this.#holds === 1) this.#h?.setRef(true);
  }

  release(): void {
    if (this.#holds > 0 && --this.#holds === 0) this.#h?.setRef(false);
  }

  /** The capacity of this environment's signal pipe now, in bytes; 0 while it has none (for tests). */
  get capacity(): number {
    return this.#slot >= 0 ? Math.max(0, this.#b.signalCapacity(this.#slot)) : 0;
  }

  /** Records this environment lost because its pipe was full. */
  get dropped(): number {
    return this.#droppedBefore + (this.#slot >= 0 ? Math.max(0, this.#b.signalDropped(this.#slot)) : 0);
  }

  #open(): void {
    if (this.#h !== null) return;
    const out = new Int32Array(2);
    const slot = this.#b.signalOpen(out);
    if (slot < 0) throw systemError(slot, 'pipe2');
    let h: FdHandle;
    try {
      // The read end is ours from here: the handle closes it.
      h = new FdHandle(this.#b, out[0]!, { onRead: (n, data) => this.#onRead(n, data) }, 'signal pipe');
    } catch (err) {
      this.#b.signalClose(slot);
      this.#b.closeFd(out[0]!);
      throw err;
    }
    this.#slot = slot;
    this.#h = h;
    h.setRef(this.#holds > 0);
    const r = h.readStart(READ_MAX - (READ_MAX % this.#recordSize));
    if (r < 0) {
      this.#close();
      throw systemError(r, 'epoll_ctl');
    }
  }

  #close(): void {
    const h = this.#h;
    if (h === null) return;
    this.#droppedBefore += Math.max(0, this.#b.signalDropped(this.#slot));
    // The write end first: a handler writing to a pipe whose read end is
    // closed would raise SIGPIPE.
    this.#b.signalClose(this.#slot);
    h.close();
    this.#slot = -1;
    this.#h = null;
    this.#rest = null;
  }

  #onRead(nread: number, data: Buffer | undefined): void {
    // 0 (end) and errors cannot happen while the write end is open; after
    // close nothing more is read.
    if (nread <= 0 || data === undefined) return;
    let buf = data;
    if (this.#rest !== null) {
      buf = Buffer.concat([this.#rest, data]);
      this.#rest = null;
    }
    const size = this.#recordSize;
    const whole = buf.length - (buf.length % size);
    for (let off = 0; off < whole; off += size) this.#dispatch(buf, off);
    // Writes of one record are atomic, so a partial record should never be
    // read; keep one anyway rather than misalign every record after it.
    if (whole < buf.length) this.#rest = Buffer.from(buf.subarray(whole));
  }

  #dispatch(buf: Buffer, off: number): void {
    const signo = LE ? buf.readInt32LE(off) : buf.readInt32BE(off);
    const set = this.#bySignal.get(signo);
    if (set === undefined) return; // unsubscribed after the signal arrived
    const i32 = (k: number): number => (LE ? buf.readInt32LE(off + 4 * k) : buf.readInt32BE(off + 4 * k));
    const info: SignalInfo = Object.freeze({
      signal: signalName(signo),
      signo,
      code: i32(1),
      pid: i32(2),
      uid: i32(3) >>> 0,
      value: i32(4),
    });
    for (const entry of [...set]) {
      if (!entry.active) continue; // removed by an earlier subscriber in this loop
      try {
        entry.fn(info);
      } catch (err) {
        // As for an EventEmitter listener: an uncaught exception, but the
        // other subscribers and the records after this one still run.
        process.nextTick(() => {
          throw err;
        });
      }
    }
  }
}

const SIGNALS = osConstants.signals as Readonly<Record<string, number>>;

function signalEvent(type: string | symbol): number | undefined {
  return typeof type === 'string' && Object.hasOwn(SIGNALS, type) ? SIGNALS[type] : undefined;
}

/**
 * Keeps ipckit's handler on top when Node listeners come and go (main
 * thread only: a worker's `process.on(sig)` never touches a disposition).
 *
 * Node starts listening for a signal in its own `'newListener'` listener
 * (libuv installs its handler, over ipckit's, without chaining), and stops
 * in its `'removeListener'` listener once the last one is gone (libuv sets
 * the signal to the default, whatever is installed). Both were registered at
 * start-up. So ipckit notes the action just before them (prepended
 * listeners) and looks again just after (appended ones): if it changed,
 * libuv changed it, and ipckit's handler goes back on top, chaining to
 * libuv's, as long as anyone in the process is subscribed. Comparing before
 * and after leaves alone any handler that was already on top, which may be
 * one that calls ipckit's (another copy of ipckit).
 */
function watchNodeListeners(b: NativeBinding): void {
  const before = new Map<number, string | number>();
  const note = (type: string | symbol): void => {
    const signo = signalEvent(type);
    if (signo !== undefined) before.set(signo, b.signalDescribe(signo));
  };
  const check = (type: string | symbol): void => {
    const signo = signalEvent(type);
    if (signo === undefined || !before.has(signo)) return;
    const was = before.get(signo);
    before.delete(signo);
    if (b.signalDescribe(signo) !== was) b.signalRetake(signo);
  };
  const events: NodeJS.EventEmitter = process;
  events.prependListener('newListener', note);
  events.on('newListener', check);
  events.prependListener('removeListener', note);
  events.on('removeListener', check);
}

let hub: SignalHub | undefined;

/** This environment's hub (module state is per environment: each worker has its own). */
export function getHub(): SignalHub {
  hub ??= new SignalHub(native());
  return hub;
}

/** The hub if one was made, without making one. */
export function existingHub(): SignalHub | undefined {
  return hub;
}
