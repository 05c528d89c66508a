/**
 * ipckit: local inter-process communication for Node.js.
 *
 * This module only re-exports; each primitive documents itself:
 * - pipes: `pipe()`, `PipeReader`, `PipeWriter`, `spawn()` (src/pipe)
 * - channels: `channel()`, `Sender`, `Receiver`, `duplexChannel()` (src/channel)
 * - FIFOs: `createFifo()`, `openFifo()` (src/fifo)
 * - Unix domain sockets: `listenUnix()`, `connectUnix()`, `socketPair()`, ... (src/uds)
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
  type SpawnStdio,
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
export { createFifo, openFifo, type CreateFifoOptions, type OpenFifoOptions } from './fifo/index.js';
export {
  addressInfo,
  connectSeqpacket,
  connectUnix,
  createDatagramSocket,
  DEFAULT_MAX_FDS,
  listenSeqpacket,
  listenUnix,
  MAX_FDS_CAP,
  ReceivedFd,
  SeqpacketSocket,
  socketPair,
  UnixDatagramSocket,
  UnixServer,
  UnixStream,
  type ConnectOptions,
  type DatagramOptions,
  type FdKind,
  type FdLike,
  type MessageSocketOptions,
  type PeerCredentials,
  type ReceiveManyOptions,
  type ReceiveOptions,
  type SendOptions,
  type UnixAddress,
  type UnixAddressInfo,
  type UnixMessage,
  type UnixServerOptions,
  type UnixStreamOptions,
} from './uds/index.js';
