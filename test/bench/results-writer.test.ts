import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineFile } from '../../src/adapters/results-writer.js';
import { UsageError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

describe('LineFile', () => {
  test('replaces a file atomically and keeps the old one as FILE.bak', async () => {
    const dir = tempDir('holy-lines-');
    try {
      writeFileSync(join(dir, 'r.jsonl'), 'old\n');
      const f = await LineFile.open(dir, 'r.jsonl', '--out');
      await f.write('new');
      await f.close();
      assert.equal(readFileSync(join(dir, 'r.jsonl'), 'utf8'), 'new\n');
      assert.equal(readFileSync(join(dir, 'r.jsonl.bak'), 'utf8'), 'old\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('a path that is a folder is refused up front, and the folder is left where it is', async () => {
    const dir = tempDir('holy-lines-');
    try {
      mkdirSync(join(dir, 'results'));
      writeFileSync(join(dir, 'results', 'keep.txt'), 'x');
      await assert.rejects(LineFile.open(dir, 'results', '--out'), (e: unknown) => e instanceof UsageError && /--out results is a folder/.test(e.message));
      assert.ok(statSync(join(dir, 'results')).isDirectory());
      assert.equal(readFileSync(join(dir, 'results', 'keep.txt'), 'utf8'), 'x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
