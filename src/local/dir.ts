/**
 * Safety checks on where a local socket lives, done with `lstat` (never
 * following a symlink) before anything is created, connected or removed.
 * @module
 * @internal
 */
import { lstatSync, mkdirSync, type Stats } from 'node:fs';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import { ErrorCode, IpckitError, systemError } from '../errors.js';
import { EAGAIN } from '../internal/handle.js';
import { native } from '../native.js';

const ENOENT = -constants.errno.ENOENT;

function insecure(message: string): IpckitError {
  return new IpckitError(ErrorCode.INSECURE_PATH, message);
}

function euid(): number {
  return process.geteuid?.() ?? 0;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * The private directory of namespaced names: created 0700 if missing, and
 * in any case required to be a real directory (not a symlink) owned by this
 * user with no access for anyone else.
 */
export function ensurePrivateDir(dir: string, create: boolean): void {
  let st = lstatOrNull(dir);
  if (st === null) {
    if (!create) throw systemError(ENOENT, 'connect', dir); // nobody listens under this name
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    st = lstatSync(dir);
  }
  if (st.isSymbolicLink()) throw insecure(`${dir} is a symlink; ipckit's socket directory must be a real directory`);
  if (!st.isDirectory()) throw insecure(`${dir} is not a directory`);
  if (st.uid !== euid()) throw insecure(`${dir} belongs to uid ${st.uid}, not to this user (${euid()}); someone may be waiting for our connections. Remove it, or set XDG_RUNTIME_DIR`);
  if ((st.mode & 0o077) !== 0) throw insecure(`${dir} has mode ${(st.mode & 0o777).toString(8)}; ipckit's socket directory must be private (0700). Run: chmod 700 ${dir}`);
}

/**
 * The directory of an explicit socket path: a real directory owned by this
 * user or root, and if others may write into it, with the sticky bit (as
 * /tmp) so that nobody else can remove or replace our socket file.
 */
export function checkSocketDir(path: string): void {
  const dir = dirname(path);
  const st = lstatOrNull(dir);
  if (st === null) throw systemError(ENOENT, 'bind', dir);
  if (st.isSymbolicLink()) throw insecure(`the socket directory ${dir} is a symlink; give the real path`);
  if (!st.isDirectory()) throw insecure(`${dir} is not a directory`);
  if (st.uid !== euid() && st.uid !== 0) throw insecure(`the socket directory ${dir} belongs to uid ${st.uid}, who could replace the socket file`);
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
    throw insecure(`the socket directory ${dir} is writable by others without the sticky bit (mode ${(st.mode & 0o7777).toString(8)}): anyone could replace the socket file`);
  }
}

/** What is at a socket path now: nothing, or its lstat. */
export function statPath(path: string): Stats | null {
  return lstatOrNull(path);
}

/**
 * Takes the directory's lock (flock on the directory itself), so that
 * reclaiming a stale socket file, binding and listening happen as one step
 * among ipckit processes: two listeners can never both think a path stale
 * and displace each other. Waits up to about a second for another process's
 * step to finish (they take microseconds), then gives up with `IPCKIT_BUSY`.
 */
export function lockDir(dir: string): () => void {
  const b = native();
  let delay = 1;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; ; waited += delay) {
    const fd = b.udsLockDir(dir);
    if (fd >= 0) return () => void b.closeFd(fd);
    if (fd !== EAGAIN) throw systemError(fd, 'flock', dir);
    if (waited > 1000) throw new IpckitError(ErrorCode.BUSY, `another process has held the lock of ${dir} for over a second`);
    Atomics.wait(sleeper, 0, 0, delay);
    delay = Math.min(20, delay * 2);
  }
}
