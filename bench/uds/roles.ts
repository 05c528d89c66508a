// The Node programs of the Unix socket benchmark, one role per invocation,
// each on the socket it inherited as fd 3:
//   stream-write <bytes>               UnixStream, 1 MiB writes
//   stream-read                        UnixStream, 'data' events; prints {bytes, seconds}
//   stream-read-into                   UnixStream.readInto() one reused 1 MiB buffer; same output
//   msg-send <dgram|seq> <count> <size> one send() per message, awaiting every 256th
//   msg-recv <dgram|seq> <count>       for await over the socket; prints {messages, seconds}
//   fds-send <count>                   UnixStream.sendFds([0], 'x') per fd, awaiting every 256th
//   fds-recv <count>                   'fds' events, closing each fd; prints {messages, seconds}
// Receivers time themselves from the first byte or message to the last.
import { once } from 'node:events';
import { SeqpacketSocket, UnixDatagramSocket, UnixStream, type ReceivedFd } from '../../src/index.js';

const CHUNK = 1 << 20;
const [role, a1, a2, a3] = process.argv.slice(2) as [string, string | undefined, string | undefined, string | undefined];

function report(what: 'bytes' | 'messages', n: number, t0: bigint): void {
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify({ [what]: n, seconds }) + '\n');
}

const messageSocket = (kind: string | undefined): UnixDatagramSocket | SeqpacketSocket =>
  kind === 'dgram' ? UnixDatagramSocket.fromFd(3, { highWaterMark: 4096 }) : SeqpacketSocket.fromFd(3, { highWaterMark: 4096 });

switch (role) {
  case 'stream-write': {
    const s = UnixStream.fromFd(3, { writableHighWaterMark: CHUNK });
    const chunk = Buffer.alloc(CHUNK, 0x61);
    const total = Number(a1);
    for (let sent = 0; sent < total; sent += CHUNK) {
      if (!s.write(sent + CHUNK <= total ? chunk : chunk.subarray(0, total - sent))) await once(s, 'drain');
    }
    s.end();
    await once(s, 'finish');
    s.destroy();
    break;
  }
  case 'stream-read': {
    const s = UnixStream.fromFd(3);
    let bytes = 0;
    let t0 = 0n;
    s.on('data', (c: Buffer) => {
      if (bytes === 0) t0 = process.hrtime.bigint();
      bytes += c.length;
    });
    s.on('end', () => {
      report('bytes', bytes, t0);
      s.destroy();
    });
    break;
  }
  case 'stream-read-into': {
    const s = UnixStream.fromFd(3);
    const buf = Buffer.allocUnsafe(CHUNK);
    let bytes = 0;
    let t0 = 0n;
    for (let n; (n = await s.readInto(buf)) > 0; ) {
      if (bytes === 0) t0 = process.hrtime.bigint();
      bytes += n;
    }
    report('bytes', bytes, t0);
    s.destroy();
    break;
  }
  case 'msg-send': {
    const s = messageSocket(a1);
    const count = Number(a2);
    const buf = Buffer.alloc(Number(a3), 0x62);
    let last: Promise<void> = Promise.resolve();
    for (let i = 0; i < count; i++) {
      last = s.send(buf);
      if ((i & 255) === 255) await last;
    }
    await last;
    s.close();
    break;
  }
  case 'msg-recv': {
    const s = messageSocket(a1);
    const count = Number(a2);
    let n = 0;
    let t0 = 0n;
    for await (const _ of s) {
      if (n === 0) t0 = process.hrtime.bigint();
      if (++n === count) break;
    }
    report('messages', n, t0);
    s.close();
    break;
  }
  case 'fds-send': {
    const s = UnixStream.fromFd(3);
    const count = Number(a1);
    let last: Promise<void> = Promise.resolve();
    for (let i = 0; i < count; i++) {
      last = s.sendFds([0], 'x');
      if ((i & 255) === 255) await last;
    }
    await last;
    s.end();
    await once(s, 'finish');
    s.destroy();
    break;
  }
  case 'fds-recv': {
    const s = UnixStream.fromFd(3);
    const count = Number(a1);
    let n = 0;
    let t0 = 0n;
    s.on('fds', (fds: ReceivedFd[]) => {
      if (n === 0) t0 = process.hrtime.bigint();
      for (const f of fds) f.close();
      n += fds.length;
      if (n === count) {
        report('messages', n, t0);
        s.destroy();
      }
    });
    s.on('data', () => {});
    break;
  }
  default:
    throw new Error(`unknown role ${role}`);
}
