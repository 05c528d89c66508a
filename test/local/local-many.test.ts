// catalog C22 (many-clients): 1,000 concurrent clients from four processes
// make round trips of 1 KiB through one listener: no error, nothing lost or
// duplicated, and the server's fds come back to where they were. `npm test`
// makes 20 round trips per client; `npm run soak` the catalog's 1,000.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { listen, type FramedConnection } from '../../src/index.js';
import { exited, fixture, SOAK, text } from '../helpers/children.js';
import { checkFdLeaks, openFds } from '../helpers/fds.js';
import { tmpDir } from '../helpers/tmp.js';

checkFdLeaks();
const tmp = tmpDir();

const ROUNDS = SOAK ? 1000 : 20;

describe('many clients', () => {
  it(`1,000 concurrent clients x ${ROUNDS} round trips of 1 KiB: every answer its own, fds back to baseline`, { timeout: SOAK ? 1_800_000 : 120_000 }, async () => {
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
        if (--open === 0 && served === 1000 * ROUNDS) allClosed();
      });
      (async () => {
        for await (const m of conn) {
          served++;
          await conn.send(m);
        }
        conn.close();
      })();
    });
    const clients = [0, 1, 2, 3].map(() => spawn(process.execPath, [fixture('local-clients'), path, '250', String(ROUNDS)], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const reports = await Promise.all(clients.map(async (c) => (await Promise.all([text(c.stdout), exited(c)]))[0].trim()));
    for (const r of reports) assert.match(r, new RegExp(`^ok ${250 * ROUNDS} `));
    assert.equal(served, 1000 * ROUNDS);
    await closed;
    await listener.close();
    assert.equal(openFds().length, base, 'every connection fd closed');
  });
});
