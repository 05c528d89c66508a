/**
 * ipckit: local inter-process communication for Node.js.
 *
 * This module only re-exports; each primitive documents itself:
 * - pipes: `pipe()`, `PipeReader`, `PipeWriter`, `spawn()` (src/pipe)
 * - channels: `channel()`, `Sender`, `Receiver`, `duplexChannel()` (src/channel)
 * - signals: `onSignal()`, `signals()`, `onceSignal()`, `sendSignal()`,
 *   `openPidfd()`, `gracefulShutdown()` (src/signal)
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
  type SpawnWithChannelsOptions,
  type WriteSyncOptions,
} from './pipe/index.js';
export {
  channel,
  CHANNELS_ENV,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_MAX_MESSAGE_SIZE,
  duplexChannel,
  DuplexEnd,
  duplexFromParent,
  isChannelEnd,
  MAX_MESSAGE_SIZE_CAP,
  Receiver,
  receiverFromParent,
  Sender,
  senderFromParent,
  type ChannelOptions,
  type Codec,
  type CodecName,
  type InferOutput,
  type PipeChannelOptions,
  type RecvManyOptions,
  type RecvOptions,
  type SenderCloseOptions,
  type SendSyncOptions,
  type StandardSchemaV1,
  type ValidateOption,
  type ValidationError,
  type Validator,
} from './channel/index.js';
export {
  droppedSignalCount,
  gracefulShutdown,
  onceSignal,
  onSignal,
  openPidfd,
  Pidfd,
  sendSignal,
  ShutdownController,
  SignalIterator,
  signalName,
  signalNumber,
  signals,
  SignalSubscription,
  type GracefulShutdownOptions,
  type OnceSignalOptions,
  type ProcessGroupTarget,
  type ShutdownResource,
  type SignalInfo,
  type SignalName,
  type SignalsOptions,
  type SignalSpec,
  type WaitExitOptions,
} from './signal/index.js';
