// Unix socket benchmarks (issue targets in parentheses), each between two
// processes over a socket pair they inherited as fd 3:
// - stream throughput, 1 MiB writes: ipckit UnixStream against C through
//   the same kind of socket and against Node's `net` over a Unix socket
//   (>= 0.8x C, >= 1.0x net);
// - 64-byte datagram and seqpacket messages per second against C sending
//   and receiving one message per call;
// - fds passed per second (one fd with one byte per sendmsg) against C.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { socketPair, spawn } from '../../src/index.js';
import { buildDir, collect, fmt, median, parseJson, pinned, placements, run, type Placement, type Suite } from '../util.js';

const roles = fileURLToPath(new URL('./roles.js', import.meta.url));
const pipeRoles = fileURLToPath(new URL('../pipe/roles.js', import.meta.url));
const node = process.execPath;

interface Case {
  readonly table: 'stream' | 'msg' | 'fds';
  readonly name: string;
  /** The C row this one is compared with, if any. */
  readonly baseline?: string;
  readonly group: 'c' | 'ipckit' | 'node';
  /** Units per second (bytes, messages or fds). */
  measure(p: Placement, n: number): Promise<number>;
}

/** Receiver (prints JSON) and sender in two processes over a fresh socket pair. */
async function overPair(type: 'stream' | 'dgram' | 'seqpacket', p: Placement, recv: string[], send: string[]): Promise<number> {
  const [a, b] = type === 'stream' ? socketPair('stream') : type === 'dgram' ? socketPair('dgram') : socketPair('seqpacket');
  const r = spawn(...pinned(p.a, recv[0]!, recv.slice(1)), { stdio: ['ignore', 'pipe', 'inherit', a] });
  const s = spawn(...pinned(p.b, send[0]!, send.slice(1)), { stdio: ['ignore', 'ignore', 'inherit', b] });
  const [out] = await Promise.all([collect(r), once(s, 'close')]);
  const m = parseJson<{ bytes?: number; messages?: number; seconds: number }>(out);
  return (m.bytes ?? m.messages!) / m.seconds;
}

async function netStream(p: Placement, bytes: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ipckit-bench-'));
  try {
    const path = join(dir, 's');
    const server = run(...pinned(p.a, node, [pipeRoles, 'net-read', path]));
    let out = '';
    server.stdout!.on('data', (c) => (out += String(c)));
    while (!out.includes('listening')) await once(server.stdout!, 'data');
    const client = run(...pinned(p.b, node, [pipeRoles, 'net-write', path, String(bytes)]), { stdio: 'ignore' });
    await Promise.all([once(server, 'close'), once(client, 'close')]);
    const m = parseJson<{ bytes: number; seconds: number }>(out);
    if (m.bytes !== bytes) throw new Error(`net: ${m.bytes} of ${bytes} bytes arrived`);
    return m.bytes / m.seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function cases(): Case[] {
  const bulk = `${buildDir}/pipe_bulk`;
  const msg = `${buildDir}/uds_msg`;
  const MiB = String(1 << 20);
  const list: Case[] = [
    { table: 'stream', name: 'C, stream socket pair', group: 'c', measure: (p, n) => overPair('stream', p, [bulk, 'read', '3', MiB], [bulk, 'write', '3', String(n), MiB]) },
    { table: 'stream', name: 'ipckit UnixStream, readInto', baseline: 'C, stream socket pair', group: 'ipckit', measure: (p, n) => overPair('stream', p, [node, roles, 'stream-read-into'], [node, roles, 'stream-write', String(n)]) },
    { table: 'stream', name: 'ipckit UnixStream, stream API', baseline: 'C, stream socket pair', group: 'ipckit', measure: (p, n) => overPair('stream', p, [node, roles, 'stream-read'], [node, roles, 'stream-write', String(n)]) },
    { table: 'stream', name: 'Node net, Unix socket', group: 'node', measure: netStream },
  ];
  for (const [type, kind, label] of [['dgram', 'dgram', 'datagram'], ['seqpacket', 'seq', 'seqpacket']] as const) {
    list.push({ table: 'msg', name: `C, ${label}`, group: 'c', measure: (p, n) => overPair(type, p, [msg, 'recv', '3', String(n), '64'], [msg, 'send', '3', String(n), '64']) });
    list.push({
      table: 'msg',
      name: `ipckit ${label === 'datagram' ? 'UnixDatagramSocket' : 'SeqpacketSocket'}`,
      baseline: `C, ${label}`,
      group: 'ipckit',
      measure: (p, n) => overPair(type, p, [node, roles, 'msg-recv', kind, String(n)], [node, roles, 'msg-send', kind, String(n), '64']),
    });
  }
  list.push({ table: 'fds', name: 'C, sendmsg/recvmsg', group: 'c', measure: (p, n) => overPair('stream', p, [msg, 'recvfds', '3', String(n)], [msg, 'sendfds', '3', String(n)]) });
  list.push({ table: 'fds', name: 'ipckit sendFds / fds event', baseline: 'C, sendmsg/recvmsg', group: 'ipckit', measure: (p, n) => overPair('stream', p, [node, roles, 'fds-recv', String(n)], [node, roles, 'fds-send', String(n)]) });
  return list;
}

const TABLES = {
  stream: { title: 'Stream throughput', unit: 'GB/s', scale: 1e9 },
  msg: { title: '64-byte messages', unit: 'M msgs/s', scale: 1e6 },
  fds: { title: 'fds passed', unit: 'k fds/s', scale: 1e3 },
} as const;

export const udsSuite: Suite = {
  name: 'uds',
  title: 'Unix domain sockets',
  async run({ reps, quick }) {
    const sizes = { stream: quick ? 256 << 20 : 1 << 30, msg: quick ? 200_000 : 1_000_000, fds: quick ? 50_000 : 200_000 };
    const list = cases();
    const results = new Map<string, number[]>();
    for (let rep = 0; rep < reps; rep++) {
      for (const p of placements) {
        for (const c of list) {
          const rate = await c.measure(p, sizes[c.table]);
          const key = `${p.name}|${c.name}`;
          results.set(key, [...(results.get(key) ?? []), rate]);
          process.stderr.write(`  uds ${p.name} ${c.name}: ${fmt(rate / TABLES[c.table].scale)} ${TABLES[c.table].unit}\n`);
        }
      }
    }
    let md =
      `Between two processes over a socket pair each inherited as fd 3; receivers time from their first byte or message to the last. ` +
      `Stream: ${sizes.stream / 2 ** 20} MiB in 1 MiB writes. Messages: ${sizes.msg.toLocaleString('en')} of 64 bytes; C sends and receives one per call, ipckit awaits every 256th send and receives with for await. ` +
      `fds: ${sizes.fds.toLocaleString('en')}, one per message with one byte; the receiver closes each. Median of ${reps} runs (min-max); all rows ran interleaved.\n`;
    for (const p of placements) {
      md += `\n**${p.name}** (${p.a === p.b ? `both processes on CPU ${p.a}` : `receiver on CPU ${p.a}, sender on CPU ${p.b}`})\n`;
      const med = (name: string): number => median(results.get(`${p.name}|${name}`)!);
      const net = med('Node net, Unix socket');
      for (const [table, t] of Object.entries(TABLES)) {
        md += `\n| ${t.title} | ${t.unit} | range | vs C |${table === 'stream' ? ' vs Node net |' : ''}\n| --- | ---: | ---: | ---: |${table === 'stream' ? ' ---: |' : ''}\n`;
        for (const c of list.filter((x) => x.table === table)) {
          const xs = results.get(`${p.name}|${c.name}`)!;
          const vsC = c.baseline ? `${fmt(med(c.name) / med(c.baseline))}x` : '';
          const vsNet = table === 'stream' ? (c.group === 'ipckit' ? ` ${fmt(med(c.name) / net)}x |` : ' |') : '';
          md += `| ${c.name} | ${fmt(med(c.name) / t.scale)} | ${fmt(Math.min(...xs) / t.scale)}-${fmt(Math.max(...xs) / t.scale)} | ${vsC} |${vsNet}\n`;
        }
      }
    }
    return { markdown: md };
  },
};
