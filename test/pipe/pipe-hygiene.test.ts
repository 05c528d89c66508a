// catalog A8 (nonblock-flag-hygiene): ipckit never leaves O_NONBLOCK on an
// open file description it shares with others (fd 1, inherited pipes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { pipe, spawn } from '../../src/index.js';
import { native } from '../../src/native.js';
import { exited, fixture, text } from '../helpers/children.js';
import { checkFdLeaks } from '../helpers/fds.js';

checkFdLeaks();

describe('shared file descriptions', () => {
  it('a non-Node child writing 2 MiB to a slowly drained, ipckit-watched stdout never sees EAGAIN', { skip: native().PIPE_NOWAIT ? false : 'this kernel lacks RWF_NOWAIT on pipes: ipckit must use O_NONBLOCK there', timeout: 60_000 }, async () => {
    const stdout = pipe({ capacity: 65536 });
    const extra = pipe();
    const child = spawn(process.execPath, [fixture('nonblock-hygiene')], { stdio: ['ignore', stdout.writer, 'pipe', extra.reader] });
    const report = text(child.stderr);
    // Drain slowly: small reads with pauses, so the pipe stays full.
    const buf = Buffer.alloc(4096);
    let total = 0;
    for (let i = 0; ; i++) {
      const n = await stdout.reader.readInto(buf);
      if (n === 0) break;
      total += n;
      if (i % 16 === 0) await delay(1);
    }
    const [code] = await exited(child);
    extra.writer.close();
    stdout.reader.close();
    assert.equal(code, 0);
    const r = JSON.parse((await report).trim().split('\n').pop()!) as Record<string, unknown>;
    assert.equal(r.code, 0, `python failed: ${String(r.stderr)}`);
    assert.doesNotMatch(String(r.stderr), /Resource temporarily unavailable|BlockingIOError/);
    assert.equal(r.during, r.before, 'flags changed while ipckit watched fd 1');
    assert.equal(r.after, r.before, 'flags changed after ipckit closed its wrapper');
    assert.equal(total, 2048 * 1024);
  });
});
