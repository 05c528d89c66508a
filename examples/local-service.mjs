// A request/response service over a local socket: the server answers typed
// JSON requests from any number of clients; only processes of the same user
// may connect, and both sides prove a shared key first.
// Run: node examples/local-service.mjs
import { connect, listen, spawn } from 'ipckit';

const name = `example-kv-${process.pid}`;
const authKey = 'an example key, share it out of band';

if (process.env.EXAMPLE_ROLE === 'client') {
  const conn = await connect(process.env.EXAMPLE_NAME, { codec: 'json', authKey, wait: true, timeout: 10_000 });
  await conn.request({ op: 'set', key: 'answer', value: 42 });
  const { value } = await conn.request({ op: 'get', key: 'answer' });
  console.log(`client ${process.pid}: answer = ${value}`);
  await conn.end();
  conn.close();
} else {
  const store = new Map();
  const listener = listen(name, { codec: 'json', authKey });
  listener.on('connection', async (conn) => {
    const { pid } = conn.peerCredentials(); // the kernel's word, not the client's
    for await (const req of conn) {
      if (req.op === 'set') store.set(req.key, req.value);
      await conn.send({ ok: true, value: store.get(req.key), servedFor: pid });
    }
    conn.close();
  });
  const env = { ...process.env, EXAMPLE_ROLE: 'client', EXAMPLE_NAME: name };
  const clients = [1, 2, 3].map(() => spawn(process.execPath, [process.argv[1]], { stdio: 'inherit', env }));
  await Promise.all(clients.map((c) => new Promise((resolve) => c.on('exit', resolve))));
  await listener.close();
  console.log(`served ${clients.length} clients`);
}
