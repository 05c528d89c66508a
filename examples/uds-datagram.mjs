// Datagrams between two bound Unix sockets: each message arrives whole,
// whatever its size, with the sender's address to answer to.
// Run: node examples/uds-datagram.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatagramSocket } from 'ipckit';

const dir = mkdtempSync(join(tmpdir(), 'ipckit-'));
const server = createDatagramSocket({ bind: join(dir, 'server'), mode: 0o600 });
const client = createDatagramSocket({ bind: join(dir, 'client'), mode: 0o600 });

// The server answers every datagram with its size.
(async () => {
  for await (const { data, from } of server) await server.sendTo(from, `${data.length} bytes`);
})();

for (const size of [5, 65_536, 100_000]) {
  await client.sendTo(server.localAddress, Buffer.alloc(size, 'x'));
  const reply = await client.recv({ timeout: 5000 });
  console.log(`sent ${size}, server got ${reply.data}`);
}
client.close();
server.close();
rmSync(dir, { recursive: true });
