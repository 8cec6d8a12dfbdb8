import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, rmSync, readFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fakeCtx, ROOT } from '../helpers/ctx.js';
import { readTraffic } from '../../src/adapters/traffic/read.js';
import type { TrafficItem } from '../../src/adapters/traffic/types.js';
import { UsageError } from '../../src/errors.js';
import { viewFromCompletion } from '../../src/core/quality/compare.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = join(ROOT, 'fixtures/traffic');
let tmp: string;
before(() => (tmp = tempDir('holy-traffic-')));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function read(files: string[], strict = false, cwd = FIX) {
  const { items, stats } = readTraffic(fakeCtx({ cwd }), files, { strict });
  const list: TrafficItem[] = [];
  for await (const it of items) list.push(it);
  return { list, stats };
}

describe('plain chat-completion JSONL', () => {
  test('the sample: 20 requests with ids file:line, tools, JSON mode, Chinese and streaming among them', async () => {
    const { list, stats } = await read(['sample.jsonl']);
    assert.equal(list.length, 20);
    assert.deepEqual(list.map((i) => i.id), Array.from({ length: 20 }, (_, i) => `sample.jsonl:${i + 1}`));
    assert.ok(list.every((i) => i.format === 'chat-jsonl' && i.recorded === undefined));
    assert.ok(list.some((i) => Array.isArray(i.body.tools)));
    assert.ok(list.some((i) => (i.body.response_format as { type?: string } | undefined)?.type === 'json_object'));
    assert.ok(list.some((i) => i.body.stream === true));
    assert.ok(list.some((i) => JSON.stringify(i.body.messages).includes('订单')));
    assert.deepEqual(stats.files, [{ file: 'sample.jsonl', format: 'chat-jsonl', items: 20, skipped: 0 }]);
    assert.deepEqual(stats.problems, []);
  });
  test('BOM, CRLF and blank lines are tolerated and line numbers stay true', async () => {
    const f = join(tmp, 'crlf.jsonl');
    writeFileSync(f, '\uFEFF{"model":"m","messages":[{"role":"user","content":"a"}]}\r\n\r\n{"model":"m","messages":[{"role":"user","content":"b"}]}\r\n');
    const { list } = await read([f]);
    assert.deepEqual(list.map((i) => i.line), [1, 3]);
  });
});

describe('OpenAI Batch input + output', () => {
  test('joined on custom_id whatever the file order; non-chat endpoints skipped and counted', async () => {
    const { list, stats } = await read(['batch-output.jsonl', 'batch-input.jsonl']);
    assert.deepEqual(list.map((i) => [i.id, i.line]), [['req-1', 1], ['req-2', 2], ['req-3', 4], ['req-4', 5]]);
    assert.equal(viewFromCompletion(list[1]!.recorded!.body).content, 'Bonjour.');
    assert.equal(list[0]!.recorded!.status, 200);
    assert.deepEqual(list[3]!.recorded!.error, { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' });
    assert.deepEqual(stats.skippedEndpoints, { 'POST /v1/embeddings': 1 });
    assert.deepEqual(stats.files, [
      { file: 'batch-output.jsonl', format: 'batch-output', items: 4, skipped: 0 },
      { file: 'batch-input.jsonl', format: 'batch-input', items: 4, skipped: 1 },
    ]);
    assert.deepEqual(stats.problems, []);
  });
  test('keepRecorded: false joins and counts the same, without holding the responses', async () => {
    const { items, stats } = readTraffic(fakeCtx({ cwd: FIX }), ['batch-output.jsonl', 'batch-input.jsonl'], { strict: false, keepRecorded: false });
    const list: TrafficItem[] = [];
    for await (const it of items) list.push(it);
    assert.deepEqual(list.map((i) => [i.id, i.line]), [['req-1', 1], ['req-2', 2], ['req-3', 4], ['req-4', 5]]);
    assert.ok(list.every((i) => i.recorded === undefined));
    const full = await read(['batch-output.jsonl', 'batch-input.jsonl']);
    assert.deepEqual(stats, full.stats);
  });
  test('input alone replays without a baseline', async () => {
    const { list } = await read(['batch-input.jsonl']);
    assert.equal(list.length, 4);
    assert.ok(list.every((i) => i.recorded === undefined));
  });
  test('an output without its input is a reported problem, fatal with strict', async () => {
    const { list, stats } = await read(['batch-output.jsonl']);
    assert.equal(list.length, 0);
    assert.equal(stats.problems.length, 1);
    assert.match(stats.problems[0]!.reason, /pass its Batch input file too/);
    assert.equal(stats.files[0]!.skipped, 4);
    await assert.rejects(read(['batch-output.jsonl'], true), (e: Error) => e instanceof UsageError && /^batch-output\.jsonl:1: /.test(e.message));
  });
  test('outputs with no matching input line are reported by file:line', async () => {
    const input = readFileSync(join(FIX, 'batch-input.jsonl'), 'utf8').split('\n').slice(0, 2).join('\n') + '\n';
    writeFileSync(join(tmp, 'in2.jsonl'), input);
    writeFileSync(join(tmp, 'out.jsonl'), readFileSync(join(FIX, 'batch-output.jsonl')));
    const { list, stats } = await read(['in2.jsonl', 'out.jsonl'], false, tmp);
    assert.equal(list.length, 2);
    assert.ok(list.every((i) => i.recorded));
    assert.deepEqual(stats.problems.map((p) => [p.file, p.line]), [['out.jsonl', 3], ['out.jsonl', 4]]);
    assert.match(stats.problems[0]!.reason, /custom_id "req-3" has no matching line/);
  });
  test('duplicate custom_id and non-POST chat lines are problems', async () => {
    const f = join(tmp, 'dup.jsonl');
    const line = (id: string, method = 'POST') => JSON.stringify({ custom_id: id, method, url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: 'x' }] } });
    writeFileSync(f, [line('a'), line('a'), line('b', 'GET'), JSON.stringify({ custom_id: 'c', method: 'POST', url: '/v1/chat/completions', body: { model: 'm' } })].join('\n'));
    const { list, stats } = await read([f]);
    assert.deepEqual(list.map((i) => i.id), ['a']);
    assert.deepEqual(stats.problems.map((p) => [p.line, p.reason]), [
      [2, 'duplicate custom_id "a" (first on line 1)'],
      [3, 'unsupported method GET (Batch lines must be POST)'],
      [4, 'no "body.messages"'],
    ]);
  });
});

describe('HAR', () => {
  test('chat POSTs become items with the recorded response; other entries skipped and counted', async () => {
    const { list, stats } = await read(['recorded.har']);
    assert.deepEqual(list.map((i) => [i.id, i.line, i.format]), [['recorded.har#2', 2, 'har'], ['recorded.har#4', 4, 'har']]);
    assert.equal(list[0]!.recordedAt, Date.parse('2026-01-01T00:00:02.000Z'));
    assert.equal(viewFromCompletion(list[0]!.recorded!.body).content, 'こんにちは');
    assert.equal(list[0]!.recorded!.e2eMs, 640);
    assert.deepEqual(stats.skippedEndpoints, { 'GET /v1/models': 1, 'OPTIONS /v1/chat/completions': 1 });
    assert.deepEqual(stats.files, [{ file: 'recorded.har', format: 'har', items: 2, skipped: 2 }]);
  });
  test('an SSE response is reassembled into a completion (role-only chunk, usage chunk, [DONE])', async () => {
    const { list } = await read(['recorded.har']);
    const rec = list[1]!.recorded!;
    assert.equal(list[1]!.body.stream, true);
    assert.deepEqual(viewFromCompletion(rec.body), { content: 'Latency matters.', finishReason: 'stop' });
    assert.deepEqual((rec.body as { usage?: unknown }).usage, { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });
  });
  test('auth headers never reach an item', async () => {
    assert.match(readFileSync(join(FIX, 'recorded.har'), 'utf8'), /Bearer hs-fake-key/); // the fixture does carry one
    const { list } = await read(['recorded.har']);
    const text = JSON.stringify(list);
    assert.ok(!text.includes('hs-fake-key'));
    assert.ok(!/authorization/i.test(text));
  });
  test('a broken or non-HAR JSON document is one clear sentence', async () => {
    writeFileSync(join(tmp, 'broken.har'), '{"log": {"entries": [');
    await assert.rejects(read(['broken.har'], false, tmp), /broken\.har is not valid JSON, so it cannot be read as a HAR file/);
    writeFileSync(join(tmp, 'nolog.har'), '{"entries": []}');
    await assert.rejects(read(['nolog.har'], false, tmp), /nolog\.har has no "log" object/);
  });
  test('HAR entry problems carry the entry number', async () => {
    const har = { log: { version: '1.2', entries: [{ request: { method: 'POST', url: 'https://x/v1/chat/completions', headers: [] }, response: { status: 200, content: {} } }, { request: { method: 'POST', url: 'https://x/v1/chat/completions', postData: { text: '{"model":"m"}' } } }] } };
    writeFileSync(join(tmp, 'p.har'), JSON.stringify(har));
    const { stats } = await read(['p.har'], false, tmp);
    assert.deepEqual(stats.problems.map((p) => p.line), [1, 2]);
    assert.match(stats.problems[0]!.reason, /without request\.postData\.text/);
    assert.equal(stats.problems[1]!.reason, 'request body: no "messages"');
  });
  test('a recorded stream cut short is a recorded "truncated" error; base64 bodies are decoded', async () => {
    const chunk = (d: unknown) => `data: ${JSON.stringify({ id: 'x', model: 'm', choices: [{ index: 0, delta: d, finish_reason: null }] })}\n\n`;
    const cut = chunk({ role: 'assistant' }) + chunk({ content: 'Hel' });
    const entry = (text: string, encoding?: string) => ({
      startedDateTime: 'not a date',
      request: { method: 'POST', url: 'https://x/v1/chat/completions', postData: { text: '{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}' } },
      response: { status: 200, content: { mimeType: 'text/event-stream', text, ...(encoding ? { encoding } : {}) } },
    });
    writeFileSync(join(tmp, 'cut.har'), JSON.stringify({ log: { entries: [entry(cut), entry(Buffer.from(cut).toString('base64'), 'base64')] } }));
    const { list } = await read(['cut.har'], false, tmp);
    for (const it of list) {
      assert.equal(it.recorded!.error?.code, 'truncated');
      assert.equal(viewFromCompletion(it.recorded!.body).content, 'Hel');
      assert.equal(it.recordedAt, undefined);
    }
  });
});

describe("holy's own results", () => {
  test('old/new lines of one id become one item with the old response as the baseline', async () => {
    const { list, stats } = await read(['results.jsonl']);
    assert.deepEqual(list.map((i) => i.id), ['sample.jsonl:1', 'sample.jsonl:2', 'sample.jsonl:3']);
    assert.equal(viewFromCompletion(list[0]!.recorded!.body).content, 'Open Settings and choose Reset password.');
    assert.equal(list[0]!.recorded!.e2eMs, 402.25);
    assert.equal(list[0]!.recordedAt, Date.parse('2026-01-02T10:00:00.000Z'));
    // the old line came after the new one: still the old response, and the recorded (unmapped) model
    assert.equal(list[1]!.recorded!.status, 429);
    assert.equal(list[1]!.recorded!.error?.code, 'rate_limit');
    assert.equal(list[1]!.body.model, 'gpt-4-turbo');
    // only a new line: replayed without a baseline
    assert.equal(list[2]!.recorded, undefined);
    assert.deepEqual(stats.files, [{ file: 'results.jsonl', format: 'holy-results', items: 3, skipped: 0 }]);
  });
});

describe('bad lines and bad files', () => {
  test('bad lines are skipped and reported with line numbers', async () => {
    const { list, stats } = await read(['bad-lines.jsonl']);
    assert.deepEqual(list.map((i) => i.line), [1, 8]);
    assert.deepEqual(stats.problems.map((p) => p.line), [2, 3, 5, 6, 7, 9]);
    const why = Object.fromEntries(stats.problems.map((p) => [p.line, p.reason]));
    assert.match(why[2]!, /^not valid JSON/);
    assert.equal(why[3], 'no "messages"');
    assert.equal(why[5], 'not a JSON object (got an array)');
    assert.equal(why[6], 'no "model"');
    assert.equal(why[7], '"messages" is empty');
    assert.match(why[9]!, /Batch input/);
    assert.equal(stats.files[0]!.skipped, 6);
  });
  test('strict: the first bad line is fatal, naming file:line', async () => {
    await assert.rejects(read(['bad-lines.jsonl'], true), (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /^bad-lines\.jsonl:2: not valid JSON/);
      return true;
    });
  });
  test('missing file, directory, empty file, no files, unknown format: one sentence each', () => {
    mkdirSync(join(tmp, 'dir'), { recursive: true });
    writeFileSync(join(tmp, 'empty.jsonl'), '');
    assert.throws(() => readTraffic(fakeCtx({ cwd: tmp }), ['nope.jsonl'], { strict: false }), /Traffic file nope\.jsonl does not exist; check the path\./);
    assert.throws(() => readTraffic(fakeCtx({ cwd: tmp }), ['dir'], { strict: false }), /dir is a directory; pass the traffic files inside it/);
    assert.throws(() => readTraffic(fakeCtx({ cwd: tmp }), ['empty.jsonl'], { strict: false }), /empty\.jsonl is empty/);
    assert.throws(() => readTraffic(fakeCtx({ cwd: tmp }), [], { strict: false }), UsageError);
  });
  test('whitespace-only and unrecognisable files', async () => {
    writeFileSync(join(tmp, 'blank.jsonl'), '\n  \n');
    await assert.rejects(read(['blank.jsonl'], false, tmp), /blank\.jsonl is empty/);
    writeFileSync(join(tmp, 'notes.txt'), 'hello world\n{"foo": 1}\n');
    await assert.rejects(read(['notes.txt'], false, tmp), (e: Error) => e instanceof UsageError && /Cannot tell the format of notes\.txt \(line 1: not valid JSON/.test(e.message));
  });
});

describe('mixing, gzip and size', () => {
  test('several formats in one run, each detected per file', async () => {
    const { list, stats } = await read(['sample.jsonl', 'recorded.har', 'batch-input.jsonl']);
    assert.equal(list.length, 20 + 2 + 4);
    assert.deepEqual(stats.files.map((f) => f.format), ['chat-jsonl', 'har', 'batch-input']);
  });
  test('gzip input (JSONL and HAR) is read by its magic bytes', async () => {
    writeFileSync(join(tmp, 'sample.jsonl.gz'), gzipSync(readFileSync(join(FIX, 'sample.jsonl'))));
    writeFileSync(join(tmp, 'rec.har.gz'), gzipSync(readFileSync(join(FIX, 'recorded.har'))));
    writeFileSync(join(tmp, 'renamed.log'), gzipSync(readFileSync(join(FIX, 'sample.jsonl'))));
    const { list, stats } = await read(['sample.jsonl.gz', 'rec.har.gz', 'renamed.log'], false, tmp);
    assert.equal(list.length, 20 + 2 + 20);
    assert.deepEqual(stats.files.map((f) => f.format), ['chat-jsonl', 'har', 'chat-jsonl']);
  });
  test('a 100k-line file streams through, every line counted', async () => {
    const f = join(tmp, 'big.jsonl');
    const ws = createWriteStream(f);
    for (let i = 0; i < 100_000; i++) {
      if (!ws.write(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"question ${i}"}],"max_tokens":16}\n`)) await new Promise<void>((r) => ws.once('drain', () => r()));
    }
    await new Promise<void>((r) => ws.end(r));
    const { items, stats } = readTraffic(fakeCtx({ cwd: tmp }), ['big.jsonl'], { strict: true });
    let n = 0;
    let last: TrafficItem | undefined;
    for await (const it of items) {
      n++;
      last = it;
    }
    assert.equal(n, 100_000);
    assert.equal(last!.id, 'big.jsonl:100000');
    assert.equal(stats.files[0]!.items, 100_000);
  });
});
