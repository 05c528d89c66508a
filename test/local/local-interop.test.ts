// Local sockets talk to programs nobody here wrote: socat as a client of an
// ipckit listener, and an ipckit client of a socat listener, byte-exact.
// Skipped, visibly, without socat.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { connect, listen, type LocalStream } from '../../src/index.js';
import { exited } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';
import { tmpDir } from '../helpers/tmp.js';

checkFdLeaks();
const tmp = tmpDir();
let socat = true;
try {
  execFileSync('socat', ['-V'], { stdio: 'ignore' });
} catch {
  socat = false;
}

async function readAll(s: LocalStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s.iterator({ destroyOnReturn: false })) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('local sockets and socat', { skip: !socat && 'socat is not installed (apt-get install socat)' }, () => {
  const payload = randomBytes(1 << 20);

  it('socat as a client of an ipckit listener: 1 MiB each way, exact', async () => {
    const path = tmp.path('l1');
    const input = tmp.path('in.bin');
    const output = tmp.path('out.bin');
    writeFileSync(input, payload);
    const listener = listen(path);
    const received = new Promise<Buffer>((resolve) => listener.once('connection', (c: LocalStream) => readAll(c).then((b) => (c.close(), resolve(b)))));
    const child = spawn('socat', ['-u', `OPEN:${input}`, `UNIX-CONNECT:${path}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    assert.equal((await exited(child))[0], 0);
    assert.ok((await received).equals(payload));
    // And back: socat reads what the listener sends.
    listener.once('connection', (c: LocalStream) => c.end(payload));
    const back = spawn('socat', ['-u', `UNIX-CONNECT:${path}`, `CREATE:${output}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    assert.equal((await exited(back))[0], 0);
    assert.ok(readFileSync(output).equals(payload));
    await listener.close();
  });

  it('an ipckit client of a socat echo listener: 1 MiB there and back, exact', async () => {
    const path = tmp.path('l2');
    const child = spawn('socat', ['-d', '-d', `UNIX-LISTEN:${path},mode=600`, 'EXEC:cat'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const done = exited(child);
    for await (const line of createInterface({ input: child.stderr! })) if (line.includes('listening on')) break;
    const c = await connect(path);
    c.end(payload);
    const echoed = await readAll(c);
    assert.ok(echoed.equals(payload), `${echoed.length} bytes`);
    c.close();
    assert.equal((await done)[0], 0);
  });
});
