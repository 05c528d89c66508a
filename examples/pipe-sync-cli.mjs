// Synchronous use, as in a CLI that cannot await: feed a child through a
// pipe with writeSync and read its answer with readSync.
// Run: node examples/pipe-sync-cli.mjs
import { pipe, spawn } from 'ipckit';

const input = pipe();
const output = pipe();
spawn('sort', [], { stdio: [input.reader, output.writer, 'inherit'] });
input.writer.writeSync(Buffer.from('pear\napple\nfig\n'));
input.writer.close(); // sort reads until end of input, so close our end
const buf = Buffer.alloc(4096);
let text = '';
for (let n; (n = output.reader.readSync(buf, { timeout: 5000 })) > 0; ) text += buf.toString('utf8', 0, n);
output.reader.close();
console.log(text.trim().split('\n')); // [ 'apple', 'fig', 'pear' ]
