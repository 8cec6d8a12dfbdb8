/** --record: results lines bench reads back, 0600, rotation by size, redaction before the disk, sampling, flags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { fakeCtx } from '../helpers/ctx.js';
import { Recorder, RotatingFile, recordOptions, redactPattern, type RecordOptions } from '../../src/gateway/cutover/recorder.js';
import { readTraffic } from '../../src/adapters/traffic/read.js';
import type { Served } from '../../src/gateway/contract.js';
import type { TrafficItem } from '../../src/adapters/traffic/types.js';
import { UsageError } from '../../src/errors.js';
import { Untrusted } from '../../src/core/untrusted.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
let seq = 0;
function served(o: Partial<Served> = {}): Served {
  return {
    requestId: `req-${++seq}`, tenant: 'acme', endpoint: 'chat',
    request: { model: 'gpt-4.1', messages: [{ role: 'user', content: 'my card is 4111 1111 1111 1111, mail me at ann@example.com' }], stream: true },
    provider: 'official', arm: 'primary', modelServed: 'gpt-4.1', ok: true, httpStatus: 200,
    text: 'Sure ann@example.com, card 4111 1111 1111 1111 noted.', finishReason: 'stop',
    toolCalls: [{ id: 'c1', type: 'function', function: { name: 'send', arguments: '{"to":"ann@example.com"}' } }],
    usage: { inputTokens: 30, cachedTokens: 0, outputTokens: 12, estimated: false },
    ttfbMs: 40, ttftMs: 55.5, e2eMs: 230.25, startedAt: T0, ...o,
  };
}
const quiet = { metrics: { count: () => {}, gauge: () => {} }, log: () => {} };
const opts = (file: string, o: Partial<RecordOptions> = {}): RecordOptions => ({ file, sample: 1, redact: [], maxBytes: 100 * 1024 * 1024, keep: 5, ...o });

async function items(cwd: string, file: string): Promise<TrafficItem[]> {
  const out: TrafficItem[] = [];
  for await (const it of readTraffic(fakeCtx({ cwd }), [file], { strict: true }).items) out.push(it);
  return out;
}

test('a recording is holy results JSONL that bench reads back as the recorded baseline, with its timings; the file is 0600', async () => {
  const dir = tempDir('holy-rec-');
  const file = join(dir, 'traffic.jsonl');
  const r = await Recorder.open({ ...opts(file), ...quiet });
  r.served(served());
  r.served(served({ ok: false, httpStatus: 502, error: 'upstream: bad gateway', text: undefined, toolCalls: undefined, usage: undefined, ttftMs: undefined }));
  r.served(served({ endpoint: 'embeddings', request: { model: 'text-embedding-3-small', input: 'x' } }));
  await r.close();
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2, 'embeddings are not recorded');
  assert.equal(lines[0].role, 'old');
  assert.equal(lines[0].provider, 'official');
  assert.equal(lines[0].tenant, 'acme');
  assert.equal(lines[0].response.body.choices[0].message.content, 'Sure ann@example.com, card 4111 1111 1111 1111 noted.');
  assert.deepEqual(lines[0].timings, { ttfbMs: 40, ttftMs: 55.5, e2eMs: 230.25 });
  assert.equal(lines[1].ok, false);
  assert.equal(lines[1].errorClass, 'http_502');
  const back = await items(dir, 'traffic.jsonl');
  assert.equal(back.length, 2);
  assert.equal(back[0]!.format, 'holy-results');
  assert.equal(back[0]!.body.model, 'gpt-4.1');
  assert.equal(back[0]!.recorded?.status, 200);
  assert.equal(back[0]!.recorded?.ttftMs, 55.5);
  assert.equal(back[0]!.recorded?.e2eMs, 230.25);
  assert.equal(back[0]!.recordedAt, T0);
  assert.equal((back[0]!.recorded?.body as { usage: { completion_tokens: number } }).usage.completion_tokens, 12);
  assert.equal(back[1]!.recorded?.status, 502);
});

test('an existing recording file is appended to and made 0600', async () => {
  const dir = tempDir('holy-rec-');
  const file = join(dir, 'traffic.jsonl');
  writeFileSync(file, '');
  chmodSync(file, 0o644);
  const r = await Recorder.open({ ...opts(file), ...quiet });
  r.served(served());
  await r.close();
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 1);
});

test('--record-redact masks prompts, answers and tool-call arguments before anything is written; keys never reach the file', async () => {
  const dir = tempDir('holy-rec-');
  const file = join(dir, 'traffic.jsonl');
  const key = ['sk', 'proj', 'A1b2C3d4E5f6G7h8J9k0L1m2'].join('-');
  const u = new Untrusted([key]);
  const r = await Recorder.open({ ...opts(file, { redact: [redactPattern('\\b(?:\\d{4} ){3}\\d{4}\\b'), redactPattern('/[A-Z0-9._%+-]+@[A-Z0-9.-]+\\.[A-Z]{2,}/i')] }), ...quiet, untrusted: u });
  r.served(served({ request: { model: 'gpt-4.1', messages: [{ role: 'user', content: [{ type: 'text', text: `card 4111 1111 1111 1111 ann@example.com key ${key}` }] }] } }));
  await r.close();
  const raw = readFileSync(file, 'utf8');
  assert.doesNotMatch(raw, /4111 1111/);
  assert.doesNotMatch(raw, /ann@example\.com/i);
  assert.ok(!raw.includes(key), 'the key is not in the file');
  assert.ok(!raw.includes(key.slice(8, 20)), 'no piece of the key either');
  const l = JSON.parse(raw);
  assert.equal(l.request.messages[0].content[0].text.startsWith('card [redacted] [redacted] key'), true);
  assert.equal(l.response.body.choices[0].message.content, 'Sure [redacted], card [redacted] noted.');
  assert.equal(l.response.body.choices[0].message.tool_calls[0].function.arguments, '{"to":"[redacted]"}');
  assert.equal(l.request.model, 'gpt-4.1', 'the model is not a prompt: kept');
});

test('rotation by size: FILE → FILE.1 → FILE.2, the oldest beyond --record-keep removed, every file 0600', async () => {
  const dir = tempDir('holy-rec-');
  const file = join(dir, 'traffic.jsonl');
  const one = JSON.stringify({ pad: 'x'.repeat(200) });
  const f = await RotatingFile.open(file, { maxBytes: 1000, keep: 2 });
  for (let i = 0; i < 20; i++) {
    f.write(JSON.stringify({ i, pad: 'x'.repeat(200) }));
    await f.idle();
  }
  await f.close();
  assert.ok(f.rotations >= 4, `${f.rotations} rotations`);
  for (const p of [file, `${file}.1`, `${file}.2`]) {
    assert.ok(existsSync(p), p);
    assert.ok(statSync(p).size <= 1000, `${p} ${statSync(p).size} bytes`);
    assert.equal(statSync(p).mode & 0o777, 0o600);
  }
  assert.equal(existsSync(`${file}.3`), false);
  const last = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).i as number);
  assert.equal(last[last.length - 1], 19);
  const prev = readFileSync(`${file}.1`, 'utf8').trim().split('\n').map((l) => JSON.parse(l).i as number);
  assert.equal(prev[prev.length - 1], last[0]! - 1, 'FILE.1 holds the lines just before FILE');
  assert.ok(one.length < 1000);
});

test('a backlog over the cap is dropped and counted, never held without bound', async () => {
  const dir = tempDir('holy-rec-');
  const drops: string[] = [];
  const f = await RotatingFile.open(join(dir, 't.jsonl'), { maxBytes: 1e9, keep: 1, maxQueueBytes: 1000, onDrop: (r) => drops.push(r) });
  let ok = 0;
  for (let i = 0; i < 50; i++) if (f.write('y'.repeat(100))) ok++;
  await f.close();
  assert.ok(ok >= 9 && ok < 50, `${ok} queued`);
  assert.equal(drops.length, 50 - ok);
  assert.deepEqual([...new Set(drops)], ['backlog']);
  assert.equal(f.written, ok);
});

test('--record-sample keeps about that share (seeded)', async () => {
  const dir = tempDir('holy-rec-');
  const file = join(dir, 'traffic.jsonl');
  let x = 7;
  const random = () => ((x = (x * 48271) % 2147483647) / 2147483647);
  const r = await Recorder.open({ ...opts(file, { sample: 0.1 }), ...quiet, random });
  for (let i = 0; i < 1000; i++) r.served(served());
  await r.close();
  const n = readFileSync(file, 'utf8').trim().split('\n').length;
  assert.ok(n > 60 && n < 140, `${n} of 1000 at 0.1`);
});

test('recordOptions: defaults, and every bad value names its flag', () => {
  assert.equal(recordOptions('/x', {}), undefined);
  const o = recordOptions('/srv', { record: 'traffic.jsonl' })!;
  assert.deepEqual({ ...o, redact: o.redact.length }, { file: '/srv/traffic.jsonl', sample: 1, redact: 0, maxBytes: 100 * 1024 * 1024, keep: 5 });
  assert.equal(recordOptions('/srv', { record: 't.jsonl', recordMaxMb: '0.5', recordKeep: '2', recordSample: '0.25' })!.maxBytes, 524288);
  const bad: Array<[Parameters<typeof recordOptions>[1], RegExp]> = [
    [{ recordSample: '0.1' }, /--record-sample only applies with --record FILE/],
    [{ record: 't', recordSample: '2' }, /--record-sample "2"/],
    [{ record: 't', recordSample: '0' }, /--record-sample "0"/],
    [{ record: 't', recordMaxMb: 'big' }, /--record-max-mb "big"/],
    [{ record: 't', recordKeep: '0' }, /--record-keep "0"/],
    [{ record: 't', recordRedact: ['(unclosed'] }, /--record-redact "\(unclosed" is not a valid regular expression/],
    [{ record: 't', recordRedact: [''] }, /--record-redact "": an empty pattern/],
    [{ record: ' ' }, /--record needs a file name/],
  ];
  for (const [f, re] of bad) assert.throws(() => recordOptions('/srv', f), (e: unknown) => e instanceof UsageError && re.test((e as Error).message), JSON.stringify(f));
});

test('a recording path that cannot be opened is a usage error naming the flag', async () => {
  await assert.rejects(RotatingFile.open('/nonexistent-dir-holy/t.jsonl', { maxBytes: 10, keep: 1 }), /--record \/nonexistent-dir-holy\/t\.jsonl cannot be written \(ENOENT\)/);
});
