// End of stream and peer departure: the reader ends when every writer is
// gone; the writer learns when every reader is gone, even without writing.
import assert from 'node:assert/strict';
import { spawn as nodeSpawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { ErrorCode, pipe } from '../../src/index.js';
import { exited, timeScale } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';

checkFdLeaks();

describe('end of stream', () => {
  // catalog A7 (forgotten-writer-eof): an unrelated child spawned while the
  // pipe exists must not hold a copy of the write end. Without close-on-exec
  // the reader would wait for the child (30 s) instead of ending at once.
  it('the reader ends within 50 ms of our writer closing, though an unrelated child lives', async () => {
    const { reader, writer } = pipe();
    const sleeper = nodeSpawn('sleep', ['30'], { stdio: 'ignore' });
    await once(sleeper, 'spawn');
    try {
      reader.resume();
      const t0 = performance.now();
      writer.close();
      await once(reader, 'end');
      const ms = performance.now() - t0;
      assert.equal(sleeper.exitCode, null, 'the end came only once the unrelated child had exited');
      assert.ok(ms < 50 * timeScale, `end took ${ms.toFixed(1)} ms`);
    } finally {
      sleeper.kill('SIGKILL');
      await exited(sleeper);
    }
  });

  it('readSync sees the end once every clone of the writer is closed', () => {
    const { reader, writer } = pipe();
    const clone = writer.tryClone();
    writer.close();
    clone.writeSync(Buffer.from('z'));
    const buf = Buffer.alloc(4);
    assert.equal(reader.readSync(buf), 1);
    assert.throws(() => reader.readSync(buf, { timeout: 0 }), { code: ErrorCode.TIMEOUT }, 'the clone keeps it open');
    clone.close();
    assert.equal(reader.readSync(buf), 0);
    reader.close();
  });
});

describe('peer departure without I/O', () => {
  it("the writer emits 'peerclose' and resolves peerClosed() when the reader closes, having never written", async () => {
    const { reader, writer } = pipe();
    const event = once(writer, 'peerclose');
    const promise = writer.peerClosed();
    reader.close();
    await Promise.all([event, promise]);
    assert.equal(writer.writableLength, 0);
    await writer.peerClosed(); // settled state is remembered
    writer.close();
  });

  it("the reader emits 'peerclose' when every writer has closed, before it reads anything", async () => {
    const { reader, writer } = pipe();
    writer.write('unread');
    const event = once(reader, 'peerclose');
    writer.close();
    await event;
    // the data is still there to read
    const buf = Buffer.alloc(16);
    assert.equal(await reader.readInto(buf), 6);
    reader.close();
  });

  it('a reader in a child process counts: the writer learns when the child exits', async () => {
    const { reader, writer } = pipe();
    const child = nodeSpawn('sh', ['-c', 'read line <&3'], { stdio: ['ignore', 'ignore', 'inherit', reader] });
    reader.close();
    let gone = false;
    const p = writer.peerClosed().then(() => (gone = true));
    await once(child, 'spawn');
    assert.equal(gone, false, 'the child still holds the read end');
    writer.write('go\n');
    await p;
    await exited(child);
    writer.close();
  });

  it('dup caveat: a clone of the reader keeps the pipe readable', async () => {
    const { reader, writer } = pipe();
    const clone = reader.tryClone();
    let gone = false;
    const p = writer.peerClosed().then(() => (gone = true));
    reader.close();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.equal(gone, false);
    clone.close();
    await p;
    writer.close();
  });

  it('peerClosed() can be aborted', async () => {
    const { reader, writer } = pipe();
    const ac = new AbortController();
    const p = writer.peerClosed({ signal: ac.signal });
    ac.abort(new Error('no longer interested'));
    await assert.rejects(p, /no longer interested/);
    reader.close();
    writer.close();
  });

  it("unref() lets the process exit while it watches for 'peerclose' or reads", async () => {
    const code = `
      import { pipe } from ${JSON.stringify(new URL('../../src/index.js', import.meta.url).href)};
      const { reader, writer } = pipe();
      writer.on('peerclose', () => {}).unref();
      reader.on('data', () => {}).unref();
    `;
    const child = nodeSpawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'inherit' });
    const [status] = await exited(child);
    assert.equal(status, 0);
  });
});
