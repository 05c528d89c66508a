/**
 * ipckit: local inter-process communication for Node.js.
 *
 * This module only re-exports; each primitive documents itself:
 * - pipes: `pipe()`, `PipeReader`, `PipeWriter`, `spawn()` (src/pipe)
 *
 * @module
 */
export {
  ErrorCode,
  IpckitError,
  isSystemError,
  type SystemError,
} from './errors.js';
export {
  DEFAULT_PIPE_CAPACITY,
  dupStderr,
  dupStdin,
  dupStdout,
  pipe,
  PipeReader,
  PipeWriter,
  spawn,
  type Pipe,
  type PipeOptions,
  type PipeReaderOptions,
  type PipeWriterOptions,
  type ReadSyncOptions,
  type WriteSyncOptions,
} from './pipe/index.js';
