// Run a command with its stdout and stderr joined into one pipe, read as it
// arrives. Run: node examples/pipe-joined-output.mjs
import { pipe, spawn } from 'ipckit';

const { reader, writer } = pipe();
// The child gets the write end as both stdout and stderr. spawn() closes our
// copy right after, so the reader ends exactly when the child is done.
const child = spawn('sh', ['-c', 'for i in 1 2 3; do echo "out $i"; echo "err $i" >&2; done'], {
  stdio: ['ignore', writer, writer],
});
const exited = new Promise((resolve) => child.on('exit', resolve)); // listen before it can happen
for await (const chunk of reader) process.stdout.write(`[child] ${chunk}`);
console.log(`exit code ${await exited}`);
