// Handing ends to child processes: the os_pipe joined-output example, the
// spawn() helper closing the parent's copies, and failure paths.
import assert from 'node:assert/strict';
import { spawn as nodeSpawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { ErrorCode, pipe, spawn } from '../../src/index.js';
import { exited } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';

checkFdLeaks();

async function readText(r: AsyncIterable<unknown>): Promise<string> {
  let s = '';
  for await (const c of r) s += String(c);
  return s;
}

describe('spawn with pipe ends', () => {
  it("joins a child's stdout and stderr into one pipe (the os_pipe example)", async () => {
    const { reader, writer } = pipe();
    const child = spawn('sh', ['-c', 'echo out; echo err >&2'], { stdio: ['ignore', writer, writer] });
    assert.equal(writer.destroyed, true, "spawn() closed the parent's copy");
    const [output, [code]] = await Promise.all([readText(reader), exited(child)]);
    assert.equal(code, 0);
    assert.equal(output, 'out\nerr\n');
  });

  it('the same with child_process.spawn, closing the copy by hand', async () => {
    const { reader, writer } = pipe();
    const child = nodeSpawn('sh', ['-c', 'echo out; echo err >&2'], { stdio: ['ignore', writer, writer] });
    writer.close(); // Avoid a deadlock: the child has its own copies now.
    const [output] = await Promise.all([readText(reader), exited(child)]);
    assert.equal(output, 'out\nerr\n');
  });

  it('feeds a child through its stdin and reads its stdout', async () => {
    const input = pipe();
    const output = pipe();
    const child = spawn('tr', ['a-z', 'A-Z'], { stdio: [input.reader, output.writer, 'inherit'] });
    input.writer.end('shout\n');
    const [text] = await Promise.all([readText(output.reader), exited(child)]);
    assert.equal(text, 'SHOUT\n');
  });

  it('a command that cannot start still gets its ends closed, so the reader ends', async () => {
    const { reader, writer } = pipe();
    const child = spawn('/nonexistent/ipckit-no-such-command', [], { stdio: ['ignore', writer, 'inherit'] });
    const [err] = (await once(child, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ENOENT');
    assert.equal(writer.destroyed, true);
    assert.equal(await readText(reader), '');
  });

  it('a closed end in stdio is refused with IPCKIT_CLOSED before anything starts', () => {
    const { reader, writer } = pipe();
    writer.close();
    assert.throws(() => spawn('true', [], { stdio: ['ignore', writer, 'inherit'] }), { code: ErrorCode.CLOSED });
    reader.close();
  });

  it('args must be an array', () => {
    assert.throws(() => spawn('true', 'x' as never), { code: ErrorCode.INVALID_ARGUMENT });
  });
});
