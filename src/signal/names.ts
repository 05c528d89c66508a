/**
 * Signal names and numbers: parsing what users pass (`'SIGUSR1'`,
 * `'SIGRTMIN+3'`, `10`), refusing what cannot work, and naming a number.
 * @internal
 * @module
 */
import { constants as osConstants } from 'node:os';
import { ErrorCode, IpckitError } from '../errors.js';
import { invalidArgument } from '../internal/validate.js';
import { native } from '../native.js';

/**
 * A signal's name: one of Node's (`'SIGTERM'`, `'SIGUSR1'`, ...), or on
 * Linux a realtime signal counted from either end of the range
 * (`'SIGRTMIN'`, `'SIGRTMIN+3'`, `'SIGRTMAX-2'`, `'SIGRTMAX'`).
 */
export type SignalName = NodeJS.Signals | 'SIGRTMIN' | `SIGRTMIN+${number}` | 'SIGRTMAX' | `SIGRTMAX-${number}`;

/** A signal by name or by number. */
export type SignalSpec = SignalName | number;

const standard = osConstants.signals as Readonly<Record<string, number>>;
const numberToName = new Map<number, string>();
for (const [name, n] of Object.entries(standard)) if (!numberToName.has(n)) numberToName.set(n, name); // SIGABRT before SIGIOT, SIGIO before SIGPOLL

interface Range {
  readonly rtmin: number;
  readonly rtmax: number;
  readonly max: number;
}
let range: Range | undefined;

/** The realtime range as the C library sees it at run time (none off Linux). */
function getRange(): Range {
  if (range !== undefined) return range;
  if (process.platform === 'win32') return (range = { rtmin: 0, rtmax: 0, max: 31 });
  const b = native();
  const rtmin = b.SIGRTMIN ?? 0;
  const rtmax = b.SIGRTMAX ?? 0;
  return (range = { rtmin, rtmax, max: b.SIGNAL_MAX ?? (rtmax > 0 ? rtmax : 31) });
}

function unknown(value: string, name: string): IpckitError {
  const { rtmin, rtmax } = getRange();
  const rt = rtmin > 0 ? `, 'SIGRTMIN+n' (up to +${rtmax - rtmin}), 'SIGRTMAX-n'` : '';
  return new IpckitError(
    ErrorCode.INVALID_ARGUMENT,
    `The "${name}" argument must be a signal name such as 'SIGUSR1'${rt} or a signal number. Received unknown signal '${value.length > 40 ? `${value.slice(0, 37)}...` : value}'`,
  );
}

function parse(value: unknown, name: string, allowZero: boolean): number {
  const { rtmin, rtmax, max } = getRange();
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > max) {
      throw invalidArgument(name, `a signal number from ${allowZero ? 0 : 1} to ${max}`, value);
    }
    return value;
  }
  if (typeof value !== 'string') throw invalidArgument(name, 'a signal name or number', value);
  if (Object.hasOwn(standard, value)) return standard[value]!;
  if (rtmin > 0) {
    const m = /^SIGRT(MIN|MAX)(?:([+-])(\d{1,3}))?$/.exec(value);
    if (m !== null && (m[2] === undefined || m[2] === (m[1] === 'MIN' ? '+' : '-'))) {
      const offset = m[3] === undefined ? 0 : Number(m[3]);
      const n = m[1] === 'MIN' ? rtmin + offset : rtmax - offset;
      if (n >= rtmin && n <= rtmax) return n;
      throw new IpckitError(
        ErrorCode.INVALID_ARGUMENT,
        `The "${name}" argument '${value}' is outside the realtime range SIGRTMIN (${rtmin}) to SIGRTMAX (${rtmax})`,
      );
    }
  }
  throw unknown(value, name);
}

function refuseReserved(n: number, name: string): void {
  const { rtmin } = getRange();
  if (rtmin > 0 && n > 31 && n < rtmin) {
    throw new IpckitError(
      ErrorCode.INVALID_ARGUMENT,
      `The "${name}" argument is signal ${n}, which the C library reserves for its threads (signals 32 to ${rtmin - 1}); use SIGRTMIN (${rtmin}) or above`,
    );
  }
}

/** A signal that may be sent: a name or a number, 0 included (checks that the target exists). */
export function sendableSignal(value: unknown, name = 'signal'): number {
  const n = parse(value, name, true);
  refuseReserved(n, name);
  return n;
}

/** A signal ipckit can subscribe to; refuses the uncatchable and the synchronous faults with the reason. */
export function catchableSignal(value: unknown, name = 'signal'): number {
  const n = parse(value, name, false);
  refuseReserved(n, name);
  const s = standard;
  if (n === s.SIGKILL || n === s.SIGSTOP) {
    throw new IpckitError(
      ErrorCode.INVALID_ARGUMENT,
      `${signalName(n)} cannot be caught or ignored: the kernel acts on it without asking the process`,
    );
  }
  if (n === s.SIGSEGV || n === s.SIGBUS || n === s.SIGFPE || n === s.SIGILL) {
    throw new IpckitError(
      ErrorCode.INVALID_ARGUMENT,
      `${signalName(n)} cannot be subscribed to: it reports a fault in the instruction that raised it, which must be handled at once in the faulting thread; a handler that only writes to a pipe would return to the same fault forever`,
    );
  }
  return n;
}

/** A list of catchable signals (one signal or an array), deduplicated, in order. */
export function catchableList(value: unknown, name = 'signal'): number[] {
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  if (items.length === 0) throw invalidArgument(name, 'a signal or a non-empty array of signals', value);
  const out: number[] = [];
  items.forEach((item, i) => {
    const n = catchableSignal(item, Array.isArray(value) ? `${name}[${i}]` : name);
    if (!out.includes(n)) out.push(n);
  });
  return out;
}

/**
 * The number of a signal given by name or number. Throws
 * `IPCKIT_INVALID_ARGUMENT` for unknown names and numbers out of range.
 *
 * ```ts
 * signalNumber('SIGTERM'); // 15
 * signalNumber('SIGRTMIN+1'); // 35 on Linux with glibc
 * ```
 */
export function signalNumber(signal: SignalSpec): number {
  return parse(signal, 'signal', true);
}

/**
 * The name of a signal number: Node's name for the classic ones
 * (`'SIGABRT'` rather than its alias `'SIGIOT'`), and for realtime signals
 * the form `kill -l` prints (`'SIGRTMIN+3'` in the lower half of the range,
 * `'SIGRTMAX-2'` in the upper half).
 */
export function signalName(signo: number): SignalName {
  const known = numberToName.get(signo);
  if (known !== undefined) return known as SignalName;
  const { rtmin, rtmax } = getRange();
  if (rtmin > 0 && signo >= rtmin && signo <= rtmax) {
    if (signo === rtmin) return 'SIGRTMIN';
    if (signo === rtmax) return 'SIGRTMAX';
    return signo - rtmin <= (rtmax - rtmin) / 2 ? `SIGRTMIN+${signo - rtmin}` : `SIGRTMAX-${rtmax - signo}`;
  }
  if (Number.isInteger(signo) && signo >= 0 && signo <= getRange().max) return `SIG${signo}` as SignalName;
  throw invalidArgument('signo', `a signal number from 0 to ${getRange().max}`, signo);
}
