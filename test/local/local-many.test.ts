// catalog C22 (many-clients): 1,000 concurrent clients from four processes
// make round trips of 1 KiB through one listener: no error, nothing lost or
// duplicated, and the server's fds come back to where they were. (The full
// 1,000 x 1,000 round trips run in `npm run soak`.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { listen, type FramedConnection } from '../../src/index.js';
import { exited, fixture, text } from '../helpers/children.js';
import { checkFdLeaks, openFds } from '../helpers/fds.js';
import { tmpDir } from '../helpers/tmp.js';

checkFdLeaks();
const tmp = tmpDir();

describe('many clients', () => {
  it('1,000 concurrent clients x 20 round trips of 1 KiB: every answer its own, fds back to baseline', { timeout: 120_000 }, async () => {
    const path = tmp.path('many');
    const base = openFds().length;
    const listener = listen<unknown>(path, { codec: 'json', backlog: 1024 });
    let served = 0;
    let open = 0;
    let allClosed: () => void = () => {};
    const closed = new Promise<void>((r) => (allClosed = r));
    listener.on('connection', (conn: FramedConnection<unknown>) => {
      open++;
      conn.stream.once('close', () => {
        if (--open === 0 && served === 20_000) allClosed();
      });
      (async () => {
        for await (const m of conn) {
          served++;
          await conn.send(m);
        }
        conn.close();
      })();
    });
    const clients = [0, 1, 2, 3].map(() => spawn(process.execPath, [fixture('local-clients'), path, '250', '20'], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const reports = await Promise.all(clients.map(async (c) => (await Promise.all([text(c.stdout), exited(c)]))[0].trim()));
    for (const r of reports) assert.match(r, /^ok 5000 /);
    assert.equal(served, 20_000);
    await closed;
    await listener.close();
    assert.equal(openFds().length, base, 'every connection fd closed');
  });
});
