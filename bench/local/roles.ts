// The programs of the local-socket benchmark, one role per invocation.
// Servers print "listening" when ready and run until killed; clients print
// one line of JSON.
//   server <ipckit|net> <path> <accept|echo>
//       accept: answer each connection with one byte, then end it;
//       echo: framed echo (ipckit: codec json; net: u32 length + JSON, by hand)
//   connect-loop <ipckit|net> <path> <count>
//       connect, read the byte, close; `count` times in turn -> {connections, seconds}
//   rr <ipckit|net> <path> <clients> <requests>
//       `clients` connections each sending small JSON requests in turn until
//       `requests` in all -> {requests, seconds, p50, p99} (µs)
//   idle-server <ipckit|net> <path> <n>
//       accepts n connections and reports memory per connection (run with --expose-gc)
//   idle-clients <path> <n>
//       opens n connections and holds them until killed
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { connect, listen, type FramedConnection, type LocalStream } from '../../src/index.js';

const [role, kind, path, a3, a4] = process.argv.slice(2) as [string, string, string, string | undefined, string | undefined];

interface Req {
  id: number;
  seq: number;
  data: string;
}

/** Hand-written framing for the net baseline: u32 little-endian length, then JSON. */
class NetFramed {
  #buf: Buffer = Buffer.alloc(0);
  #waiters: Array<(v: unknown) => void> = [];
  #queue: unknown[] = [];
  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
      while (this.#buf.length >= 4) {
        const len = this.#buf.readUInt32LE(0);
        if (this.#buf.length < 4 + len) break;
        const value = JSON.parse(this.#buf.toString('utf8', 4, 4 + len)) as unknown;
        this.#buf = this.#buf.subarray(4 + len);
        const w = this.#waiters.shift();
        if (w !== undefined) w(value);
        else this.#queue.push(value);
      }
    });
  }
  send(value: unknown): void {
    const body = Buffer.from(JSON.stringify(value));
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(body.length, 0);
    this.socket.write(Buffer.concat([head, body]));
  }
  recv(): Promise<unknown> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift());
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

function print(value: object): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
}

async function netConnect(p: string): Promise<Socket> {
  const s = createConnection(p);
  await once(s, 'connect');
  return s;
}

switch (role) {
  case 'server': {
    const mode = a3!;
    if (kind === 'ipckit') {
      if (mode === 'accept') {
        const l = listen(path);
        l.on('connection', (c: LocalStream) => {
          c.on('error', () => {});
          c.end('k');
          c.resume();
          c.on('end', () => c.destroy());
        });
      } else {
        const l = listen<Req>(path, { codec: 'json' });
        l.on('connection', async (c: FramedConnection<Req>) => {
          c.stream.on('error', () => {});
          for await (const m of c) void c.send(m);
          c.close();
        });
      }
    } else {
      const server = createServer((s: Socket) => {
        s.on('error', () => {});
        if (mode === 'accept') {
          s.end('k');
          s.resume();
          return;
        }
        const f = new NetFramed(s);
        (async () => {
          for (;;) f.send(await f.recv());
        })();
      });
      server.listen(path);
      await once(server, 'listening');
    }
    process.stdout.write('listening\n');
    break;
  }
  case 'connect-loop': {
    const count = Number(a3);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const s: LocalStream | Socket = kind === 'ipckit' ? await connect(path) : await netConnect(path);
      s.resume();
      await once(s, 'end');
      s.destroy();
    }
    print({ connections: count, seconds: (performance.now() - t0) / 1000 });
    break;
  }
  case 'rr': {
    const clients = Number(a3);
    const total = Number(a4);
    const data = 'x'.repeat(64);
    const times: number[] = [];
    let issued = 0;
    const conns = await Promise.all(
      Array.from({ length: clients }, async () => (kind === 'ipckit' ? await connect<Req>(path, { codec: 'json' }) : new NetFramed(await netConnect(path)))),
    );
    const t0 = performance.now();
    await Promise.all(
      conns.map(async (c, id) => {
        for (let seq = 0; issued < total; seq++) {
          issued++;
          const s = performance.now();
          if (c instanceof NetFramed) {
            c.send({ id, seq, data });
            await c.recv();
          } else {
            await (c as FramedConnection<Req>).request({ id, seq, data });
          }
          times.push(performance.now() - s);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    times.sort((x, y) => x - y);
    print({ requests: times.length, seconds, p50: quantile(times, 0.5) * 1000, p99: quantile(times, 0.99) * 1000 });
    for (const c of conns) (c instanceof NetFramed ? c.socket : (c as FramedConnection<Req>).stream).destroy();
    break;
  }
  case 'idle-server': {
    const n = Number(a3);
    const gc = (globalThis as { gc?: () => void }).gc!;
    const held: unknown[] = [];
    gc();
    const before = process.memoryUsage();
    let done: () => void = () => {};
    const all = new Promise<void>((r) => (done = r));
    const take = (c: unknown): void => {
      held.push(c);
      if (held.length === n) done();
    };
    if (kind === 'ipckit') listen(path, { backlog: 4096 }).on('connection', take);
    else createServer({ noDelay: true }, take).listen({ path, backlog: 4096 });
    process.stdout.write('listening\n');
    await all;
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
    const after = process.memoryUsage();
    print({ connections: n, rss: (after.rss - before.rss) / n, heap: (after.heapUsed - before.heapUsed) / n, external: (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / n });
    // The listener and the held connections keep the loop alive; the suite waits for this exit.
    process.exit(0);
  }
  case 'idle-clients': {
    // kind holds the path here: idle-clients <path> <n>
    const n = Number(path);
    const sockets: Socket[] = [];
    for (let i = 0; i < n; i++) {
      const s = await netConnect(kind);
      s.on('error', () => {});
      sockets.push(s);
    }
    process.stdout.write('connected\n');
    break;
  }
  default:
    throw new Error(`unknown role ${role}`);
}
