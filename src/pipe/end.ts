/**
 * What both pipe ends share: adopting an fd, duplicating it, reading and
 * setting the pipe's capacity.
 * @internal
 * @module
 */
import { constants as fsConstants } from 'node:fs';
import { ErrorCode, IpckitError, systemError } from '../errors.js';
import type { FdHandle } from '../internal/handle.js';
import { validateFd, validateInteger } from '../internal/validate.js';
import type { NativeBinding } from '../native.js';

/** Linux caps unprivileged pipes at /proc/sys/fs/pipe-max-size, 1 MiB by default. */
export const DEFAULT_PIPE_CAPACITY = 1024 * 1024;

/**
 * Set while ipckit wraps an fd it has just created close-on-exec itself
 * (pipe2, dup with F_DUPFD_CLOEXEC): such fds need no adoption checks. Only
 * ever true for the duration of one synchronous constructor call.
 */
let ownFd = false;

/** Wraps an fd ipckit created itself, skipping the adoption checks. */
export function fromOwnFd<T>(make: () => T): T {
  ownFd = true;
  try {
    return make();
  } finally {
    ownFd = false;
  }
}

/**
 * Checks that `fd` is open with the needed access and makes it close-on-exec
 * (ipckit owns it from now on, and its children must not inherit it by
 * accident). Throws without taking ownership if the fd is unsuitable.
 */
export function adoptFd(b: NativeBinding, value: unknown, access: 'read' | 'write', what: string): number {
  const fd = validateFd(value);
  if (ownFd) {
    ownFd = false; // an end built inside this one (none today) would be checked
    return fd;
  }
  const flags = b.statusFlags(fd);
  if (flags < 0) throw systemError(flags, 'fcntl');
  const mode = flags & 3; // O_ACCMODE on Linux and the BSDs
  const ok = mode === fsConstants.O_RDWR || mode === (access === 'read' ? fsConstants.O_RDONLY : fsConstants.O_WRONLY);
  if (!ok) {
    throw new IpckitError(
      ErrorCode.INVALID_ARGUMENT,
      `${what}.fromFd(${fd}): fd ${fd} is not open for ${access === 'read' ? 'reading' : 'writing'}`,
    );
  }
  const r = b.setCloexec(fd, true);
  if (r < 0) throw systemError(r, 'fcntl');
  return fd;
}

/** dup(2) the handle's fd, close-on-exec, never onto 0-2. */
export function dupFd(h: FdHandle): number {
  h.native('tryClone');
  const fd = h.binding.dupCloexec(h.fd, 3);
  if (fd < 0) throw systemError(fd, 'fcntl');
  return fd;
}

function requireLinux(what: string, method: string): void {
  if (process.platform !== 'linux') {
    throw new IpckitError(
      ErrorCode.UNSUPPORTED_PLATFORM,
      `${what}.${method}(): pipe capacity can only be read and set on Linux`,
    );
  }
}

export function getCapacity(h: FdHandle): number {
  h.native('getCapacity');
  requireLinux(h.what, 'getCapacity');
  const r = h.binding.pipeCapacity(h.fd);
  if (r < 0) throw systemError(r, 'fcntl');
  return r;
}

export function setCapacity(h: FdHandle, bytes: unknown): number {
  h.native('setCapacity');
  const n = validateInteger(bytes, 'bytes', 1, 0x7fffffff);
  requireLinux(h.what, 'setCapacity');
  const r = h.binding.setPipeCapacity(h.fd, n);
  if (r < 0) throw systemError(r, 'fcntl');
  return r;
}
