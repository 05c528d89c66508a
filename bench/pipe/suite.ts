// Pipe throughput: bytes per second from one process to another through an
// ipckit pipe, against C through the same kind of pipe at the same capacity,
// against Node's spawn() stdout, and against `net` over a Unix socket. Every
// reader times itself from first byte to end of stream (no start-up).
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipe, spawn } from '../../src/index.js';
import { fileURLToPath } from 'node:url';
import { buildDir, collect, fmt, median, parseJson, pinned, placements, run, type Placement, type Suite } from '../util.js';

interface Measure {
  bytes: number;
  seconds: number;
}

interface Case {
  readonly name: string;
  readonly group: 'c' | 'ipckit' | 'node';
  readonly capacity?: number;
  measure(p: Placement, bytes: number): Promise<Measure>;
}

const roles = fileURLToPath(new URL('./roles.js', import.meta.url));
const CHUNK = String(1 << 20);

function throughPipe(capacity: number, readCmd: (fd: string) => [string, string[]], writeCmd: (fd: string) => [string, string[]]) {
  return async (p: Placement): Promise<Measure> => {
    const { reader, writer } = pipe({ capacity });
    const [rc, ra] = readCmd('3');
    const [wc, wa] = writeCmd('3');
    const r = spawn(...pinned(p.a, rc, ra), { stdio: ['ignore', 'pipe', 'inherit', reader] });
    const w = spawn(...pinned(p.b, wc, wa), { stdio: ['ignore', 'ignore', 'inherit', writer] });
    const [out] = await Promise.all([collect(r), once(w, 'close')]);
    return parseJson<Measure>(out);
  };
}

function cases(): Case[] {
  const c = `${buildDir}/pipe_bulk`;
  const node = process.execPath;
  const list: Case[] = [];
  for (const capacity of [1 << 20, 1 << 16]) {
    const cap = capacity === 1 << 20 ? '1 MiB' : '64 KiB';
    list.push({
      name: `C, ${cap} pipe`,
      group: 'c',
      capacity,
      measure: (p, bytes) => throughPipe(capacity, (fd) => [c, ['read', fd, CHUNK]], (fd) => [c, ['write', fd, String(bytes), CHUNK]])(p),
    });
    list.push({
      name: `ipckit readInto, ${cap} pipe`,
      group: 'ipckit',
      capacity,
      measure: (p, bytes) => throughPipe(capacity, () => [node, [roles, 'ipckit-read-into']], () => [node, [roles, 'ipckit-write', String(bytes)]])(p),
    });
    list.push({
      name: `ipckit stream, ${cap} pipe`,
      group: 'ipckit',
      capacity,
      measure: (p, bytes) => throughPipe(capacity, () => [node, [roles, 'ipckit-read-stream']], () => [node, [roles, 'ipckit-write', String(bytes)]])(p),
    });
  }
  list.push({
    name: 'Node spawn() stdout',
    group: 'node',
    measure: async (p, bytes) => parseJson<Measure>(await collect(run(...pinned(p.a, node, [roles, 'spawn-read', p.b, String(bytes)])))),
  });
  list.push({
    name: 'Node net, Unix socket',
    group: 'node',
    measure: async (p, bytes) => {
      const dir = mkdtempSync(join(tmpdir(), 'ipckit-bench-'));
      try {
        const path = join(dir, 's');
        const server = run(...pinned(p.a, node, [roles, 'net-read', path]));
        let out = '';
        server.stdout!.on('data', (c) => (out += String(c)));
        while (!out.includes('listening')) await once(server.stdout!, 'data');
        const client = run(...pinned(p.b, node, [roles, 'net-write', path, String(bytes)]), { stdio: 'ignore' });
        await Promise.all([once(server, 'close'), once(client, 'close')]);
        return parseJson<Measure>(out);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  });
  return list;
}

export const pipeSuite: Suite = {
  name: 'pipe',
  title: 'Pipe throughput',
  async run({ reps, quick }) {
    const bytes = quick ? 256 << 20 : 1 << 30;
    const list = cases();
    const results = new Map<string, number[]>();
    for (let rep = 0; rep < reps; rep++) {
      for (const p of placements) {
        for (const c of list) {
          const m = await c.measure(p, bytes);
          if (m.bytes !== bytes) throw new Error(`${c.name}: ${m.bytes} of ${bytes} bytes arrived`);
          const key = `${p.name}|${c.name}`;
          results.set(key, [...(results.get(key) ?? []), m.bytes / m.seconds / 1e9]);
          process.stderr.write(`  pipe ${p.name} ${c.name}: ${fmt(m.bytes / m.seconds / 1e9)} GB/s\n`);
        }
      }
    }
    let md = `${fmt(bytes / 2 ** 20, 0)} MiB per transfer in 1 MiB writes; GB/s (10^9 bytes/s), median of ${reps} runs (min-max); every row of a table ran interleaved with the others.\n`;
    for (const p of placements) {
      const med = (name: string): number => median(results.get(`${p.name}|${name}`)!);
      const span = (name: string): string => {
        const xs = results.get(`${p.name}|${name}`)!;
        return `${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))}`;
      };
      const bestNode = Math.max(...list.filter((c) => c.group === 'node').map((c) => med(c.name)));
      md += `\n**${p.name}** (${p.a === p.b ? `both processes on CPU ${p.a}` : `reader on CPU ${p.a}, writer on CPU ${p.b}`})\n\n`;
      md += '| transfer | GB/s | range | vs C, same pipe | vs best Node built-in |\n| --- | ---: | ---: | ---: | ---: |\n';
      for (const c of list) {
        const cRef = c.capacity === undefined ? undefined : list.find((x) => x.group === 'c' && x.capacity === c.capacity)!;
        const vsC = c.group === 'ipckit' && cRef ? `${fmt(med(c.name) / med(cRef.name))}x` : '';
        const vsNode = c.group === 'ipckit' ? `${fmt(med(c.name) / bestNode)}x` : '';
        md += `| ${c.name} | ${fmt(med(c.name))} | ${span(c.name)} | ${vsC} | ${vsNode} |\n`;
      }
    }
    return { markdown: md };
  },
};
