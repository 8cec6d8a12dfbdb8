import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { TimeParser } from '../../src/core/roi/time.js';
import { scanRecords } from '../../src/adapters/usage/records.js';
import { ByteRow, type CsvRecord } from '../../src/adapters/usage/rows.js';
import { mulberry32 } from '../../src/core/rng.js';

const iso = (p: TimeParser, s: string) => {
  const b = Buffer.from(`x,${s},y`, 'latin1');
  return p.parseBytes(b, 2, 2 + b.length - 4) ?? p.parse(s);
};

test('ISO timestamps read from bytes give exactly what the string parser gives, or defer to it', () => {
  const cases = [
    '2026-10-01 08:00:00', '2026-10-01T08:00:00', '2026-10-01T08:00:00Z', '2026-10-01T08:00:00.123Z', '2026-10-01T08:00:00.123456+05:30',
    '2026-10-01T08:00:00-0800', '2026-10-01T08:00:00+08', '2026-10-01T23:59:60Z', '2024-02-29 12:00:00', '2026-02-29 12:00:00', '2026-02-30T00:00:00Z',
    '2026-13-01 00:00:00', '2026-10-01 24:00:00', '2026-10-01 08:60:00', '2026-10-01T08:00:00+05:', '2026-10-01T08:00:00+5:30', '2026-10-01T08:00:00Zjunk',
    '2026-10-01T08:00:00 ', ' 2026-10-01T08:00:00', '2026-10-01X08:00:00', '2026-1a-01 08:00:00', '0099-01-01T00:00:00Z', '0100-03-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z', '2026-10-01T08:00:00.Z', '2026-10-01T08:00:00.5', '2026-10-01', '2026-10-01T08:00', '2026-10-01T08:00:00+0530',
  ];
  const rand = mulberry32(4);
  for (let i = 0; i < 3000; i++) {
    const t = Math.floor(rand() * 4e12);
    const d = new Date(t).toISOString();
    const shapes = [d, d.replace('T', ' ').replace(/\.\d+Z$/, ''), d.replace('Z', '+02:00'), d.replace(/\.\d+Z$/, '-0930'), d.slice(0, 19)];
    cases.push(shapes[i % shapes.length]!);
  }
  const viaBytes = new TimeParser();
  const viaString = new TimeParser();
  viaBytes.parse(cases[0]!);
  viaString.parse(cases[0]!);
  for (const c of cases) {
    const a = iso(viaBytes, c);
    const b = viaString.parse(c);
    assert.ok(Object.is(a, b), `${JSON.stringify(c)}: bytes ${a} vs string ${b}`);
  }
  // The byte path really takes the common shapes (no string fallback).
  const p = new TimeParser();
  p.parse('2026-10-01 08:00:00');
  assert.equal(p.parseBytes(Buffer.from('2026-10-01 08:00:00'), 0, 19), Date.UTC(2026, 9, 1, 8));
});

test('one quoted line in a chunk: only that line goes to csv-parse, its neighbours keep the byte path; same records as csv-parse', async () => {
  const lines = ['id,tenant,model,input'];
  for (let i = 0; i < 200; i++) lines.push(i === 100 ? `${i},"Acme, Inc. ""EU""",gpt-4o,${i}` : i === 150 ? `${i},"multi\nline",gpt-4o,${i}` : `${i},t${i % 3},gpt-4o,${i}`);
  const text = lines.join('\n') + '\n';
  const got: Array<{ line: number; fields: string[]; bytes: boolean }> = [];
  await scanRecords([Buffer.from(text)], (r: CsvRecord, line) => got.push({ line, fields: Array.from({ length: r.length }, (_, i) => r.text(i)), bytes: r instanceof ByteRow }), { file: 't.csv' });
  assert.deepEqual(got.map((g) => g.fields), parse(text) as string[][]);
  const slow = got.filter((g) => !g.bytes).map((g) => g.fields[0]);
  assert.deepEqual(slow, ['99', '149'].map((x) => String(Number(x) + 1)), 'only the two quoted records are parsed as text');
  // Physical line numbers survive the multi-line record.
  assert.equal(got.find((g) => g.fields[0] === '150')!.line, 152);
  assert.equal(got.find((g) => g.fields[0] === '151')!.line, 154);
});

test('splitQuotedLine agrees with csv-parse on well-formed lines and defers on the rest', async () => {
  const { splitQuotedLine } = await import('../../src/adapters/usage/records.js');
  const ok = ['a,"b, c",d', '"x"', '"",1,""', 'a,"say ""hi""",', '"a""",b', ',"",', '1,"Acme, Inc.",gpt-4o,12', '"é, ü",2'];
  for (const l of ok) assert.deepEqual(splitQuotedLine(l), (parse(l, { relax_column_count: true, relax_quotes: true }) as string[][])[0], l);
  for (const l of ['a"b,c', '"a"b,c', '"a" ,b', '"abc', 'x,"y"z']) assert.equal(splitQuotedLine(l), undefined, l);
});
