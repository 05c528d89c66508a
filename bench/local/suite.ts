// Local-socket benchmarks, each against a plain Node `net` server on a Unix
// socket doing the same work, server and clients in two processes:
// - connections per second: connect, read one byte, close, in turn;
// - framed request/response with 1, 10, 100 and 1,000 clients (small JSON
//   messages; ipckit's framing against a hand-written u32-length framing
//   over `net`): requests per second and p50/p99 latency;
// - memory per idle connection in the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collect, fmt, median, parseJson, pinned, placements, type Placement, type Suite } from '../util.js';

const roles = fileURLToPath(new URL('./roles.js', import.meta.url));
const node = process.execPath;
type Kind = 'ipckit' | 'net';
const KINDS: Kind[] = ['ipckit', 'net'];

async function startServer(cpu: string | undefined, args: string[], extraNodeArgs: string[] = []): Promise<ChildProcess> {
  const server = spawn(...pinned(cpu, node, [...extraNodeArgs, roles, ...args]), { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  server.stdout!.on('data', (c) => (out += String(c)));
  while (!out.includes('listening')) await once(server.stdout!, 'data');
  return server;
}

async function stop(server: ChildProcess): Promise<void> {
  const closed = once(server, 'close');
  server.kill();
  await closed;
}

async function withDir<T>(fn: (path: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'ipckit-bench-'));
  try {
    return await fn(join(dir, 's'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function connectionsPerSecond(kind: Kind, p: Placement, count: number): Promise<number> {
  return withDir(async (path) => {
    const server = await startServer(p.a, ['server', kind, path, 'accept']);
    try {
      const m = parseJson<{ connections: number; seconds: number }>(await collect(spawn(...pinned(p.b, node, [roles, 'connect-loop', kind, path, String(count)]), { stdio: ['ignore', 'pipe', 'inherit'] })));
      return m.connections / m.seconds;
    } finally {
      await stop(server);
    }
  });
}

interface RR {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
}

function requestResponse(kind: Kind, p: Placement, clients: number, requests: number): Promise<RR> {
  return withDir(async (path) => {
    const server = await startServer(p.a, ['server', kind, path, 'echo']);
    try {
      return parseJson<RR>(await collect(spawn(...pinned(p.b, node, [roles, 'rr', kind, path, String(clients), String(requests)]), { stdio: ['ignore', 'pipe', 'inherit'] })));
    } finally {
      await stop(server);
    }
  });
}

interface Mem {
  rss: number;
  heap: number;
  external: number;
}

function idleMemory(kind: Kind, n: number): Promise<Mem> {
  return withDir(async (path) => {
    const server = spawn(node, ['--expose-gc', roles, 'idle-server', kind, path, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    server.stdout!.on('data', (c) => (out += String(c)));
    while (!out.includes('listening')) await once(server.stdout!, 'data');
    const clients = spawn(node, [roles, 'idle-clients', path, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [code] = (await once(server, 'close')) as [number];
    clients.kill();
    await once(clients, 'close');
    if (code !== 0) throw new Error(`idle-server exited with ${code}`);
    return parseJson<Mem>(out);
  });
}

const CLIENTS = [1, 10, 100, 1000];

export const localSuite: Suite = {
  name: 'local',
  title: 'Local sockets',
  async run({ reps, quick }) {
    const connCount = quick ? 2000 : 10_000;
    const requestsFor = (clients: number): number => (quick ? 20_000 : 100_000) * (clients >= 100 ? 2 : 1);
    const idleN = quick ? 500 : 2000;
    const conn = new Map<string, number[]>();
    const rr = new Map<string, RR[]>();
    const mem = new Map<Kind, Mem[]>();
    const push = <V>(m: Map<string, V[]>, k: string, v: V): void => void m.set(k, [...(m.get(k) ?? []), v]);
    for (let rep = 0; rep < reps; rep++) {
      for (const p of placements) {
        for (const kind of KINDS) {
          const r = await connectionsPerSecond(kind, p, connCount);
          push(conn, `${p.name}|${kind}`, r);
          process.stderr.write(`  local ${p.name} ${kind} connections: ${fmt(r / 1000, 1)} k/s\n`);
        }
        for (const clients of CLIENTS) {
          for (const kind of KINDS) {
            const r = await requestResponse(kind, p, clients, requestsFor(clients));
            push(rr, `${p.name}|${clients}|${kind}`, r);
            process.stderr.write(`  local ${p.name} ${kind} ${clients} clients: ${fmt(r.requests / r.seconds / 1000, 1)} k req/s, p50 ${fmt(r.p50, 0)} µs, p99 ${fmt(r.p99, 0)} µs\n`);
          }
        }
      }
      for (const kind of KINDS) {
        const m = await idleMemory(kind, idleN);
        mem.set(kind, [...(mem.get(kind) ?? []), m]);
        process.stderr.write(`  local idle ${kind}: ${fmt(m.rss / 1024, 1)} KiB RSS per connection\n`);
      }
    }
    let md =
      `Server and clients in two processes over a Unix socket. "net" is a plain Node \`net\` server doing the same work (for request/response, a hand-written u32-length + JSON framing, one write per message). ` +
      `Connections: ${connCount.toLocaleString('en')} in turn, each connect + read one byte + close. Request/response: small JSON messages (about 100 bytes), each client sending its next request when the answer arrived. ` +
      `Median of ${reps} runs; all rows ran interleaved.\n`;
    for (const p of placements) {
      md += `\n**${p.name}** (${p.a === p.b ? `both on CPU ${p.a}` : `server on CPU ${p.a}, clients on CPU ${p.b}`})\n\n`;
      const ci = median(conn.get(`${p.name}|ipckit`)!);
      const cn = median(conn.get(`${p.name}|net`)!);
      md += `Connections per second: ipckit ${fmt(ci / 1000, 1)} k/s, net ${fmt(cn / 1000, 1)} k/s: **${fmt(ci / cn)}x**.\n\n`;
      md += '| clients | ipckit req/s | net req/s | ratio | ipckit p50 / p99 µs | net p50 / p99 µs |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n';
      for (const clients of CLIENTS) {
        const get = (kind: Kind): { rate: number; p50: number; p99: number } => {
          const xs = rr.get(`${p.name}|${clients}|${kind}`)!;
          return { rate: median(xs.map((x) => x.requests / x.seconds)), p50: median(xs.map((x) => x.p50)), p99: median(xs.map((x) => x.p99)) };
        };
        const i = get('ipckit');
        const n = get('net');
        md += `| ${clients} | ${fmt(i.rate / 1000, 1)} k | ${fmt(n.rate / 1000, 1)} k | ${fmt(i.rate / n.rate)}x | ${fmt(i.p50, 0)} / ${fmt(i.p99, 0)} | ${fmt(n.p50, 0)} / ${fmt(n.p99, 0)} |\n`;
      }
    }
    const mi = mem.get('ipckit')!;
    const mn = mem.get('net')!;
    const kib = (xs: Mem[], f: (m: Mem) => number): string => fmt(median(xs.map(f)) / 1024, 1);
    md += `\nMemory per idle connection in the server (${idleN.toLocaleString('en')} connections, after GC; KiB): ipckit RSS ${kib(mi, (m) => m.rss)}, JS heap ${kib(mi, (m) => m.heap)}, buffers ${kib(mi, (m) => m.external)}; net RSS ${kib(mn, (m) => m.rss)}, JS heap ${kib(mn, (m) => m.heap)}, buffers ${kib(mn, (m) => m.external)}.\n`;
    return { markdown: md };
  },
};
