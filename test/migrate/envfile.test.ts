import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as dotenvParse } from 'dotenv';
import { parseEnv, printEnv, envValues, entriesOf, type EnvEntry } from '../../src/core/envfile/parse.js';
import { UsageError } from '../../src/errors.js';
import { encodeValue, setEntryValue, newEntry, appendEntry } from '../../src/core/envfile/edit.js';
import { ROOT } from '../helpers/ctx.js';

const FIX = join(ROOT, 'fixtures', 'env');
const fixtures = readdirSync(FIX).filter((f) => f.endsWith('.env'));

/** Values as the dotenv package reads them (its object has no prototype surprises for our keys). */
const dotenv = (s: string) => ({ ...dotenvParse(s) });

describe('dotenv model: parse → print is the identity and values match dotenv', () => {
  test('there are fixtures for every tricky case', () => {
    for (const f of ['sample', 'crlf', 'export', 'quotes', 'multiline', 'inline-comments', 'repeated', 'equals', 'no-final-newline', 'legacy']) {
      assert.ok(fixtures.includes(`${f}.env`), `fixtures/env/${f}.env missing`);
    }
  });

  for (const f of fixtures) {
    test(`fixture ${f}`, () => {
      const text = readFileSync(join(FIX, f), 'utf8');
      const model = parseEnv(text);
      assert.equal(printEnv(model), text);
      assert.deepEqual(envValues(model), dotenv(text));
    });
  }

  test('each dotenv case reads as dotenv reads it', () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['A=1\r\nB=2\r\n', { A: '1', B: '2' }],
      ['export A=x\n', { A: 'x' }],
      ["A='raw \\n'\n", { A: 'raw \\n' }],
      ['A="esc \\n"\n', { A: 'esc \n' }],
      ['A=`back`\n', { A: 'back' }],
      ['A="multi\nline"\n', { A: 'multi\nline' }],
      ['A="multi\r\nline"\r\n', { A: 'multi\nline' }],
      ['A=b=c\n', { A: 'b=c' }],
      ['A=val # comment\n', { A: 'val' }],
      ['A="v # no"\n', { A: 'v # no' }],
      ['A=1\nA=2\n', { A: '2' }],
      ['# A=1\n\n', {}],
      ['K: v\n', { K: 'v' }],
    ];
    for (const [src, want] of cases) {
      const m = parseEnv(src);
      assert.equal(printEnv(m), src);
      assert.deepEqual(envValues(m), want, JSON.stringify(src));
      assert.deepEqual(envValues(m), dotenv(src), `dotenv disagrees on ${JSON.stringify(src)}`);
    }
  });

  test('random inputs round-trip byte for byte and agree with dotenv.parse', () => {
    const alphabet = ['A', 'B', 'KEY', '_x', '=', '=', ' ', '\t', '#', "'", '"', '`', '\\', 'n', '\n', '\n', '\r\n', '\r', 'export ', ':', ' ', 'v', '1', '.', '-', '\u2028'];
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 3000; i++) {
      const n = Math.floor(rnd() * 40);
      let s = '';
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const m = parseEnv(s);
      assert.equal(printEnv(m), s, `round trip of ${JSON.stringify(s)}`);
      assert.deepEqual(envValues(m), dotenv(s), `values of ${JSON.stringify(s)}`);
    }
  });

  test('line numbers and the dominant line ending are tracked', () => {
    const m = parseEnv('# c\r\nA=1\r\n\r\nB="x\r\ny"\r\nC=3\n');
    assert.deepEqual(entriesOf(m, 'C').map((e) => e.line), [6]);
    assert.deepEqual(entriesOf(m, 'B').map((e) => e.line), [4]);
    assert.equal(m.eol, '\r\n');
    assert.equal(parseEnv('A=1').eol, '\n');
  });
});

describe('dotenv edits keep every other byte', () => {
  test('setting a value keeps export, quotes, spacing and the inline comment', () => {
    const src = `  export   OPENAI_API_KEY = "old-value"   # prod key\r\n`;
    const m = parseEnv(src);
    const e = entriesOf(m, 'OPENAI_API_KEY')[0]!;
    const next = setEntryValue(e, 'hs-new-0000000000');
    assert.equal(next.text + next.eol, `  export   OPENAI_API_KEY = "hs-new-0000000000"   # prod key\r\n`);
    const unq = setEntryValue(entriesOf(parseEnv('A=x # c\n'), 'A')[0]!, 'https://h/v1');
    assert.equal(unq.text, 'A=https://h/v1 # c');
    const empty = setEntryValue(entriesOf(parseEnv('A=\n'), 'A')[0]!, 'v');
    assert.equal(empty.text, 'A=v');
  });

  test('values that need quoting get a style that reads back exactly', () => {
    for (const v of ['plain', 'has space', 'a#b', "it's", 'say "hi"', 'literal \\n', 'multi\nline', '', ' lead', "'wrapped'"]) {
      const src = encodeValue(v);
      assert.equal(dotenv(`K=${src}\n`).K, v, `${JSON.stringify(v)} encoded as ${src}`);
    }
    assert.equal(encodeValue('x', "'"), "'x'");
    assert.throws(() => encodeValue('a\'b"c`d\\n\n'), /reads back/);
  });

  test('a value no quote style can hold is a usage error naming the variable, never showing the value', () => {
    const secret = 'hs-Secret\'Value"With`Quotes #x';
    for (const f of [() => newEntry('OPENAI_API_KEY', secret, '\n'), () => setEntryValue(parseEnv('OPENAI_API_KEY=old\n').tokens[0] as EnvEntry, secret)]) {
      assert.throws(f, (e: unknown) => e instanceof UsageError && /OPENAI_API_KEY/.test(e.message) && !e.message.includes('Secret'));
    }
  });

  test('appending to a file without a final newline adds one in the file style', () => {
    const m = parseEnv('A=1\r\nB=2');
    appendEntry(m, newEntry('C', '3', m.eol));
    assert.equal(printEnv(m), 'A=1\r\nB=2\r\nC=3\r\n');
    const r = parseEnv('A=1\n# tail');
    appendEntry(r, newEntry('C', '3', r.eol));
    assert.equal(printEnv(r), 'A=1\n# tail\nC=3\n');
  });
});
