// Request/response with a child over a duplex channel, using the blocking
// API on the child side (as a CLI tool or a worker might).
// Run: node examples/channel-request-response.mjs
import { duplexChannel, duplexFromParent, spawn } from 'ipckit';

if (process.env.EXAMPLE_ROLE === 'server') {
  const rpc = duplexFromParent('rpc');
  for (;;) {
    let req;
    try {
      req = rpc.recvSync();
    } catch {
      break; // the parent closed its end: we are done
    }
    rpc.sendSync({ id: req.id, upper: req.text.toUpperCase() });
  }
} else {
  const [client, server] = duplexChannel();
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname], {
    stdio: 'inherit',
    env: { ...process.env, EXAMPLE_ROLE: 'server' },
    channels: { rpc: server },
  });
  for (const [id, text] of ['hello', 'channels'].entries()) {
    console.log(await client.request({ id, text })); // { id: 0, upper: 'HELLO' } ...
  }
  await client.close();
  await new Promise((resolve) => child.on('exit', resolve));
}
