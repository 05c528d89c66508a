// After close(), every ipckit method throws IPCKIT_CLOSED; close() is
// idempotent; the dispose symbols close (and flush, for async dispose).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { ErrorCode, pipe, type PipeReader, type PipeWriter } from '../../src/index.js';
import { checkFdLeaks } from '../helpers/fds.js';

checkFdLeaks();

const closed = { code: ErrorCode.CLOSED, name: 'IpckitError' };

function readerCalls(r: PipeReader): Array<[string, () => unknown]> {
  return [
    ['fd', () => r.fd],
    ['readSync', () => r.readSync(Buffer.alloc(1))],
    ['tryClone', () => r.tryClone()],
    ['intoFd', () => r.intoFd()],
    ['getCapacity', () => r.getCapacity()],
    ['setCapacity', () => r.setCapacity(65536)],
    ['ref', () => r.ref()],
    ['unref', () => r.unref()],
  ];
}

function writerCalls(w: PipeWriter): Array<[string, () => unknown]> {
  return [
    ['fd', () => w.fd],
    ['writeSync', () => w.writeSync(Buffer.alloc(1))],
    ['tryClone', () => w.tryClone()],
    ['intoFd', () => w.intoFd()],
    ['getCapacity', () => w.getCapacity()],
    ['setCapacity', () => w.setCapacity(65536)],
    ['ref', () => w.ref()],
    ['unref', () => w.unref()],
  ];
}

describe('after close()', () => {
  it('every PipeReader method throws IPCKIT_CLOSED, naming the method', async () => {
    const { reader, writer } = pipe();
    reader.close();
    reader.close(); // idempotent
    for (const [name, call] of readerCalls(reader)) {
      assert.throws(call, { ...closed, message: new RegExp(`PipeReader\\.${name}\\(\\)`) }, name);
    }
    await assert.rejects(reader.readInto(Buffer.alloc(1)), closed);
    await assert.rejects(reader.peerClosed(), closed);
    writer.close();
  });

  it('every PipeWriter method throws IPCKIT_CLOSED', async () => {
    const { reader, writer } = pipe();
    writer.close();
    writer.close();
    for (const [name, call] of writerCalls(writer)) assert.throws(call, closed, name);
    await assert.rejects(writer.peerClosed(), closed);
    reader.close();
  });

  it('an end closed by reaching the end of the stream behaves the same', async () => {
    const { reader, writer } = pipe();
    writer.end();
    reader.resume();
    await once(reader, 'close');
    for (const [name, call] of [...readerCalls(reader), ...writerCalls(writer)]) assert.throws(call, closed, name);
  });

  it('a pending peerClosed() rejects with IPCKIT_CLOSED when this end closes', async () => {
    const { reader, writer } = pipe();
    const p = writer.peerClosed();
    writer.close();
    await assert.rejects(p, closed);
    reader.close();
  });

  it('stream methods keep Node stream semantics (no throw from write after close)', async () => {
    const { reader, writer } = pipe();
    writer.close();
    const err = await new Promise<Error | null | undefined>((resolve) => writer.write('x', resolve));
    assert.equal((err as NodeJS.ErrnoException).code, 'ERR_STREAM_DESTROYED');
    reader.close();
  });

  it('Symbol.dispose closes; Symbol.asyncDispose on a writer flushes first', async () => {
    const { reader, writer } = pipe({ capacity: 65536 });
    let total = 0;
    reader.on('data', (c: Buffer) => (total += c.length));
    const ended = once(reader, 'end');
    {
      await using w = writer;
      w.write(Buffer.alloc(300_000, 9)); // more than fits: must be flushed, not dropped
    }
    assert.equal(writer.destroyed, true);
    await ended;
    assert.equal(total, 300_000);
    {
      const p = pipe();
      using r = p.reader;
      using w = p.writer;
      assert.ok(r.fd > 0 && w.fd > 0);
    }
  });
});
