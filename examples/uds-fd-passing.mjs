// A server hands a client process the write end of a pipe over a Unix
// socket (SCM_RIGHTS), after checking who the client is with the kernel's
// peer credentials. The client writes through the fd it received.
// Run: node examples/uds-fd-passing.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectUnix, listenUnix, pipe, spawn } from 'ipckit';

if (process.env.EXAMPLE_ROLE === 'client') {
  const conn = await connectUnix(process.env.EXAMPLE_SOCKET);
  conn.on('fds', ([fd]) => {
    const writer = fd.toPipeWriter(); // takes ownership of the received fd
    writer.end(`hello from pid ${process.pid}, through a passed fd\n`, () => conn.end());
  });
} else {
  const dir = mkdtempSync(join(tmpdir(), 'ipckit-'));
  const server = listenUnix(join(dir, 'server.sock'), { mode: 0o600 });
  const child = spawn(process.execPath, [process.argv[1]], {
    stdio: 'inherit',
    env: { ...process.env, EXAMPLE_ROLE: 'client', EXAMPLE_SOCKET: join(dir, 'server.sock') },
  });
  for await (const conn of server) {
    const { pid, uid } = conn.peerCredentials();
    console.log(`client connected: pid ${pid} (${pid === child.pid ? 'our child' : 'someone else'}), uid ${uid}`);
    const { reader, writer } = pipe();
    await conn.sendFds([writer], 'here');
    writer.close(); // the client holds the only write end now
    for await (const chunk of reader) process.stdout.write(`server read: ${chunk}`);
    conn.close();
    break;
  }
  await server.close();
  rmSync(dir, { recursive: true });
}
