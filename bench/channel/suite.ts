// Channel benchmarks (issue targets in parentheses):
// - small object {id, name: 'x', vals: [1, 2, 3]} one way, JSON codec,
//   against fork() IPC 'json' and 'advanced' and the codec alone in one
//   thread (>= 1,000,000 msgs/s across CPUs; >= 0.8x the codec ceiling);
// - 64-byte 'bytes' messages one way against C writing the same frames in
//   batches (>= 5,000,000 msgs/s);
// - the structured codec against the V8 serializer alone (>= 0.8x);
// - round trip of a small message: duplex channel against a raw `net`
//   ping-pong and C; the blocking recvSync path against C (<= 1.3x C).
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipe, spawn } from '../../src/index.js';
import { buildDir, collect, fmt, median, parseJson, pinned, placements, run, type Placement, type Suite } from '../util.js';

const roles = fileURLToPath(new URL('./roles.js', import.meta.url));
const node = process.execPath;
const chan = (): string => `${buildDir}/chan`;

interface Rate {
  messages: number;
  seconds: number;
}
interface Trips {
  roundTrips: number;
  seconds: number;
}

/** Sender in one process, receiver in another, through one pipe. */
async function oneWay(p: Placement, recv: string[], send: string[]): Promise<number> {
  const { reader, writer } = pipe();
  const r = spawn(...pinned(p.a, recv[0]!, recv.slice(1)), { stdio: ['ignore', 'pipe', 'inherit', reader] });
  const s = spawn(...pinned(p.b, send[0]!, send.slice(1)), { stdio: ['ignore', 'ignore', 'inherit', writer] });
  const [out] = await Promise.all([collect(r), once(s, 'close')]);
  const m = parseJson<Rate>(out);
  return m.messages / m.seconds;
}

/** Echo in one process, pinger in another, over two pipes; µs per round trip. */
async function roundTrip(p: Placement, ping: string[], echo: string[]): Promise<number> {
  const there = pipe();
  const back = pipe();
  const e = spawn(...pinned(p.b, echo[0]!, echo.slice(1)), { stdio: ['ignore', 'ignore', 'inherit', there.reader, back.writer] });
  const q = spawn(...pinned(p.a, ping[0]!, ping.slice(1)), { stdio: ['ignore', 'pipe', 'inherit', back.reader, there.writer] });
  const [out] = await Promise.all([collect(q), once(e, 'close')]);
  const t = parseJson<Trips>(out);
  return (t.seconds / t.roundTrips) * 1e6;
}

async function netRoundTrip(p: Placement, count: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ipckit-bench-'));
  try {
    const path = join(dir, 's');
    const server = run(...pinned(p.b, node, [roles, 'net-echo', path]));
    let ready = '';
    server.stdout!.on('data', (c) => (ready += String(c)));
    while (!ready.includes('listening')) await once(server.stdout!, 'data');
    const client = run(...pinned(p.a, node, [roles, 'net-ping', path, String(count)]));
    const [out] = await Promise.all([collect(client), once(server, 'close')]);
    const t = parseJson<Trips>(out);
    return (t.seconds / t.roundTrips) * 1e6;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Row {
  readonly name: string;
  readonly unit: 'msgs/s' | 'µs';
  measure(p: Placement): Promise<number>;
}

export const channelSuite: Suite = {
  name: 'channel',
  title: 'Channels',
  async run({ reps, quick }) {
    const N = quick ? 100_000 : 500_000;
    const NB = quick ? 1_000_000 : 5_000_000;
    const NS = quick ? 50_000 : 200_000;
    const RT = quick ? 5_000 : 20_000;
    const groups: Array<{ title: string; rows: Row[] }> = [
      {
        title: `Small object one way, JSON (${N.toLocaleString('en-US')} messages)`,
        rows: [
          { name: 'ipckit, recvMany()', unit: 'msgs/s', measure: (p) => oneWay(p, [node, roles, 'recv', String(N), 'json', 'many'], [node, roles, 'send', String(N), 'json', 'await']) },
          { name: 'ipckit, for await', unit: 'msgs/s', measure: (p) => oneWay(p, [node, roles, 'recv', String(N), 'json', 'iter'], [node, roles, 'send', String(N), 'json', 'await']) },
          { name: "fork() IPC, 'json'", unit: 'msgs/s', measure: async (p) => rateOf(await collect(run(...pinned(p.a, node, [roles, 'fork-parent', String(N), 'json', p.b])))) },
          { name: "fork() IPC, 'advanced'", unit: 'msgs/s', measure: async (p) => rateOf(await collect(run(...pinned(p.a, node, [roles, 'fork-parent', String(N), 'advanced', p.b])))) },
          { name: 'codec alone, one thread (ceiling)', unit: 'msgs/s', measure: async (p) => rateOf(await collect(run(...pinned(p.a, node, [roles, 'ceiling', String(N), 'json'])))) },
        ],
      },
      {
        title: `64-byte messages one way, 'bytes' codec (${NB.toLocaleString('en-US')} messages)`,
        rows: [
          { name: 'ipckit, trySend() + recvMany()', unit: 'msgs/s', measure: (p) => oneWay(p, [node, roles, 'recv', String(NB), 'bytes', 'many'], [node, roles, 'send', String(NB), 'bytes', 'try']) },
          { name: 'ipckit, await send() + recvMany()', unit: 'msgs/s', measure: (p) => oneWay(p, [node, roles, 'recv', String(NB), 'bytes', 'many'], [node, roles, 'send', String(NB), 'bytes', 'await']) },
          { name: 'ipckit, await send() + for await', unit: 'msgs/s', measure: (p) => oneWay(p, [node, roles, 'recv', String(NB), 'bytes', 'iter'], [node, roles, 'send', String(NB), 'bytes', 'await']) },
          { name: 'C, same frames, 64 KiB batches', unit: 'msgs/s', measure: (p) => oneWay(p, [chan(), 'recv', '3'], [chan(), 'send', '3', String(NB), '64']) },
        ],
      },
      {
        title: `Small object one way, structured codec (${NS.toLocaleString('en-US')} messages)`,
        rows: [
          { name: 'ipckit, recvMany()', unit: 'msgs/s', measure: (p) => oneWay(p, [node, roles, 'recv', String(NS), 'structured', 'many'], [node, roles, 'send', String(NS), 'structured', 'await']) },
          { name: 'V8 serializer alone, one thread (ceiling)', unit: 'msgs/s', measure: async (p) => rateOf(await collect(run(...pinned(p.a, node, [roles, 'ceiling', String(NS), 'structured'])))) },
        ],
      },
      {
        title: `Round trip of a small message (${RT.toLocaleString('en-US')} round trips)`,
        rows: [
          { name: 'ipckit duplex channel, await request()', unit: 'µs', measure: (p) => roundTrip(p, [node, roles, 'ping', String(RT), 'async'], [node, roles, 'echo', 'async']) },
          { name: 'ipckit duplex channel, sendSync() + recvSync()', unit: 'µs', measure: (p) => roundTrip(p, [node, roles, 'ping', String(RT), 'sync'], [node, roles, 'echo', 'sync']) },
          { name: 'Node net, Unix socket, u32 length + JSON', unit: 'µs', measure: (p) => netRoundTrip(p, RT) },
          { name: 'C, same frames through pipes', unit: 'µs', measure: (p) => roundTrip(p, [chan(), 'ping', '3', '4', String(RT), '37'], [chan(), 'echo', '3', '4', '37']) },
        ],
      },
    ];
    const results = new Map<string, number[]>();
    for (let rep = 0; rep < reps; rep++) {
      for (const p of placements) {
        for (const g of groups) {
          for (const row of g.rows) {
            const v = await row.measure(p);
            const key = `${p.name}|${g.title}|${row.name}`;
            results.set(key, [...(results.get(key) ?? []), v]);
            process.stderr.write(`  channel ${p.name} ${row.name}: ${row.unit === 'µs' ? `${fmt(v, 1)} µs` : `${fmt(v / 1e6, 3)} M msgs/s`}\n`);
          }
        }
      }
    }
    let md = `Medians of ${reps} runs; every row ran interleaved with the others. Rates are messages per second from the first message received to the last (start-up excluded); round trips are the mean over the timed round trips after 2,000 warm-up ones.\n`;
    for (const g of groups) {
      md += `\n### ${g.title}\n\n| | ${placements.map((p) => p.name).join(' | ')} |\n| --- | ${placements.map(() => '---:').join(' | ')} |\n`;
      const med = (p: Placement, name: string): number => median(results.get(`${p.name}|${g.title}|${name}`)!);
      for (const row of g.rows) {
        md += `| ${row.name} | ${placements.map((p) => (row.unit === 'µs' ? `${fmt(med(p, row.name), 1)} µs` : `${fmt(med(p, row.name) / 1e6, 3)} M/s`)).join(' | ')} |\n`;
      }
      const ratio = (label: string, a: string, b: string, inverse = false): void => {
        md += `| ${label} | ${placements.map((p) => `${fmt(inverse ? med(p, b) / med(p, a) : med(p, a) / med(p, b))}x`).join(' | ')} |\n`;
      };
      const r = g.rows.map((x) => x.name);
      if (g.title.startsWith('Small object one way, JSON')) {
        ratio('ipckit recvMany / fork json', r[0]!, r[2]!);
        ratio('ipckit recvMany / fork advanced', r[0]!, r[3]!);
        ratio('ipckit recvMany / codec ceiling', r[0]!, r[4]!);
        ratio('ipckit for await / codec ceiling', r[1]!, r[4]!);
      } else if (g.title.startsWith('64-byte')) {
        ratio('ipckit trySend + recvMany / C', r[0]!, r[3]!);
      } else if (g.title.startsWith('Small object one way, structured')) {
        ratio('ipckit / V8 ceiling', r[0]!, r[1]!);
      } else {
        ratio('speed vs net (net µs / ipckit async µs)', r[0]!, r[2]!, true);
        ratio('recvSync latency / C latency', r[1]!, r[3]!);
      }
    }
    return { markdown: md };
  },
};

function rateOf(out: string): number {
  const m = parseJson<Rate>(out);
  return m.messages / m.seconds;
}
