// Adopting inherited sockets: a child given one end of a socket pair through
// spawn's stdio takes it with fromFd (stream, datagram, seqpacket) and
// talks over it; fromFd refuses what is not a Unix socket of its kind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { ErrorCode, pipe, SeqpacketSocket, socketPair, UnixDatagramSocket, UnixStream } from '../../src/index.js';
import { exited, fixture, text } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';

checkFdLeaks();

describe('fromFd', () => {
  for (const kind of ['dgram', 'seqpacket'] as const) {
    it(`a child adopts a ${kind} socket given as fd 3 and answers each message`, { skip: kind === 'seqpacket' && process.platform !== 'linux' && 'Linux only' }, async () => {
      const [mine, theirs] = kind === 'dgram' ? socketPair('dgram') : socketPair('seqpacket');
      const child = spawn(process.execPath, [fixture('uds-adopt'), kind], { stdio: ['ignore', 'pipe', 'inherit', theirs.fd] });
      const out = text(child.stdout);
      const done = exited(child);
      theirs.close();
      const p = pipe();
      await mine.send('one');
      await mine.send('two', { fds: [p.reader, p.writer] });
      await mine.send('bye');
      const answers: string[] = [];
      for (let i = 0; i < 3; i++) answers.push(String((await mine.recv()).data));
      assert.deepEqual(answers, ['one (0 fds)', 'two (2 fds)', 'bye (0 fds)']);
      assert.equal((await done)[0], 0);
      assert.match(await out, /cloexec 1/);
      for (const x of [mine, p.reader, p.writer]) x.close();
    });
  }

  it('a child adopts a stream socket given as fd 3 and echoes it', async () => {
    const [mine, theirs] = socketPair('stream');
    const child = spawn(process.execPath, [fixture('uds-adopt'), 'stream'], { stdio: ['ignore', 'pipe', 'inherit', theirs.fd] });
    const out = text(child.stdout);
    const done = exited(child);
    theirs.close();
    mine.end('echo me');
    let got = '';
    for await (const c of mine) got += String(c);
    assert.equal(got, 'echo me');
    assert.equal((await done)[0], 0);
    assert.match(await out, /cloexec 1/);
  });

  it('refuses a pipe, a TCP socket, and a Unix socket of another kind, leaving the fd open', async () => {
    const p = pipe();
    const tcp = createServer();
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    const tcpFd = (tcp as unknown as { _handle: { fd: number } })._handle.fd;
    const [d1, d2] = socketPair('dgram');
    assert.throws(() => UnixStream.fromFd(p.reader.fd), { code: ErrorCode.INVALID_ARGUMENT, message: /not a socket/ });
    assert.throws(() => UnixStream.fromFd(tcpFd), { code: ErrorCode.INVALID_ARGUMENT, message: /not a Unix socket/ });
    assert.throws(() => SeqpacketSocket.fromFd(d1.fd), { code: ErrorCode.INVALID_ARGUMENT, message: /another type/ });
    assert.throws(() => UnixDatagramSocket.fromFd(-1), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => UnixDatagramSocket.fromFd(99999), { code: ErrorCode.INVALID_ARGUMENT, message: /EBADF/ });
    // Still usable: nothing was taken over.
    await d1.send('fine');
    assert.equal(String((await d2.recv()).data), 'fine');
    for (const x of [p.reader, p.writer, d1, d2]) x.close();
    tcp.close();
    await once(tcp, 'close');
  });
});
