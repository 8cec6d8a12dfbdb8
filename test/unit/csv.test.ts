import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { csvField, csvLine } from '../../src/core/csv.js';

test('csvLine: what holy writes, csv-parse reads back field for field', () => {
  const rows: unknown[][] = [
    ['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\rhere', '', ' spaced '],
    [1.23456, 0, -2, Number.NaN, null, undefined, 'x'],
  ];
  const text = rows.map(csvLine).join('\n');
  const back = parse(text, { relax_column_count: false }) as string[][];
  assert.deepEqual(back[0], ['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\rhere', '', ' spaced ']);
  assert.deepEqual(back[1], ['1.235', '0', '-2', '', '', '', 'x']);
});

test('csvField quotes only when it must', () => {
  assert.equal(csvField('abc'), 'abc');
  assert.equal(csvField('a"b'), '"a""b"');
  assert.equal(csvField(2.5), '2.5');
});
