// The name mapping of local sockets is a pure function: tested here for
// every OS, whatever this machine runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, resolveLocalName, type NameContext } from '../../src/index.js';

const linux: NameContext = { platform: 'linux', env: {}, uid: 1000, username: 'ada', tmpdir: '/tmp' };
const linuxXdg: NameContext = { ...linux, env: { XDG_RUNTIME_DIR: '/run/user/1000' } };
const mac: NameContext = { platform: 'darwin', env: {}, uid: 501, username: 'ada', tmpdir: '/var/folders/xy/T/' };
const bsd: NameContext = { platform: 'freebsd', env: {}, uid: 1001, username: 'ada', tmpdir: '/tmp' };
const win: NameContext = { platform: 'win32', env: {}, uid: -1, username: 'Ada Lovelace', tmpdir: 'C:\\Temp' };

describe('local socket names', () => {
  it('a name lives in $XDG_RUNTIME_DIR/ipckit when that is set, else in a per-user directory under the temp dir', () => {
    assert.deepEqual(resolveLocalName('app', linuxXdg), { kind: 'path', path: '/run/user/1000/ipckit/app.sock', dir: '/run/user/1000/ipckit' });
    assert.deepEqual(resolveLocalName('app', linux), { kind: 'path', path: '/tmp/ipckit-1000/app.sock', dir: '/tmp/ipckit-1000' });
    assert.deepEqual(resolveLocalName('app', { ...linux, env: { XDG_RUNTIME_DIR: '/run/user/1000/' } }).kind, 'path');
    assert.equal((resolveLocalName('app', { ...linux, env: { XDG_RUNTIME_DIR: '/run/user/1000/' } }) as { path: string }).path, '/run/user/1000/ipckit/app.sock');
    // A relative XDG_RUNTIME_DIR is invalid per the spec: ignored.
    assert.equal((resolveLocalName('app', { ...linux, env: { XDG_RUNTIME_DIR: 'run' } }) as { path: string }).path, '/tmp/ipckit-1000/app.sock');
    assert.deepEqual(resolveLocalName('app', mac), { kind: 'path', path: '/var/folders/xy/T/ipckit-501/app.sock', dir: '/var/folders/xy/T/ipckit-501' });
    assert.deepEqual(resolveLocalName('app', bsd), { kind: 'path', path: '/tmp/ipckit-1001/app.sock', dir: '/tmp/ipckit-1001' });
    assert.deepEqual(resolveLocalName({ name: 'app' }, linux), resolveLocalName('app', linux));
  });

  it('abstract names only when asked for, and only on Linux; they carry the uid', () => {
    assert.deepEqual(resolveLocalName({ name: 'app', abstract: true }, linux), { kind: 'abstract', abstract: 'ipckit-1000/app' });
    assert.deepEqual(resolveLocalName({ name: 'app', abstract: false }, linux), resolveLocalName('app', linux));
    assert.throws(() => resolveLocalName({ name: 'app', abstract: true }, mac), { code: ErrorCode.UNSUPPORTED_PLATFORM });
    assert.throws(() => resolveLocalName({ name: 'app', abstract: true }, bsd), { code: ErrorCode.UNSUPPORTED_PLATFORM });
    assert.throws(() => resolveLocalName({ name: 'app', abstract: 'yes' as never }, linux), { code: ErrorCode.INVALID_ARGUMENT });
  });

  it('paths are used as they are (anything containing "/")', () => {
    assert.deepEqual(resolveLocalName('/run/app.sock', linux), { kind: 'path', path: '/run/app.sock' });
    assert.deepEqual(resolveLocalName('./app.sock', mac), { kind: 'path', path: './app.sock' });
    assert.deepEqual(resolveLocalName({ path: 'rel' }, linux), { kind: 'path', path: 'rel' });
    assert.throws(() => resolveLocalName({ path: '' }, linux), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => resolveLocalName('/a\0b', linux), { code: ErrorCode.INVALID_ARGUMENT });
  });

  it('Windows: named pipes with the user in the name; raw pipe names pass through; no socket paths', () => {
    assert.deepEqual(resolveLocalName('app', win), { kind: 'pipe', pipe: '\\\\.\\pipe\\ipckit-Ada_Lovelace-app' });
    assert.deepEqual(resolveLocalName({ name: 'app', abstract: true }, win), { kind: 'pipe', pipe: '\\\\.\\pipe\\ipckit-Ada_Lovelace-app' });
    assert.deepEqual(resolveLocalName('\\\\.\\pipe\\other', win), { kind: 'pipe', pipe: '\\\\.\\pipe\\other' });
    assert.throws(() => resolveLocalName({ path: 'C:\\x' }, win), { code: ErrorCode.UNSUPPORTED_PLATFORM });
    assert.equal((resolveLocalName('app', { ...win, username: '' }) as { pipe: string }).pipe, '\\\\.\\pipe\\ipckit-user-app');
  });

  it('names are short and tame: letters, digits, . _ -, not starting with a dot', () => {
    for (const ok of ['a', 'A1', 'my-app', 'my_app.v2', 'x'.repeat(100)]) assert.equal(resolveLocalName(ok, linux).kind, 'path');
    for (const bad of ['', '.hidden', '-x', 'a b', 'a\\b', 'ü', 'x'.repeat(101), 'a:b']) {
      assert.throws(() => resolveLocalName(bad, linux), { code: ErrorCode.INVALID_ARGUMENT }, JSON.stringify(bad));
    }
    for (const bad of [42, null, undefined, {}, { name: 1 }, []]) {
      assert.throws(() => resolveLocalName(bad as never, linux), { code: ErrorCode.INVALID_ARGUMENT }, JSON.stringify(bad));
    }
  });
});
