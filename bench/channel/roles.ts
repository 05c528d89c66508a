// The Node programs of the channel benchmark, one role per invocation
// (readers and pingers print JSON; throughput is timed from the first
// message received to the last, latency over the timed round trips):
//   send <count> <codec> <api>        Sender on fd 3; api 'await' (await send) or 'try' (trySend/ready)
//   recv <count> <codec> <api>        Receiver on fd 3; api 'iter' (for await), 'many' (recvMany)
//   fork-parent <count> <serialization> <cpu>   fork()s fork-child pinned to <cpu>, counts 'message' events
//   fork-child <count>                process.send() in a loop, waiting when send() returns false
//   ceiling <count> <codec>           the codec alone in one thread: encode, to bytes, decode
//   echo <mode> [codec]               DuplexEnd on fds 3 (in) and 4 (out): answers each message
//   ping <count> <mode> [codec]       round trips over fds 3/4; mode 'async' or 'sync'; codec
//                                     'json' (the small object) or 'bytes' (37 bytes, as C)
//   net-echo <path> / net-ping <path> <count>   the same over `net` (u32 length + JSON)
import { fork } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { DuplexEnd, Receiver, Sender, type CodecName } from '../../src/index.js';

const [role, a1, a2, a3] = process.argv.slice(2) as [string, string?, string?, string?];
const small = { id: 0, name: 'x', vals: [1, 2, 3] };
const bytes64 = new Uint8Array(64).fill(0x61);
const WARMUP = 2000;

function out(o: object): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}

function valueFor(codec: string, i: number): unknown {
  if (codec === 'bytes') return bytes64;
  small.id = i;
  return small;
}

/** Length-prefixed JSON over a net socket: calls onMessage for each. */
function netFrames(sock: Socket, onMessage: (v: unknown) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  sock.on('data', (c: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, c]) : c;
    while (buf.length >= 4) {
      const n = buf.readUInt32LE(0);
      if (buf.length < 4 + n) break;
      onMessage(JSON.parse(buf.toString('utf8', 4, 4 + n)));
      buf = buf.subarray(4 + n);
    }
  });
}

function netSend(sock: Socket, v: unknown): void {
  const body = Buffer.from(JSON.stringify(v));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  sock.write(Buffer.concat([head, body]));
}

switch (role) {
  case 'send': {
    const [count, codec, api] = [Number(a1), a2!, a3!];
    const tx = Sender.fromFd<unknown>(3, { codec: codec as CodecName });
    if (api === 'try') {
      for (let i = 0; i < count; i++) {
        const v = valueFor(codec, i);
        while (!tx.trySend(v)) await tx.ready();
      }
    } else {
      for (let i = 0; i < count; i++) await tx.send(valueFor(codec, i));
    }
    await tx.close();
    break;
  }
  case 'recv': {
    const [count, codec, api] = [Number(a1), a2!, a3!];
    const rx = Receiver.fromFd<unknown>(3, { codec: codec as CodecName });
    let n = 0;
    let t0 = 0;
    if (api === 'iter') {
      for await (const _ of rx) if (n++ === 0) t0 = performance.now();
    } else {
      while (n < count) {
        const batch = await rx.recvMany();
        if (n === 0) t0 = performance.now();
        n += batch.length;
      }
    }
    out({ messages: n - 1, seconds: (performance.now() - t0) / 1000 });
    rx.close();
    break;
  }
  case 'fork-parent': {
    const [count, serialization, cpu] = [Number(a1), a2 as 'json' | 'advanced', a3!];
    const child = fork(fileURLToPath(import.meta.url), ['fork-child', String(count)], { serialization, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    execFileSync('taskset', ['-pc', cpu, String(child.pid)], { stdio: 'ignore' });
    let n = 0;
    let t0 = 0;
    child.on('message', () => {
      if (n++ === 0) t0 = performance.now();
      if (n === count) {
        out({ messages: n - 1, seconds: (performance.now() - t0) / 1000 });
        child.kill();
      }
    });
    break;
  }
  case 'fork-child': {
    const count = Number(a1);
    for (let i = 0; i < count; i++) {
      small.id = i;
      if (!process.send!(small)) await new Promise<void>((r) => process.send!(small, undefined, undefined, () => r()));
    }
    break;
  }
  case 'ceiling': {
    const [count, codec] = [Number(a1), a2!];
    let sink: unknown;
    const once = (i: number): void => {
      small.id = i;
      sink = codec === 'structured' ? deserialize(serialize(small)) : JSON.parse(Buffer.from(JSON.stringify(small)).toString());
    };
    for (let i = 0; i < WARMUP; i++) once(i);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) once(i);
    out({ messages: count, seconds: (performance.now() - t0) / 1000, sink: typeof sink });
    break;
  }
  case 'echo': {
    const end = DuplexEnd.fromFds<unknown, unknown>([3, 4], { codec: (a2 ?? 'json') as CodecName });
    if (a1 === 'sync') {
      for (;;) {
        let v: unknown;
        try {
          v = end.recvSync();
        } catch {
          break;
        }
        end.sendSync(v);
      }
    } else {
      for await (const v of end) await end.send(v);
    }
    await end.close();
    break;
  }
  case 'ping': {
    const [count, mode, codec] = [Number(a1), a2!, (a3 ?? 'json') as CodecName];
    const end = DuplexEnd.fromFds<unknown, unknown>([3, 4], { codec });
    const sync = mode === 'sync';
    const msg = codec === 'bytes' ? bytes64.subarray(0, 37) : small;
    const trip = async (): Promise<void> => {
      if (sync) {
        end.sendSync(msg);
        end.recvSync();
      } else {
        await end.request(msg);
      }
    };
    for (let i = 0; i < WARMUP; i++) await trip();
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await trip();
    out({ roundTrips: count, seconds: (performance.now() - t0) / 1000 });
    await end.close();
    break;
  }
  case 'net-echo': {
    const server = createServer((sock) => {
      netFrames(sock, (v) => netSend(sock, v));
      sock.on('end', () => {
        sock.end();
        server.close();
      });
    });
    server.listen(a1!, () => process.stdout.write('listening\n'));
    break;
  }
  case 'net-ping': {
    const count = Number(a2);
    const sock = createConnection(a1!);
    await once(sock, 'connect');
    let resolve: (() => void) | undefined;
    netFrames(sock, () => resolve!());
    const trip = (): Promise<void> =>
      new Promise<void>((r) => {
        resolve = r;
        netSend(sock, small);
      });
    for (let i = 0; i < WARMUP; i++) await trip();
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await trip();
    out({ roundTrips: count, seconds: (performance.now() - t0) / 1000 });
    sock.end();
    break;
  }
  default:
    throw new Error(`unknown role ${role}`);
}
