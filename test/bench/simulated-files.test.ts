/** Issue 11: --out results.jsonl and --csv say SIMULATED (per line / per row) when a side is holy mock, and only then. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { mocks, traffic, bench } from './helpers.js';

/** A tiny OpenAI-compatible server that is not holy mock: no x-holy-mock header, its own fingerprint. */
async function plainServer(): Promise<{ url: string; chats: number; close(): Promise<void> }> {
  const state = { chats: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.endsWith('/models')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 0, owned_by: 'plain' }] }));
      }
      if (req.method === 'POST' && req.url?.endsWith('/chat/completions')) {
        state.chats++;
        const body = JSON.parse(text) as { model: string; stream?: boolean };
        const usage = { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 };
        const base = { id: `chatcmpl-plain${state.chats}`, created: 1, model: body.model, system_fingerprint: 'fp_plain' };
        if (body.stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: 'Rotate it.' }, finish_reason: null }] })}\n\n`);
          res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
          res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
          return res.end('data: [DONE]\n\n');
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Rotate it.' }, finish_reason: 'stop' }], usage }));
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get chats() { return state.chats; },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

const jsonl = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const csvRows = (file: string) => parse(readFileSync(file, 'utf8'), { columns: true }) as Array<Record<string, string>>;

describe('results files say when a side was simulated', () => {
  test('a run against holy mock marks every results.jsonl line and CSV row; a replay with --old recorded still reads and still says SIMULATED', async () => {
    const m = await mocks();
    const plain = await plainServer();
    try {
      const out = join(m.dir, 'results.jsonl');
      const csv = join(m.dir, 'results.csv');
      const r = await bench([traffic(m.dir, 6), ...m.args, '--out', out, '--csv', csv, '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      const lines = jsonl(out);
      assert.equal(lines.length, 12);
      assert.ok(lines.every((l) => l.simulated === true), 'every line of a holy mock side says simulated');
      const rows = csvRows(csv);
      assert.equal(rows.length, 12);
      assert.equal(Object.keys(rows[0]!).at(-1), 'simulated', 'the new column comes last: readers by position keep working');
      assert.ok(rows.every((row) => row.simulated === 'true'));

      // Replayed as the baseline against a real (non-mock) server: it reads, and the recorded side stays SIMULATED.
      const out2 = join(m.dir, 'replay.jsonl');
      const csv2 = join(m.dir, 'replay.csv');
      const r2 = await bench([out, '--old', 'recorded', '--new', `plain=${plain.url}`, '--out', out2, '--csv', csv2, '--json'], { PLAIN_API_KEY: 'hs-plaintestkey0003' });
      assert.equal(r2.code, 0, r2.stderr);
      assert.equal(plain.chats, 6, 'only the old side of each recorded pair is replayed');
      const doc = JSON.parse(r2.stdout);
      assert.equal(doc.summary?.old?.failed ?? 0, 0);
      assert.equal(doc.run.old.simulated, true);
      assert.equal(doc.run.new.simulated, false);
      assert.equal(doc.verdict.simulated, true);
      const replay = jsonl(out2);
      assert.deepEqual([...new Set(replay.filter((l) => l.role === 'old').map((l) => l.simulated))], [true]);
      assert.deepEqual([...new Set(replay.filter((l) => l.role === 'new').map((l) => l.simulated))], [false]);
      const rows2 = csvRows(csv2);
      assert.deepEqual([...new Set(rows2.filter((x) => x.role === 'old').map((x) => x.simulated))], ['true']);
      assert.deepEqual([...new Set(rows2.filter((x) => x.role === 'new').map((x) => x.simulated))], ['false']);
    } finally {
      await plain.close();
      await m.close();
    }
  });

  test('a recorded line marked "simulated": true counts even when the answer failed (no fingerprint to read)', async () => {
    const m = await mocks({}, { faults: [{ fault: { kind: 'status', status: 500 }, path: 'chat' }] });
    const plain = await plainServer();
    try {
      const out = join(m.dir, 'results.jsonl');
      // The new side (every answer a 500, so no fingerprint) is the one replayed below as the baseline.
      const r = await bench([traffic(m.dir, 3), ...m.args, '--out', out, '--json'], m.env);
      assert.equal(r.code, 0, r.stderr);
      const failedNew = jsonl(out).filter((l) => l.role === 'new');
      assert.ok(failedNew.every((l) => l.ok === false && l.simulated === true));
      const baseline = join(m.dir, 'baseline.jsonl');
      // Written as the old side, so --old recorded takes these failed answers as its baseline.
      writeFileSync(baseline, failedNew.map((l) => JSON.stringify({ ...l, role: 'old' })).join('\n') + '\n');
      const r2 = await bench([baseline, '--old', 'recorded', '--new', `plain=${plain.url}`, '--json'], { PLAIN_API_KEY: 'hs-plaintestkey0003' });
      assert.equal(r2.code, 0, r2.stderr);
      assert.equal(JSON.parse(r2.stdout).run.old.simulated, true);
    } finally {
      await plain.close();
      await m.close();
    }
  });

  test('a run against a server that is not holy mock writes simulated false everywhere', async () => {
    const a = await plainServer();
    const b = await plainServer();
    const m = await mocks();
    try {
      const out = join(m.dir, 'results.jsonl');
      const csv = join(m.dir, 'results.csv');
      const r = await bench([traffic(m.dir, 4), '--old', `pa=${a.url}`, '--new', `pb=${b.url}`, '--out', out, '--csv', csv, '--json'], { PA_API_KEY: 'hs-patestkey00000004', PB_API_KEY: 'hs-pbtestkey00000005' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).verdict.simulated, false);
      const lines = jsonl(out);
      assert.equal(lines.length, 8);
      assert.ok(lines.every((l) => l.simulated === false));
      const rows = csvRows(csv);
      assert.equal(rows.length, 8);
      assert.ok(rows.every((row) => row.simulated === 'false'));
    } finally {
      await a.close();
      await b.close();
      await m.close();
    }
  });
});
