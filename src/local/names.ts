/**
 * Where a local socket lives: the one mapping from a name to an address,
 * per OS. A pure function of its inputs, so that it can be tested for every
 * OS on any OS, and so that a user can ask where a name will be.
 *
 * | name | Linux, macOS, BSDs | Windows |
 * | --- | --- | --- |
 * | `'app'` (a namespaced name) | `$XDG_RUNTIME_DIR/ipckit/app.sock` when `XDG_RUNTIME_DIR` is set (an absolute path), else `<tmpdir>/ipckit-<uid>/app.sock` | `\\.\pipe\ipckit-<user>-app` |
 * | `{ name: 'app', abstract: true }` | Linux: the abstract name `ipckit-<uid>/app`; elsewhere `IPCKIT_UNSUPPORTED_PLATFORM` | same as `'app'` |
 * | `'/run/app.sock'`, `{ path }` (contains a `/`) | that path | - |
 * | `'\\.\pipe\x'` | - | that pipe |
 *
 * A namespaced name is 1 to 100 characters from `A-Z a-z 0-9 . _ -`,
 * starting with a letter or digit. The directory of namespaced names is
 * private to the user (0700, checked on every listen and connect).
 * @module
 */
import { ErrorCode, IpckitError } from '../errors.js';
import { invalidArgument } from '../internal/validate.js';

/** A local socket's name: a namespaced name, a path, or an abstract name (Linux, opt-in). */
export type LocalName = string | { readonly path: string } | { readonly name: string; readonly abstract?: boolean };

/** The facts the mapping depends on (defaults: this process's). */
export interface NameContext {
  readonly platform: NodeJS.Platform;
  /** The environment (only `XDG_RUNTIME_DIR` is read). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The effective uid (Unix). */
  readonly uid: number;
  /** The user name (Windows pipe names). */
  readonly username: string;
  /** `os.tmpdir()`. */
  readonly tmpdir: string;
}

/** Where a name lives. */
export type LocalAddress =
  /** A socket file; `dir` is set for namespaced names (ipckit's private directory). */
  | { readonly kind: 'path'; readonly path: string; readonly dir?: string }
  /** A Linux abstract name (no file). */
  | { readonly kind: 'abstract'; readonly abstract: string }
  /** A Windows named pipe. */
  | { readonly kind: 'pipe'; readonly pipe: string };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const PIPE_PREFIX = '\\\\.\\pipe\\';

function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalidArgument(what, 'a name of 1 to 100 characters from A-Z a-z 0-9 . _ - (starting with a letter or digit), or a path containing "/"', name);
  }
  return name;
}

/** The directory that holds namespaced names (Unix). */
export function localSocketDir(ctx: NameContext): string {
  const xdg = ctx.env.XDG_RUNTIME_DIR;
  if (xdg !== undefined && xdg.startsWith('/')) return `${xdg.replace(/\/+$/, '')}/ipckit`;
  return `${ctx.tmpdir.replace(/\/+$/, '')}/ipckit-${ctx.uid}`;
}

/**
 * Maps a local socket name to where it lives, for the OS in `ctx`. Throws
 * `IPCKIT_INVALID_ARGUMENT` for a malformed name and
 * `IPCKIT_UNSUPPORTED_PLATFORM` for an abstract name off Linux. (Path length
 * is checked when the socket is made.)
 */
export function resolveLocalName(name: LocalName, ctx: NameContext): LocalAddress {
  const windows = ctx.platform === 'win32';
  if (typeof name === 'string') {
    if (windows) {
      if (name.startsWith(PIPE_PREFIX) && name.length > PIPE_PREFIX.length) return { kind: 'pipe', pipe: name };
      return { kind: 'pipe', pipe: `${PIPE_PREFIX}ipckit-${pipeUser(ctx.username)}-${checkName(name, 'name')}` };
    }
    if (name.includes('/')) return { kind: 'path', path: checkPath(name, 'name') };
    const dir = localSocketDir(ctx);
    return { kind: 'path', path: `${dir}/${checkName(name, 'name')}.sock`, dir };
  }
  if (typeof name === 'object' && name !== null) {
    if ('path' in name) {
      if (windows) throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, 'socket file paths do not exist on Windows; use a name (a named pipe)');
      return { kind: 'path', path: checkPath((name as { path: unknown }).path, 'name.path') };
    }
    if ('name' in name) {
      const n = checkName((name as { name: unknown }).name, 'name.name');
      const abstract = (name as { abstract?: unknown }).abstract;
      if (abstract !== undefined && typeof abstract !== 'boolean') throw invalidArgument('name.abstract', 'a boolean', abstract);
      if (windows) return { kind: 'pipe', pipe: `${PIPE_PREFIX}ipckit-${pipeUser(ctx.username)}-${n}` };
      if (abstract === true) {
        if (ctx.platform !== 'linux') throw new IpckitError(ErrorCode.UNSUPPORTED_PLATFORM, 'abstract socket names exist only on Linux; leave abstract unset to use the private directory');
        return { kind: 'abstract', abstract: `ipckit-${ctx.uid}/${n}` };
      }
      const dir = localSocketDir(ctx);
      return { kind: 'path', path: `${dir}/${n}.sock`, dir };
    }
  }
  throw invalidArgument('name', 'a name, a path containing "/", { path }, or { name, abstract }', name);
}

function checkPath(p: unknown, what: string): string {
  if (typeof p !== 'string' || p === '' || p.includes('\0')) throw invalidArgument(what, 'a non-empty path without NUL bytes', p);
  return p;
}

/** Pipe names may hold anything but a backslash; keep user names tame. */
function pipeUser(user: string): string {
  return user.replace(/[^A-Za-z0-9._-]/g, '_') || 'user';
}
