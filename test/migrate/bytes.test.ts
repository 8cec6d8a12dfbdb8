import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeBytes, encodeBytes, hasEscapedBytes } from '../../src/core/envfile/bytes.js';
import { runHoly } from '../helpers/ctx.js';
import { BASE, bytesOf, envDir, others } from './helpers.js';

describe('env files as bytes', () => {
  test('decode → encode is the identity on any bytes; valid UTF-8 decodes as UTF-8', () => {
    const cases = [Buffer.from('Caf\xe9 \xff\xfe\x80', 'latin1'), Buffer.from([0xef, 0xbb, 0xbf, 0x41]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xc0, 0xaf])];
    for (let i = 0; i < 3000; i++) cases.push(randomBytes(i % 40));
    for (const b of cases) assert.deepEqual(encodeBytes(decodeBytes(b)), b, b.toString('hex'));
    assert.equal(decodeBytes(Buffer.from('Café ✓ 😀')), 'Café ✓ 😀');
    assert.equal(hasEscapedBytes(decodeBytes(Buffer.from('Café 😀'))), false);
    assert.equal(hasEscapedBytes(decodeBytes(Buffer.from('Caf\xe9', 'latin1'))), true);
  });

  test('Latin-1 bytes in lines holy does not edit survive migrate and rollback byte for byte', async () => {
    const original = Buffer.concat([Buffer.from('# Caf\xe9 config\nAPP_NAME=Caf\xe9\n', 'latin1'), Buffer.from(BASE), Buffer.from('GREETING="Gr\xfc\xdfe \xa0"\n', 'latin1')]);
    const d = envDir(original);
    const m = await runHoly(['migrate', '--yes'], { cwd: d });
    assert.equal(m.code, 0, m.stderr);
    const after = bytesOf(d);
    assert.ok(!after.includes(Buffer.from([0xef, 0xbf, 0xbd])), 'no U+FFFD replacement anywhere');
    assert.ok(after.includes(Buffer.from('# Caf\xe9 config\nAPP_NAME=Caf\xe9\n', 'latin1')));
    assert.ok(after.includes(Buffer.from('GREETING="Gr\xfc\xdfe \xa0"\n', 'latin1')));
    assert.match(after.toString('latin1'), /^OPENAI_BASE_URL=https:\/\/api\.holysheep\.ai\/v1$/m);
    const r = await runHoly(['rollback', '--yes'], { cwd: d });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(bytesOf(d), original);
  });

  test('a file with a NUL byte is refused untouched (exit 2, one sentence naming the line)', async () => {
    const original = Buffer.concat([Buffer.from(BASE), Buffer.from([0x00, 0x01, 0x02, 0x0a])]);
    const d = envDir(original);
    const r = await runHoly(['migrate', '--yes'], { cwd: d });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^holy: env file \.env holds a NUL byte \(line 5\), so it is not a text dotenv file; holy changed nothing\.$/m);
    assert.deepEqual(bytesOf(d), original);
    assert.deepEqual(others(d), ['.env']);
  });

  test('a UTF-16 file (NUL bytes everywhere) is refused too', async () => {
    const original = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(BASE, 'utf16le')]);
    const d = envDir(original);
    const r = await runHoly(['migrate', '--yes'], { cwd: d });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /NUL byte/);
    assert.deepEqual(bytesOf(d), original);
  });

  test('invalid UTF-8 in a line holy must edit is refused untouched (exit 2), for migrate and rollback', async () => {
    const original = Buffer.from(BASE.replace('https://api.openai.com/v1', 'https://api.openai.com/v1#caf\xe9'), 'latin1');
    const d = envDir(original);
    for (const cmd of ['migrate', 'rollback']) {
      const r = await runHoly([cmd, '--yes'], { cwd: d });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^holy: \.env line 3 \(OPENAI_BASE_URL\) holds bytes that are not UTF-8, so holy cannot edit it safely; nothing was changed\.$/m);
      assert.deepEqual(bytesOf(d), original);
      assert.deepEqual(others(d), ['.env']);
    }
  });
});
