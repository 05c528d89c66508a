// Peer credentials (catalog C21): what the kernel says about who connected,
// checked against 1,000 separate connecting processes, a process of another
// uid, and an fd handed on to a third process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { connectUnix, listenSeqpacket, listenUnix, type SeqpacketSocket, type UnixStream } from '../../src/index.js';
import { cHelper } from '../helpers/cc.js';
import { exited, text } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';
import { tmpDir } from '../helpers/tmp.js';

checkFdLeaks();
const tmp = tmpDir();

/** The first line a connection sends (the client's pid). */
async function firstLine(c: UnixStream): Promise<string> {
  let got = '';
  for await (const chunk of c.iterator({ destroyOnReturn: false })) {
    got += String(chunk);
    if (got.includes('\n')) break;
  }
  return got.trim();
}

describe('peer credentials', () => {
  it('name each of 1,000 connecting processes exactly (pid, uid, gid)', async () => {
    const client = cHelper('uds-client');
    const path = tmp.path('creds');
    const server = listenUnix(path, { backlog: 1024 });
    const total = 1000;
    const parallel = 32;
    let checked = 0;
    const mismatches: string[] = [];
    const handled: Promise<void>[] = [];
    server.on('connection', (c: UnixStream) => {
      // Credentials are taken before reading: they belong to the socket, not to what it says.
      const creds = c.peerCredentials();
      handled.push(
        firstLine(c).then((pid) => {
          if (creds.pid !== Number(pid) || creds.uid !== process.getuid!() || creds.gid !== process.getgid!()) {
            mismatches.push(`said ${pid}, kernel says ${JSON.stringify(creds)}`);
          }
          checked++;
          c.close(); // lets the client exit
        }),
      );
    });
    let started = 0;
    const worker = async (): Promise<void> => {
      while (started < total) {
        started++;
        const child = spawn(client, [path], { stdio: ['ignore', 'ignore', 'inherit'] });
        const [code] = await exited(child);
        assert.equal(code, 0);
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    await Promise.all(handled);
    assert.deepEqual(mismatches, []);
    assert.equal(checked, total);
    await server.close();
  });

  it('name a process of another uid (root only: the test runs its client as nobody)', { skip: process.getuid?.() !== 0 && 'needs root to run a client as another user' }, async () => {
    // A directory and socket the other user may reach (our temporary directory is private).
    const dir = mkdtempSync('/tmp/ik-shared-');
    chmodSync(dir, 0o755);
    try {
      const path = `${dir}/s`;
      const server = listenUnix(path, { mode: 0o666 });
      const nobody = 65534;
      const child = spawn(cHelper('uds-client'), [path], { uid: nobody, gid: nobody, stdio: ['ignore', 'ignore', 'pipe'] });
      const stderr = text(child.stderr!);
      const done = exited(child);
      const c = await Promise.race([
        once(server, 'connection').then(([conn]) => conn as UnixStream),
        done.then(async ([code]) => assert.fail(`the client exited (${code}) without connecting: ${await stderr}`)),
      ]);
      const creds = c.peerCredentials();
      assert.equal(String(await firstLine(c)), String(child.pid));
      assert.deepEqual(creds, { pid: child.pid, uid: nobody, gid: nobody });
      c.close();
      assert.equal((await done)[0], 0);
      await server.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('still name the original connector after its fd was handed to another process (documented)', async () => {
    const path = tmp.path('handed');
    const server = listenUnix(path);
    const accepted = once(server, 'connection') as Promise<[UnixStream]>;
    const c = await connectUnix(path);
    const [conn] = await accepted;
    // The child writes through the connection we made, then we close ours.
    const child = spawn('sh', ['-c', 'echo "$$" >&3'], { stdio: ['ignore', 'ignore', 'inherit', c.fd] });
    const done = exited(child);
    c.close();
    const said = await firstLine(conn);
    assert.equal(said, String(child.pid), 'the child wrote');
    assert.equal(conn.peerCredentials().pid, process.pid, 'SO_PEERCRED is fixed at connect time');
    await done;
    conn.close();
    await server.close();
  });

  it('on seqpacket connections too', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
    const path = tmp.path('seq');
    const server = listenSeqpacket(path);
    const accepted = once(server, 'connection') as Promise<[SeqpacketSocket]>;
    const { connectSeqpacket } = await import('../../src/index.js');
    const c = await connectSeqpacket(path);
    const [s] = await accepted;
    assert.deepEqual(s.peerCredentials(), c.peerCredentials());
    assert.equal(s.peerCredentials().pid, process.pid);
    c.close();
    s.close();
    await server.close();
  });
});
