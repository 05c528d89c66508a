// The Node programs of the pipe benchmark, one role per invocation:
//   ipckit-write <bytes>        PipeWriter on fd 3, 1 MiB writes
//   ipckit-read-stream          PipeReader on fd 3, 'data' events
//   ipckit-read-into            PipeReader on fd 3, readInto() one reused 1 MiB buffer
//   stdout-write <bytes>        process.stdout, 1 MiB writes (the child of spawn-read)
//   spawn-read <cpu> <bytes>    spawn()s `stdout-write` pinned to <cpu>, reads child.stdout
//   net-read <path>             net server on a Unix socket; reads one connection
//   net-write <path> <bytes>    connects, 1 MiB writes
// Readers print {bytes, seconds}, timed from their first byte to the end.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PipeReader, PipeWriter } from '../../src/index.js';

const CHUNK = 1 << 20;
const chunk = Buffer.alloc(CHUNK, 0x61);
const [role, a1, a2] = process.argv.slice(2) as [string, string | undefined, string | undefined];

function report(bytes: number, t0: bigint): void {
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify({ bytes, seconds }) + '\n');
}

async function writeAll(w: NodeJS.WritableStream & { once: Socket['once'] }, total: number): Promise<void> {
  for (let sent = 0; sent < total; sent += CHUNK) {
    if (!w.write(sent + CHUNK <= total ? chunk : chunk.subarray(0, total - sent))) await once(w, 'drain');
  }
}

function countStream(r: NodeJS.ReadableStream, done: (bytes: number, t0: bigint) => void): void {
  let bytes = 0;
  let t0 = 0n;
  r.on('data', (c: Buffer) => {
    if (bytes === 0) t0 = process.hrtime.bigint();
    bytes += c.length;
  });
  r.on('end', () => done(bytes, t0));
}

switch (role) {
  case 'ipckit-write': {
    const w = PipeWriter.fromFd(3);
    await writeAll(w as never, Number(a1));
    w.end();
    break;
  }
  case 'ipckit-read-stream':
    countStream(PipeReader.fromFd(3), report);
    break;
  case 'ipckit-read-into': {
    const r = PipeReader.fromFd(3);
    const buf = Buffer.allocUnsafe(CHUNK);
    let bytes = 0;
    let t0 = 0n;
    for (let n; (n = await r.readInto(buf)) > 0; ) {
      if (bytes === 0) t0 = process.hrtime.bigint();
      bytes += n;
    }
    report(bytes, t0);
    r.close();
    break;
  }
  case 'stdout-write':
    await writeAll(process.stdout as never, Number(a1));
    break;
  case 'spawn-read': {
    const self = fileURLToPath(import.meta.url);
    const child = spawn('taskset', ['-c', a1!, process.execPath, self, 'stdout-write', a2!], { stdio: ['ignore', 'pipe', 'inherit'] });
    countStream(child.stdout, report);
    break;
  }
  case 'net-read': {
    const server = createServer((sock) => {
      countStream(sock, (bytes, t0) => {
        report(bytes, t0);
        server.close();
      });
    });
    server.listen(a1!, () => process.stdout.write('listening\n'));
    break;
  }
  case 'net-write': {
    const sock = createConnection(a1!);
    await once(sock, 'connect');
    await writeAll(sock as never, Number(a2));
    sock.end();
    break;
  }
  default:
    throw new Error(`unknown role ${role}`);
}
