// catalog E31 (cloexec-audit) for sockets and FIFOs: a child holds none of
// the listeners (Unix and local), connections, socket pairs, datagram and seqpacket sockets,
// FIFO ends and received fds this process owns, only what it was given,
// also while other threads create sockets.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  connect,
  connectUnix,
  createDatagramSocket,
  createFifo,
  listen,
  listenSeqpacket,
  listenUnix,
  openFifo,
  socketPair,
  type LocalStream,
  type ReceivedFd,
  type UnixStream,
} from '../../src/index.js';
import { fixture } from '../helpers/children.js';
import { checkFdLeaks, childFds, fdTarget, inheritableTargets } from '../helpers/fds.js';
import { tmpDir } from '../helpers/tmp.js';

checkFdLeaks();
const tmp = tmpDir();

describe('close-on-exec: sockets and FIFOs', () => {
  it('a spawned child holds none of the sockets, FIFO ends and received fds this process owns', async () => {
    const server = listenUnix(tmp.path('l'));
    const accepted = once(server, 'connection') as Promise<[UnixStream]>;
    const client = await connectUnix(tmp.path('l'));
    const [conn] = await accepted;
    const seqServer = listenSeqpacket(tmp.path('q'));
    const [sa, sb] = socketPair('stream');
    const [da, db] = socketPair('dgram');
    const [qa, qb] = socketPair('seqpacket');
    const bound = createDatagramSocket({ bind: tmp.path('d') });
    createFifo(tmp.path('f'));
    const fifoReader = await openFifo(tmp.path('f'), 'r');
    const fifoWriter = await openFifo(tmp.path('f'), 'w');
    // Received fds: a pipe-like kind and a socket, through SCM_RIGHTS.
    const [ta, tb] = socketPair('stream');
    const arriving = once(tb, 'fds') as Promise<[ReceivedFd[]]>;
    await ta.sendFds([fifoReader, sa], 'x');
    const [received] = await arriving;
    const local = listen(tmp.path('local'));
    const localAccepted = once(local, 'connection') as Promise<[LocalStream]>;
    const localClient = await connect(tmp.path('local'));
    const [localConn] = await localAccepted;
    const all = [server, seqServer, client, conn, sa, sb, da, db, qa, qb, bound, fifoReader, fifoWriter, ta, tb, localClient, localConn];
    const fds = [...all.map((x) => x.fd), ...received.map((r) => r.fd)];
    const ours = new Map(fds.map((fd) => [fdTarget(fd), fd]));
    const child = await childFds();
    const leaked = [...child].filter(([, t]) => ours.has(t)).map(([fd, t]) => `child fd ${fd} = our fd ${ours.get(t)} (${t})`);
    assert.deepEqual(leaked, []);
    // ...and what it is given arrives, once, where it was put.
    const given = await childFds(['ignore', 'pipe', 'inherit', sb.fd]);
    assert.deepEqual([...given].filter(([, t]) => t === fdTarget(sb.fd)).map(([fd]) => fd), [3]);
    for (const r of received) r.close();
    for (const x of all) if ('close' in x && typeof x.close === 'function' && x !== server && x !== seqServer) x.close();
    await server.close();
    await seqServer.close();
    await local.close();
  });

  it('200 children spawned while 2 worker threads churn sockets of every type inherit none of them', { timeout: 120_000 }, async () => {
    const allowed = inheritableTargets();
    const stop = new SharedArrayBuffer(4);
    const workers = [0, 1].map(() => new Worker(fixture('socket-churn-worker'), { workerData: stop }));
    const exits = Promise.all(workers.map((w) => once(w, 'exit')));
    const reports = Promise.all(workers.map(async (w) => (await once(w, 'message'))[0] as number));
    await Promise.all(workers.map((w) => once(w, 'online')));
    const leaks: string[] = [];
    try {
      for (let i = 0; i < 200; i++) {
        // fds 0-2 are the child's stdio (Node makes 'pipe' stdio from a socket pair).
        for (const [fd, t] of await childFds()) if (fd > 2 && t.startsWith('socket:') && !allowed.has(t)) leaks.push(`child ${i}: fd ${fd} ${t}`);
      }
    } finally {
      Atomics.store(new Int32Array(stop), 0, 1);
    }
    const made = (await reports).reduce((x, y) => x + y, 0);
    await exits;
    assert.ok(made > 200, `the workers made only ${made} socket sets`);
    assert.deepEqual(leaks, []);
  });
});
